"""Resolved bearer tokens are cached in the server, yet ``motcua user disable`` (another
process) shuts a user out at once, on SQLite and on PostgreSQL.

The cache lives as long as the database's "auth generation" stays put: a stamp file next to
a SQLite database, ``NOTIFY motcua_auth`` on PostgreSQL. Without that signal the server would
go on accepting the disabled user's token from its cache (the test would see 201).
"""

from __future__ import annotations

import time

import pytest

from tests import serverproc

servers = serverproc.fixture()


def _issue(srv: serverproc.Server, token: str) -> int:
    status, _ = srv.request("POST", "/api/v1/tickets", token, {"site": "hall", "service": "cert"})
    return status


def _disable_shuts_out_at_once(srv: serverproc.Server) -> None:
    bob = srv.staff_token("bob")
    other = srv.staff_token("carol")
    srv.wait_ready()
    for _ in range(3):  # resolved once, then served from the cache
        assert _issue(srv, bob) == 201
        assert _issue(srv, other) == 201
    srv.cli("user", "disable", "bob")
    assert _issue(srv, bob) == 401
    assert _issue(srv, other) == 201  # the others are resolved again, and still let in
    status, body = srv.request("POST", "/api/v1/tickets", bob, {"site": "hall", "service": "cert"})
    assert status == 401 and body["error"]["code"] == "unauthorized"


def test_sqlite(servers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    srv = servers.start(tmp_path / "s", wait=False)
    _disable_shuts_out_at_once(srv)


@pytest.mark.postgres
def test_postgresql(servers, tmp_path, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    srv = servers.start(tmp_path / "p", database_url=pg_url, wait=False)
    _disable_shuts_out_at_once(srv)


@pytest.mark.postgres
def test_postgresql_listener_reconnects(servers, tmp_path, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    """The listener's connection is cut (as by a PostgreSQL restart): the server answers
    from the database until it listens again, and a disable after that is still seen."""
    srv = servers.start(tmp_path / "r", database_url=pg_url, wait=False)
    bob = srv.staff_token("bob")
    srv.wait_ready()
    assert _issue(srv, bob) == 201
    assert serverproc.cut_connections(pg_url, listener=True), "the server holds a LISTEN connection"
    assert _issue(srv, bob) == 201
    time.sleep(2)  # reconnected by now (first retry after 0.5 s)
    assert _issue(srv, bob) == 201
    srv.cli("user", "disable", "bob")
    assert _issue(srv, bob) == 401
