"""``motcua device link`` and ``motcua device revoke`` against a real ``motcua serve`` with its
access log on: the link enrolls one browser once, a revoke works at once from another process,
and no token or link secret is ever written to a log line."""

from __future__ import annotations

import http.client
import re
from pathlib import Path

from kiosk.device_cookie import COOKIE
from tests import serverproc

servers = serverproc.fixture()


def get(srv: serverproc.Server, path: str, cookie: str | None = None) -> http.client.HTTPResponse:
    conn = srv.connection(10)
    conn.request("GET", path, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def cookie_of(resp: http.client.HTTPResponse) -> str:
    found = re.search(rf"{COOKIE}=([^;]+);", resp.getheader("Set-Cookie") or "")
    assert found, resp.getheaders()
    return found.group(1)


def test_link_enroll_revoke_and_nothing_secret_in_the_logs(
    servers: serverproc.Servers, tmp_path: Path
) -> None:
    srv = servers.start(tmp_path / "a", wait=False, env={"MOTCUA_ACCESS_LOG": "-"})
    token = srv.device_token("kiosk-1", kind="kiosk", site="hall")
    out = srv.cli("device", "link", "kiosk-1")
    url = out.strip().splitlines()[-1]
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/enroll\?code=e_[A-Za-z0-9_-]{43}", url), out
    assert "single use" in out and token not in out
    secret = url.split("code=")[1]
    srv.wait_ready()

    first = get(srv, f"/enroll?code={secret}")
    assert first.status == 302 and first.getheader("Location") == "/kiosk/hall"
    browser = cookie_of(first)
    assert browser not in (secret, token)
    assert get(srv, "/kiosk/hall", browser).status == 200
    assert get(srv, f"/enroll?code={secret}").status == 403  # single use
    assert get(srv, "/enroll?code=e_wrong").status == 403
    by_token = get(srv, f"/enroll?token={token}")
    assert by_token.status == 302
    second_browser = cookie_of(by_token)
    ticket = {"site": "hall", "service": "cert"}
    status, _ = srv.request("POST", "/api/v1/tickets", token, ticket)
    assert status == 201

    revoked = srv.cli("device", "revoke", "kiosk-1")
    assert "its token and 2 enrolled browser(s)" in revoked, revoked
    status, body = srv.request("POST", "/api/v1/tickets", token, ticket)
    assert status == 401, body
    assert get(srv, "/kiosk/hall", browser).status == 403
    assert get(srv, "/kiosk/hall", second_browser).status == 403
    srv.stop()

    log = srv.log_path.read_text()
    # the access log is on (quotes inside a logged value are escaped)
    assert re.search(r'GET /enroll HTTP/1\.1\\?" 302', log), log[-2000:]
    assert re.search(r'GET /kiosk/hall HTTP/1\.1\\?" 200', log)
    for secret_text in (token, secret, browser, second_browser, "e_wrong"):
        assert secret_text not in log


def test_cli_errors_are_one_line(servers: serverproc.Servers, tmp_path: Path) -> None:
    srv = serverproc.Server(tmp_path / "b")
    srv.init_db()
    srv.device_token("printer-1", kind="printer", site="hall")
    for args, words in (
        (("device", "link", "nobody"), "no device 'nobody'"),
        (("device", "revoke", "nobody"), "no device 'nobody'"),
        (("device", "link", "printer-1"), "is a printer"),
    ):
        try:
            srv.cli(*args)
        except serverproc.ServerError as exc:
            message = str(exc)
        else:
            raise AssertionError(f"{args} succeeded")
        assert words in message and "\n" not in message, message
