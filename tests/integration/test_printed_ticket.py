"""The printed ticket end to end: what a kiosk's ticket says, from the API call to the bytes the
printer gets. Vietnamese unless the citizen chose English, the procedure's name, valid today and
the cut-off, one rounding of the wait everywhere, never a loopback address in the QR code."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.models import PrintJob, Ticket
from kiosk.printing.routing import check_printers
from kiosk.printing.slips import ticket_slip
from kiosk.printing.worker import PrintWorker
from printer.blocks import InvertedBanner, Rule, Text, flatten
from printer.decode import decode, to_image
from printer.escpos_bytes import render_escpos
from printer.layout import TicketSlip, ticket_blocks
from printer.spec import parse_printer_uri
from printer.transports import DummyTransport
from tests.conftest import CAST, Actions

SEED = Path(__file__).resolve().parents[2] / "config" / "procedures.yaml"
PROCEDURE = "1.001193"  # in the seed catalogue
ENGLISH_WORDS = {"scan", "people", "wait", "queue", "number", "valid", "about", "min", "counter"}


def make_app(tmp_path: Path, clock: Any, public_url: str | None, *, priority: str = "self") -> Any:
    from kiosk import create_app
    from kiosk.dbsetup import load_config, upgrade

    config = tmp_path / "config"
    shutil.copytree(CAST, config)
    shutil.copy(SEED, config / "procedures.yaml")
    main = config / "motcua.yaml"
    text = main.read_text(encoding="utf-8")
    main.write_text(text.replace("  kiosk: self\n", f"  kiosk: {priority}\n"), encoding="utf-8")
    app = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(config),
            "database_url": f"sqlite:///{tmp_path / 't.sqlite3'}",
            "secret_key": "x",
            "public_url": public_url,
            "printer": "dummy",
            "clock": clock,
            "testing": True,
        }
    )
    m = app.extensions["motcua"]
    upgrade(m.db)
    load_config(m.db, m.config)
    return app


@pytest.fixture
def app(tmp_path: Path, clock: Any) -> Iterator[Any]:
    application = make_app(tmp_path, clock, "https://motcua.example.vn")
    yield application
    application.extensions["motcua"].db.dispose()


@pytest.fixture
def pa(app: Any) -> Actions:
    return Actions(app, app.test_client())


def print_all(app: Any) -> list[bytes]:
    """Run a print worker until the queue is empty; the jobs it sent."""
    m = app.extensions["motcua"]
    out = DummyTransport(parse_printer_uri("dummy"))
    worker = PrintWorker(
        m, None, out.spec, publish=m.publisher.publish, default_base=None, transport=out
    )
    while worker.run_once():
        pass
    return out.jobs


def printed_slip(app: Any, ticket_id: int) -> tuple[TicketSlip, bytes]:
    """The slip of a ticket as printed, and the bytes the printer got (checked to match)."""
    m = app.extensions["motcua"]
    (data,) = print_all(app)
    with m.db.read() as s:
        ticket = s.get(Ticket, ticket_id)
        job = s.scalars(select(PrintJob).where(PrintJob.ticket_id == ticket_id)).one()
        lang = "en" if job.params.get("lang") == "en" else "vi"
        slip = ticket_slip(s, m, ticket, job.params.get("base_url"), lang)
        assert job.payload == data
    assert render_escpos(slip, parse_printer_uri("dummy")) == data
    return slip, data


def text_of(slip: TicketSlip) -> str:
    parts = []
    for block in flatten(ticket_blocks(slip)):
        if isinstance(block, Text | InvertedBanner):
            parts.append(block.text)
        elif isinstance(block, Rule) and block.label:
            parts.append(block.label)
    return "\n".join(parts).replace("\u00a0", " ")


def words(text: str) -> set[str]:
    return {w.strip("().,:·–").lower() for w in text.split()}


def test_a_ticket_is_vietnamese_only_unless_the_citizen_chose_english(
    pa: Actions, app: Any
) -> None:
    kiosk = pa.device("kiosk-1", "kiosk")
    vi = pa.issue(kiosk).get_json()  # the service has an English name: it must not print
    slip, _ = printed_slip(app, vi["id"])
    text = text_of(slip)
    assert "Certification" not in text and not words(text) & ENGLISH_WORDS
    assert "Chứng thực" in text and "SỐ THỨ TỰ" in text

    en = pa.issue(kiosk, lang="en").get_json()
    slip, _ = printed_slip(app, en["id"])
    text = text_of(slip)
    assert "Certification" in text and "Scan to follow your turn" in text
    assert "QUEUE NUMBER" in text and "SỐ THỨ TỰ" not in text
    assert pa.issue(kiosk, lang="fr").status_code == 422


def test_the_procedure_prints_by_name_and_an_unknown_code_is_refused(pa: Actions, app: Any) -> None:
    kiosk = pa.device("kiosk-1", "kiosk")
    refused = pa.issue(kiosk, procedure="NOT-A-CODE")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "invalid_input"
    assert print_all(app) == []  # nothing issued, nothing printed
    t = pa.issue(kiosk, procedure=PROCEDURE).get_json()
    assert t["procedure"] == PROCEDURE
    slip, _ = printed_slip(app, t["id"])
    name = app.extensions["motcua"].catalogue.get(PROCEDURE).name_vi
    assert slip.procedure == name and f"Thủ tục: {name}" in text_of(slip)
    assert PROCEDURE not in text_of(slip)


def test_valid_today_and_the_cut_off_of_a_same_day_service(pa: Actions, app: Any) -> None:
    kiosk = pa.device("kiosk-1", "kiosk")
    slip, _ = printed_slip(app, pa.issue(kiosk).get_json()["id"])  # "cert" is same-day
    text = text_of(slip)
    assert "Phiếu chỉ có giá trị trong ngày" in text
    assert "Hồ sơ nhận sau 15:00 có thể được trả kết quả ngày làm việc sau" in text


def test_one_rounding_of_the_wait_on_paper_kiosk_and_phone(pa: Actions, app: Any) -> None:
    """The cast estimates 150 s a person ahead: 0 s shows no wait anywhere, 150 s is 3
    minutes everywhere (it was ~3 on paper and 2 on the phone)."""
    kiosk = pa.device("kiosk-1", "kiosk")
    first = pa.issue(kiosk).get_json()
    second = pa.issue(kiosk).get_json()
    assert (first["estimated_wait_s"], second["estimated_wait_s"]) == (0, 150)
    assert (first["estimated_wait_min"], second["estimated_wait_min"]) == (0, 3)
    jobs = print_all(app)
    m = app.extensions["motcua"]
    with m.db.read() as s:
        slips = [
            ticket_slip(s, m, s.get(Ticket, t["id"]), "https://motcua.example.vn", "vi")
            for t in (first, second)
        ]
    assert [render_escpos(x, parse_printer_uri("dummy")) for x in slips] == jobs
    assert [x.wait_minutes for x in slips] == [0, 3]
    assert "phút" not in text_of(slips[0]) and "sắp đến lượt" in text_of(slips[0])
    assert "khoảng 3 phút" in text_of(slips[1])
    # The phone's page and its API, and the kiosk's service list, say the same.
    track = pa.client.get(f"/api/v1/track/{second['code']}").get_json()
    assert track["estimated_wait_min"] == 3
    page = pa.client.get(f"/t/{second['code']}").get_data(as_text=True)
    assert '<b data-slot="wait">3</b>' in page
    assert "Số người chờ trước (dự kiến)" in page  # marked as an estimate, like the wait
    first_page = pa.client.get(f"/t/{first['code']}").get_data(as_text=True)
    assert 'class="wait" data-state="none"' in first_page
    services = pa.client.get("/api/v1/sites/hall/services").get_json()
    cert = next(s for s in services if s["code"] == "cert")
    assert cert["estimated_wait_s"] == 300  # two people ahead of the next one
    assert cert["estimated_wait_min"] == 5


def zbar(data: bytes, tmp_path: Path) -> list[str]:
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg missing (Debian package zbar-tools)")
    path = tmp_path / "ticket.png"
    to_image(decode(data), 576).convert("L").save(path)
    out = subprocess.run(
        ["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, timeout=20
    )
    return out.stdout.split()


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1:8000", "[::1]:8000", "127.1.2.3", "demo.localhost"]
)
def test_never_a_loopback_address_in_the_qr_code(
    tmp_path: Path, clock: Any, host: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(tmp_path, clock, None)  # no MOTCUA_PUBLIC_URL
    try:
        pa = Actions(app, app.test_client())
        kiosk = pa.device("kiosk-1", "kiosk")
        headers = pa.auth(kiosk, Host=host)
        t = pa.client.post(
            "/api/v1/tickets", json={"site": "hall", "service": "cert"}, headers=headers
        ).get_json()
        slip, data = printed_slip(app, t["id"])
        assert slip.track_url is None and b"127.0.0.1" not in data and b"localhost" not in data
        assert zbar(data, tmp_path) == []  # no QR code at all
        assert "Quét mã" not in text_of(slip)
        # From an address phones can reach, the QR code carries it.
        lan = pa.client.post(
            "/api/v1/tickets",
            json={"site": "hall", "service": "cert"},
            headers=pa.auth(kiosk, Host="192.168.1.20:8000"),
        ).get_json()
        _, data = printed_slip(app, lan["id"])
        assert zbar(data, tmp_path) == [f"http://192.168.1.20:8000/t/{lan['code']}"]
        # Warned about at start and on /healthz, which stays "ok" for it.
        health = pa.client.get("/healthz").get_json()
        assert health["public_url"]["ok"] is False
        assert "MOTCUA_PUBLIC_URL" in health["public_url"]["detail"]
        assert health["status"] == "ok"
        m = app.extensions["motcua"]
        with caplog.at_level(logging.WARNING):
            check_printers(m.config, m.settings)  # at start (serve, and each print worker)
        assert "MOTCUA_PUBLIC_URL is not set" in caplog.text
    finally:
        app.extensions["motcua"].db.dispose()


def test_the_priority_mark_self_declared_or_requested(tmp_path: Path, clock: Any) -> None:
    for mode, mark in (("self", "ƯU TIÊN"), ("confirm", "ĐỀ NGHỊ ƯU TIÊN")):
        app = make_app(tmp_path / mode, clock, "https://motcua.example.vn", priority=mode)
        try:
            pa = Actions(app, app.test_client())
            kiosk = pa.device("kiosk-1", "kiosk")
            t = pa.issue(kiosk, priority="elderly").get_json()
            slip, _ = printed_slip(app, t["id"])
            assert (slip.priority_label, slip.priority_group) == (mark, "Người cao tuổi")
            assert f"{mark}\nNgười cao tuổi" in text_of(slip)
        finally:
            app.extensions["motcua"].db.dispose()
