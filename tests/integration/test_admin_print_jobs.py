"""``/admin/print-jobs``: recent print jobs as pictures in the browser, for admins only."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from kiosk.printing.worker import PrintWorker
from printer.decode import decode, to_image
from printer.spec import parse_printer_uri
from printer.transports import DummyTransport, PrinterError
from tests.conftest import CAST, Actions

PASSWORD = "correct-horse"


@pytest.fixture
def app(tmp_path: Path, clock: Any) -> Iterator[Any]:
    from kiosk import create_app
    from kiosk.dbsetup import load_config, upgrade

    application = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(CAST),
            "database_url": f"sqlite:///{tmp_path / 'a.sqlite3'}",
            "secret_key": "x",
            "public_url": "https://motcua.example.vn",
            "printer": "dummy",
            "clock": clock,
            "testing": True,
        }
    )
    m = application.extensions["motcua"]
    upgrade(m.db)
    load_config(m.db, m.config)
    yield application
    m.db.dispose()


def login(client: Any, name: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    resp = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, resp.text


def png(resp: Any) -> Image.Image:
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    return Image.open(io.BytesIO(resp.data)).convert("1")


def test_admins_see_recent_jobs_as_the_printer_got_them(app: Any) -> None:
    a = Actions(app, app.test_client())
    m = app.extensions["motcua"]
    kiosk = a.device("kiosk-1", "kiosk")
    first = a.issue(kiosk).get_json()
    second = a.issue(kiosk).get_json()
    printer = DummyTransport(parse_printer_uri("dummy"))
    worker = PrintWorker(
        m, None, printer.spec, publish=m.publisher.publish, default_base=None, transport=printer
    )
    assert worker.run_once()  # the first prints
    printer.fail_next = PrinterError("printer 10.0.0.9:9100: timed out", permanent=False)
    assert worker.run_once()  # the second fails, to be retried

    a.user("boss", role="admin")
    client = a.client
    login(client, "boss")
    page = client.get("/admin/print-jobs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/admin/print-jobs" aria-current="page"' in html
    assert f"Phiếu {first['number']}" in html and f"Phiếu {second['number']}" in html
    assert "Đã in" in html and "Chờ in" in html and "timed out" in html
    assert "instance/spool/" in html  # where the demo prints
    ids = [int(i) for i in re.findall(r'data-job="(\d+)"', html)]
    assert ids == sorted(ids, reverse=True) and len(ids) == 2

    printed = client.get(f"/admin/print-jobs/{ids[1]}.png")
    assert "max-age" in printed.headers["Cache-Control"]
    assert (
        ImageChops.difference(png(printed), to_image(decode(printer.jobs[0]), 576)).getbbox()
        is None
    )
    pending = client.get(f"/admin/print-jobs/{ids[0]}.png")
    assert pending.headers["Cache-Control"] == "no-store"
    assert png(pending).width == 576  # drawn from what it would print now

    english = client.get("/admin/print-jobs?lang=en").get_data(as_text=True)
    assert "Print jobs" in english and "Printed" in english


@pytest.mark.parametrize(
    "path",
    ["0", "99999", "9223372036854775808", "1e3", "%C2%B2", "-1", "abc", "1%00"],
)
def test_unknown_or_hostile_job_ids_are_404(app: Any, path: str) -> None:
    a = Actions(app, app.test_client())
    a.user("boss", role="admin")
    login(a.client, "boss")
    # A NUL byte anywhere in a request is refused before routing (400).
    nul = "%00" in path
    assert a.client.get(f"/admin/print-jobs/{path}.png").status_code == (400 if nul else 404)
    assert a.client.get("/admin/print-jobs?before=" + path).status_code == (400 if nul else 200)


def test_only_admins(app: Any) -> None:
    a = Actions(app, app.test_client())
    assert a.client.get("/admin/print-jobs").status_code == 302  # to the login page
    assert a.client.get("/admin/print-jobs/1.png").status_code == 302
    a.user("anna", role="staff")
    login(a.client, "anna")
    assert a.client.get("/admin/print-jobs").status_code == 403
    assert a.client.get("/admin/print-jobs/1.png").status_code == 403


def test_an_admin_of_one_site_sees_only_its_printers(app: Any) -> None:
    a = Actions(app, app.test_client())
    hall = a.device("kiosk-1", "kiosk")
    a.issue(hall)
    a.user("annexboss", role="admin", site="annex")
    login(a.client, "annexboss")
    html = a.client.get("/admin/print-jobs").get_data(as_text=True)
    assert "data-job=" not in html
    assert a.client.get("/admin/print-jobs/1.png").status_code == 404
