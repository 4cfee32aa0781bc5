"""/admin/procedures: an entry's facts and dates edited, checked by the catalogue's own checks
before anything is stored, and served at once."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Actions

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse"


@pytest.fixture
def app(tmp_path: Path, clock: Any) -> Any:
    from kiosk import create_app
    from kiosk.dbsetup import load_config, upgrade

    application = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(REPO / "config"),
            "database_url": f"sqlite:///{tmp_path / 'app.sqlite3'}",
            "secret_key": "test-secret",
            "clock": clock,
            "testing": True,
        }
    )
    m = application.extensions["motcua"]
    upgrade(m.db)
    load_config(m.db, m.config)
    yield application
    m.db.dispose()


def test_edit_one_procedure(client: Any, actions: Actions) -> None:
    actions.user("boss", "admin", password=PASSWORD)
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "boss", "password": PASSWORD, "csrf_token": token})
    listing = client.get("/admin/procedures?lang=vi")
    assert listing.status_code == 200 and "1.001193" in listing.text
    form = client.get("/admin/procedures/1.001193")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    body = html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", form.text, re.S).group(1))
    assert "last_checked:" in body

    bad = re.sub(r"last_checked: .*", "last_checked: '2026-13-45'", body, count=1)
    r = client.post("/admin/procedures/1.001193", data={"csrf_token": csrf, "body": bad})
    assert r.status_code == 422 and "procedures.yaml" in r.text and "last_checked" in r.text
    assert "2026-13-45" in html.unescape(r.text)  # what was typed stays
    before = client.get("/api/v1/procedures/1.001193").get_json()

    good = re.sub(r"last_checked: .*", "last_checked: '2026-12-04'", body, count=1)
    r = client.post("/admin/procedures/1.001193", data={"csrf_token": csrf, "body": good})
    assert r.status_code == 302, re.search(r'id="problem">(.*?)<', r.text, re.S).group(1)
    listing = client.get("/admin/procedures").text
    row = re.search(r'data-procedure="1\.001193".*?</tr>', listing, re.S).group(0)
    assert "2026-12-04" in row
    after = client.get("/api/v1/procedures/1.001193").get_json()
    assert after["name"] == before["name"]
    audit = client.get("/api/v1/audit?limit=5").get_json()
    assert audit[0]["action"] == "config_edited" and audit[0]["target"] == "procedures.yaml"
