"""``/metrics``: the hall's figures in Prometheus' text format, for the right readers only, and
the same answer whichever of several server processes gives it."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import socketio
from prometheus_client.parser import text_string_to_metric_families

from kiosk.domain.clock import FixedClock
from tests import serverproc
from tests.conftest import Actions

servers = serverproc.fixture()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by (name, sorted labels)."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def scrape(client: Any, **kwargs: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.data[:300]
    assert response.content_type.startswith("text/plain; version=")
    return samples(response.get_data(as_text=True))


def hall(service: str, **more: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"site": "hall", "service": service, **more}.items()))


def test_queue_figures_follow_the_hall(actions: Actions, client: Any, clock: FixedClock) -> None:
    staff = actions.user()
    first = actions.issue(staff, "cert").get_json()
    actions.issue(staff, "cert")
    actions.issue(staff, "civil")
    before = scrape(client)
    assert before[("motcua_tickets_issued_total", hall("cert"))] == 2
    assert before[("motcua_tickets_issued_total", hall("civil"))] == 1
    assert before[("motcua_tickets_waiting", hall("cert"))] == 2
    assert before[("motcua_tickets_called_total", hall("cert"))] == 0

    clock.advance(minutes=7)
    called = actions.call_next(staff, counter=1).get_json()
    assert called["id"] == first["id"]
    after = scrape(client)
    assert after[("motcua_tickets_waiting", hall("cert"))] == 1
    assert after[("motcua_tickets_called_total", hall("cert"))] == 1
    wait = "motcua_ticket_wait_seconds"
    assert after[(f"{wait}_count", hall("cert"))] == 1
    assert after[(f"{wait}_sum", hall("cert"))] == 7 * 60
    assert after[(f"{wait}_bucket", hall("cert", le="300.0"))] == 0
    assert after[(f"{wait}_bucket", hall("cert", le="600.0"))] == 1
    assert after[(f"{wait}_bucket", hall("cert", le="+Inf"))] == 1

    # A new business day starts every count again.
    clock.advance(days=1)
    tomorrow = scrape(client)
    assert ("motcua_tickets_issued_total", hall("cert")) not in tomorrow


def test_printers_and_responses(tmp_path: Path, clock: FixedClock) -> None:
    from datetime import timedelta

    from kiosk import create_app
    from kiosk.dbsetup import upgrade
    from kiosk.models import PrinterStatus, PrintJob
    from tests.conftest import CAST

    app = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(CAST),
            "database_url": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            "secret_key": "k",
            "printer": "dummy",
            "clock": clock,
            "testing": True,
        }
    )
    m = app.extensions["motcua"]
    upgrade(m.db)
    client = app.test_client()
    printer = {"printer": "kiosk-1"}
    found = scrape(client)
    assert found[("motcua_printer_state", tuple(sorted({**printer, "state": "unknown"}.items())))]
    assert found[("motcua_print_jobs_pending", (("printer", "kiosk-1"),))] == 0

    now = clock.now()
    with m.db.transaction() as s:
        s.add(
            PrinterStatus(printer="kiosk-1", status={"online": True, "paper": "out"}, seen_at=now)
        )
        for status, finished in (("failed", now - timedelta(minutes=3)), ("queued", None)):
            s.add(
                PrintJob(
                    printer="kiosk-1",
                    status=status,
                    next_attempt_at=now,
                    created_at=now,
                    finished_at=finished,
                )
            )
    found = scrape(client)
    states = {
        dict(labels)["state"]
        for (name, labels), value in found.items()
        if name == "motcua_printer_state" and value == 1
    }
    assert states == {"paper_out"}
    assert found[("motcua_print_jobs_pending", (("printer", "kiosk-1"),))] == 1
    assert found[("motcua_print_jobs_failed_recently", (("printer", "kiosk-1"),))] == 1
    seen = found[("motcua_printer_last_report_timestamp_seconds", (("printer", "kiosk-1"),))]
    assert seen == now.timestamp()
    assert found[("motcua_http_responses_total", (("status", "200"),))] >= 1
    assert ("motcua_socketio_connections", (("namespace", "/display"),)) in found
    m.db.dispose()


def test_only_allowed_readers(app: Any, client: Any) -> None:
    import dataclasses
    import ipaddress

    m = app.extensions["motcua"]
    away = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=away).status_code == 403
    # Through a reverse proxy nobody declared, every request looks like loopback.
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200

    m.settings = dataclasses.replace(
        m.settings,
        metrics_token="scrape-secret",
        metrics_allow=(ipaddress.ip_network("10.0.0.0/24"),),
    )
    assert client.get("/metrics").status_code == 403  # loopback is no longer listed
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 200
    ok = {"Authorization": "Bearer scrape-secret"}
    assert client.get("/metrics", environ_base=away, headers=ok).status_code == 200
    wrong = {"Authorization": "Bearer scrape-secreT"}
    assert client.get("/metrics", environ_base=away, headers=wrong).status_code == 403
    # A wrong token is refused even from an allowed address.
    lan = {"REMOTE_ADDR": "10.0.0.7"}
    assert client.get("/metrics", environ_base=lan, headers=wrong).status_code == 403


def test_bad_allow_list_is_a_one_line_error() -> None:
    from kiosk.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="MOTCUA_METRICS_ALLOW"):
        Settings.from_env(secret_key="k", metrics_allow="10.0.0.0/33")


# --- several worker processes --------------------------------------------------------------------


class Screen:
    def __init__(self, url: str, token: str) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.sio.connect(
            url,
            namespaces=["/display"],
            auth={"token": token},
            transports=["websocket"],
            wait_timeout=10,
        )

    def close(self) -> None:
        self.sio.disconnect()
        self.sio.shutdown()


def _metric(srv: serverproc.Server, name: str, labels: dict[str, str]) -> float:
    conn = srv.connection()
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        text = response.read().decode()
    finally:
        conn.close()
    assert response.status == 200, text[:300]
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.slow
@pytest.mark.redis
def test_several_workers_report_the_same_sums(servers: serverproc.Servers, tmp_path: Path) -> None:
    display_id = random.randrange(1000, 10**9)
    config = serverproc.write_config(tmp_path / "config", display_id=display_id)
    srv = servers.start(
        tmp_path / "a",
        wait=False,
        config=config,
        message_queue=f"redis://127.0.0.1:6379/{random.randrange(1, 16)}",
        workers=2,
    )
    staff = srv.staff_token("anna")
    screen_token = srv.device_token("screen", kind="display", display=display_id)
    srv.wait_ready()
    workers = len(srv.pids()) - 1
    assert workers == 2

    for _ in range(5):
        status, _ = srv.request(
            "POST", "/api/v1/tickets", staff, {"site": "hall", "service": "cert"}
        )
        assert status == 201
    screens = [Screen(srv.url, screen_token) for _ in range(8)]
    try:
        sockets = {"namespace": "/display"}
        deadline = time.monotonic() + 15
        while _metric(srv, "motcua_socketio_connections", sockets) != 8:
            assert time.monotonic() < deadline, "the workers' socket counts never added up"
            time.sleep(0.5)
        # Whichever worker answers, the sums are whole.
        for _ in range(12):
            assert _metric(srv, "motcua_socketio_connections", sockets) == 8
            assert (
                _metric(srv, "motcua_tickets_issued_total", {"site": "hall", "service": "cert"})
                == 5
            )
        responses = _metric(srv, "motcua_http_responses_total", {"status": "201"})
        assert responses == 5

        # A worker that dies takes its sockets' count with it (gunicorn's child_exit hook),
        # and its clients' sockets are gone too: the sum is again what is really open.
        os.kill(srv.pids()[1], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while True:
            still = sum(1 for screen in screens if screen.sio.connected)
            if _metric(srv, "motcua_socketio_connections", sockets) == still:
                break
            assert time.monotonic() < deadline, "a dead worker's sockets are still counted"
            time.sleep(0.5)
    finally:
        for screen in screens:
            screen.close()
    deadline = time.monotonic() + 15
    while _metric(srv, "motcua_socketio_connections", {"namespace": "/display"}) != 0:
        assert time.monotonic() < deadline, "closed sockets still counted"
        time.sleep(0.5)
