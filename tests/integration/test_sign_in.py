"""Signing in and out: server-side sessions, throttling per (username, address) and per address
(exact under concurrency), the password hash checked outside the database's write lock, and
what the audit log keeps of a failed attempt."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CAST, Actions
from tests.integration.test_console import PASSWORD, login


def form_login(client: Any, name: str, password: str, address: str = "10.0.0.1") -> int:
    client.environ_base["REMOTE_ADDR"] = address
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    data = {"username": name, "password": password, "csrf_token": csrf}
    return int(client.post("/login", data=data).status_code)


def token_login(client: Any, name: str, password: str, address: str = "10.0.0.1") -> int:
    resp = client.post(
        "/api/v1/auth/token",
        json={"username": name, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return int(resp.status_code)


# --- sessions -----------------------------------------------------------------------------------


def test_logout_ends_the_session_everywhere(app: Any, actions: Actions) -> None:
    actions.user("anna", "staff", site="hall")
    browser = app.test_client()
    csrf = login(browser, "anna")
    copied = browser.get_cookie("session").value
    assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/counter").status_code == 302  # back to the login page
    assert thief.get("/api/v1/counters/hall/1/board").status_code == 401
    # A new sign-in works, and only that session.
    again = app.test_client()
    login(again, "anna")
    assert again.get("/counter").status_code == 200
    assert thief.get("/counter").status_code == 302


def test_logout_moves_the_auth_generation(app: Any, actions: Actions) -> None:
    """Open Socket.IO connections are re-checked when credentials are taken away."""
    actions.user("anna", "staff", site="hall")
    m = app.extensions["motcua"]
    browser = app.test_client()
    csrf = login(browser, "anna")
    before = m.db.auth_generation()
    browser.post("/logout", data={"csrf_token": csrf})
    assert m.db.auth_generation() != before


def test_disabling_ends_every_session_of_the_user(app: Any, actions: Actions) -> None:
    actions.user("anna", "staff", site="hall")
    one, two = app.test_client(), app.test_client()
    login(one, "anna")
    login(two, "anna")
    from kiosk.domain import accounts

    m = app.extensions["motcua"]
    with m.change() as tx:
        tx.take(accounts.disable_user(tx.s, "anna"))
    assert one.get("/counter").status_code == 302
    assert two.get("/counter").status_code == 302


def test_a_session_expires_on_the_server(app: Any, actions: Actions, clock: Any) -> None:
    actions.user("anna", "staff", site="hall")
    browser = app.test_client()
    login(browser, "anna")
    clock.advance(hours=11)
    assert browser.get("/counter").status_code == 200
    clock.advance(hours=1, seconds=1)
    assert browser.get("/counter").status_code == 302


# --- throttling ---------------------------------------------------------------------------------


def test_ten_failures_lock_that_address_not_the_user(app: Any, actions: Actions) -> None:
    actions.user("anna", "staff", site="hall")
    attacker = app.test_client()
    for _ in range(10):
        assert form_login(attacker, "anna", "wrong", "10.0.0.66") == 401
    assert form_login(attacker, "anna", PASSWORD, "10.0.0.66") == 429
    assert token_login(app.test_client(), "anna", PASSWORD, "10.0.0.66") == 429
    # The real user, elsewhere, signs in.
    assert form_login(app.test_client(), "anna", PASSWORD, "10.0.0.7") == 302
    assert token_login(app.test_client(), "anna", PASSWORD, "10.0.0.8") == 200


def test_an_address_spraying_usernames_is_throttled(app: Any, actions: Actions) -> None:
    actions.user("anna", "staff", site="hall")
    client = app.test_client()
    for i in range(10):
        assert token_login(client, f"guess{i}", "pw", "10.0.0.9") == 401
    assert token_login(client, "anna", PASSWORD, "10.0.0.9") == 429
    assert token_login(client, "guess0", "pw", "10.0.0.10") == 401


def test_successes_do_not_count_as_failures(app: Any, actions: Actions) -> None:
    """Ten people behind one office address sign in all morning; nine typos are not ten."""
    actions.user("anna", "staff", site="hall")
    client = app.test_client()
    for _ in range(12):
        assert token_login(client, "anna", PASSWORD, "10.0.0.5") == 200
    for _ in range(9):
        assert token_login(client, "anna", "typo", "10.0.0.5") == 401
    assert token_login(client, "anna", PASSWORD, "10.0.0.5") == 200
    assert token_login(client, "anna", "typo", "10.0.0.5") == 401  # the tenth failure
    assert token_login(client, "anna", PASSWORD, "10.0.0.5") == 429


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_app(request: pytest.FixtureRequest, tmp_path: Path, clock: Any) -> Iterator[Any]:
    from kiosk import create_app
    from kiosk.dbsetup import load_config, upgrade

    url = (
        f"sqlite:///{tmp_path / 'a.sqlite3'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    app = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(CAST),
            "database_url": url,
            "secret_key": "x",
            "clock": clock,
            "testing": True,
        }
    )
    m = app.extensions["motcua"]
    upgrade(m.db)
    load_config(m.db, m.config)
    yield app
    m.db.dispose()


def concurrently(threads: int, each: int, job: Any) -> Counter[int]:
    got: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def run() -> None:
        start.wait()
        for _ in range(each):
            status = job()
            with lock:
                got[status] += 1

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    return got


def test_throttle_is_exact_under_concurrency(any_app: Any) -> None:
    Actions(any_app, any_app.test_client()).user("anna", "staff")
    got = concurrently(8, 3, lambda: token_login(any_app.test_client(), "anna", "bad", "10.1.1.1"))
    assert got == {401: 10, 429: 14}


def test_kiosk_limit_is_exact_under_concurrency(any_app: Any) -> None:
    a = Actions(any_app, any_app.test_client())
    kiosk = a.device("kiosk-1", "kiosk")
    got = concurrently(8, 5, lambda: a.issue(kiosk).status_code)
    assert got == {201: 30, 429: 10}
    staff = a.user("anna", "staff")
    assert a.issue(staff).status_code == 201  # staff are not limited


def test_shared_storage_is_exact_across_processes() -> None:
    """Two servers (two Throttle objects) on one Redis share every count."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import uuid

    from kiosk.throttle import Throttle

    prefix = f"test-{uuid.uuid4().hex[:8]}"
    one = Throttle("redis://127.0.0.1:6379/0", prefix)
    two = Throttle("redis://127.0.0.1:6379/0", prefix)
    turns = iter(range(10_000))
    got = concurrently(
        8, 4, lambda: int((one if next(turns) % 2 else two).login_admit("anna", "10.2.2.2"))
    )
    assert got == {1: 10, 0: 22}
    assert Throttle(None, prefix).login_admit("anna", "10.2.2.2")  # memory: its own


# --- the password hash and the write lock -------------------------------------------------------


def test_password_is_checked_outside_the_write_lock(
    app: Any, actions: Actions, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.domain import accounts

    actions.user("anna", "staff", site="hall")
    kiosk = actions.device("kiosk-1", "kiosk")
    checking, release = threading.Event(), threading.Event()
    real = accounts.password_matches

    def slow(password_hash: str | None, password: str) -> bool:
        checking.set()
        assert release.wait(30)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "password_matches", slow)
    result: list[int] = []
    signing_in = threading.Thread(
        target=lambda: result.append(token_login(app.test_client(), "anna", PASSWORD))
    )
    signing_in.start()
    try:
        assert checking.wait(10)
        issued: list[int] = []
        issuing = threading.Thread(target=lambda: issued.append(actions.issue(kiosk).status_code))
        issuing.start()
        issuing.join(5)
        assert issued == [201], "issuing waited for a password check"
    finally:
        release.set()
        signing_in.join(30)
    assert result == [200]


def test_hashing_runs_off_the_gevent_loop() -> None:
    pytest.importorskip("gevent")
    script = (
        "from gevent import monkey; monkey.patch_all()\n"
        "import threading\n"
        "from kiosk.offload import cpu_bound, gevent_active\n"
        "from kiosk.domain.accounts import hash_password, password_matches\n"
        "assert gevent_active()\n"
        "here = threading.get_native_id()\n"
        "assert cpu_bound(threading.get_native_id) != here\n"
        "assert cpu_bound(password_matches, hash_password('pw-12345678'), 'pw-12345678')\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr
    from kiosk.offload import cpu_bound, gevent_active

    assert not gevent_active()
    assert cpu_bound(threading.get_native_id) == threading.get_native_id()


# --- what the audit log keeps -------------------------------------------------------------------


def test_unknown_usernames_are_not_stored_as_typed(app: Any, actions: Actions) -> None:
    from kiosk.domain import auditlog

    actions.user("anna", "staff")
    client = app.test_client()
    token_login(client, "MySecretPassw0rd!", "x")
    token_login(client, "MySecretPassw0rd!", "y")
    token_login(client, "anna", "x")
    m = app.extensions["motcua"]
    with m.db.read() as s:
        rows = auditlog.read_log(s, m.clock, auditlog.Filters(action="login_failed"))
    details = [r.details for r in rows]
    assert {"username": "anna", "via": "token"} in details
    unknown = [d for d in details if d.get("unknown_user")]
    assert len(unknown) == 2 and unknown[0]["username_digest"] == unknown[1]["username_digest"]
    assert "MySecret" not in repr(details)


# --- open Socket.IO connections of an ended session ---------------------------------------------


def wait_until(check: Any, timeout: float = 5.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.mark.parametrize("how", ["logout", "disable"])
def test_sockets_of_an_ended_session_are_closed(app: Any, actions: Actions, how: str) -> None:
    actions.user("anna", "staff", site="hall")
    actions.user("root", "admin")
    browser = app.test_client()
    csrf = login(browser, "anna")
    other = app.test_client()
    login(other, "anna")  # the same person on another PC: that session stays
    sio = app.extensions["motcua"].socketio
    console = sio.test_client(app, namespace="/live", flask_test_client=browser)
    tv = sio.test_client(app, namespace="/display", auth={"display": 1}, flask_test_client=browser)
    elsewhere = sio.test_client(app, namespace="/live", flask_test_client=other)
    assert console.is_connected("/live") and tv.is_connected("/display")
    if how == "logout":
        assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 302
    else:
        admin = app.test_client()
        admin_csrf = login(admin, "root")
        admin.post("/admin/users/anna/disable", data={"csrf_token": admin_csrf})
    assert wait_until(lambda: not console.is_connected("/live"))
    assert wait_until(lambda: not tv.is_connected("/display"))
    if how == "logout":
        assert elsewhere.is_connected("/live")
        elsewhere.disconnect(namespace="/live")
    else:
        assert wait_until(lambda: not elsewhere.is_connected("/live"))


def test_at_most_two_password_checks_run_at_once(
    app: Any, actions: Actions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst of sign-ins queues for the hash instead of taking every core (and 64 MiB each)."""
    import time

    from kiosk.domain import accounts
    from kiosk.offload import SLOTS

    actions.user("anna", "staff")
    running, most = [0], [0]
    lock = threading.Lock()
    real = accounts.password_matches

    def counted(password_hash: str | None, password: str) -> bool:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        try:
            return real(password_hash, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(accounts, "password_matches", counted)
    got = concurrently(6, 1, lambda: token_login(app.test_client(), "anna", PASSWORD, "10.4.4.4"))
    assert got == {200: 6}
    assert most[0] == SLOTS == 2
