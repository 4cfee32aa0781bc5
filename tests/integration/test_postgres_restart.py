"""PostgreSQL cut the server's connections (a restart, a firewall that forgot them).

The pool tests a connection that sat idle before handing it out (``kiosk.db``): after a pause
the next request is answered as usual, on a fresh connection (without that test it would fail
on a dead one). A connection cut while in steady use fails its request with a clear 503, and
the next request reconnects.
"""

from __future__ import annotations

import time

import pytest

from kiosk.db import IDLE_PING_S
from tests import serverproc

servers = serverproc.fixture()


@pytest.mark.postgres
def test_requests_after_the_connections_were_cut(servers, tmp_path, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    srv = servers.start(tmp_path / "p", database_url=pg_url)
    token = srv.staff_token("bob")
    body = {"site": "hall", "service": "cert"}
    for _ in range(3):
        assert srv.request("POST", "/api/v1/tickets", token, body)[0] == 201
    time.sleep(IDLE_PING_S + 0.5)
    assert serverproc.cut_connections(pg_url, listener=False), "the server holds connections"
    status, answer = srv.request("POST", "/api/v1/tickets", token, body)
    assert status == 201, answer
    assert answer["number"].endswith("004"), answer  # the fourth of the day
    assert srv.request("GET", "/healthz")[0] == 200

    # Cut again at once: the connection has just been used, so it is not tested first.
    assert serverproc.cut_connections(pg_url, listener=False), "the server holds connections"
    status, answer = srv.request("POST", "/api/v1/tickets", token, body)
    assert status == 503, answer
    assert answer["error"]["code"] == "database_unavailable"
    status, answer = srv.request("POST", "/api/v1/tickets", token, body)
    assert status == 201, answer
    assert answer["number"].endswith("005"), answer  # nothing was lost, no number skipped
    log = srv.log_tail(200)
    assert "Traceback" not in log
    assert "Warning" not in log, log  # the dropped connection is handled once, quietly
