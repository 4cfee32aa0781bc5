"""The cast of the online-submission guide's tests: a hall that handles procedures in person
and may take remote tickets, a support point with the guide and its online-help service, the
seed catalogue (config/procedures.yaml), and an app built on them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CAST, Actions

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "config" / "procedures.yaml"

HALL = """\
code: hall
order: 1
name: "Sảnh thử nghiệm"
name_en: "Test hall"
hours: {{daily: ["00:00-24:00"]}}
remote_tickets: {remote}
services:
  - {{code: cert, prefix: A, name: "Chứng thực", counter_group: CHUNGTHUC}}
  - {{code: civil, prefix: B, name: "Hộ tịch", name_en: "Civil status", counter_group: HOTICH}}
  - {{code: help, prefix: H, name: "Hỗ trợ trực tuyến", counter_group: HOTRO}}
counters:
  - {{number: 1, name: "Quầy 1", services: [cert, civil, help]}}
kiosks:
  - {{name: kiosk-hall, printer: "dummy"}}
"""

POINT = """\
code: point
name: "Điểm hỗ trợ thử"
name_en: "Test support point"
hours: {daily: ["00:00-24:00"]}
guide: true
services:
  - {code: help, prefix: H, name: "Hỗ trợ nộp hồ sơ", name_en: "Online help", counter_group: HOTRO}
counters:
  - {number: 1, name: "Bàn 1", services: [help]}
kiosks:
  - {name: kiosk-point, printer: "dummy"}
  - {name: kiosk-mute, printer: "none"}
"""


def write_config(dest: Path, *, remote: bool = True, catalogue: str | None = None) -> Path:
    """A configuration folder at ``dest``; ``catalogue`` replaces the seed's text ("" leaves
    procedures.yaml out)."""
    (dest / "sites").mkdir(parents=True, exist_ok=True)
    main = (CAST / "motcua.yaml").read_text(encoding="utf-8")
    main = main.replace(
        '  ticket_header: ["ĐIỂM PHỤC VỤ THỬ NGHIỆM"]\n',
        '  ticket_header: ["ĐIỂM PHỤC VỤ THỬ NGHIỆM"]\n'
        '  portal_province: "Thành phố Thử"\n'
        '  portal_agency: "UBND phường Thử"\n',
    )
    (dest / "motcua.yaml").write_text(main, encoding="utf-8")
    (dest / "sites" / "hall.yaml").write_text(
        HALL.format(remote="true" if remote else "false"), encoding="utf-8"
    )
    (dest / "sites" / "point.yaml").write_text(POINT, encoding="utf-8")
    if catalogue is None:
        shutil.copy(SEED, dest / "procedures.yaml")
    elif catalogue:
        (dest / "procedures.yaml").write_text(catalogue, encoding="utf-8")
    return dest


def make_app(tmp_path: Path, clock: Any, config: Path) -> Any:
    """A fresh app on ``config`` with its database migrated and loaded (as conftest's ``app``)."""
    from kiosk import create_app
    from kiosk.dbsetup import load_config as load_rows
    from kiosk.dbsetup import upgrade

    application = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(config),
            "database_url": f"sqlite:///{tmp_path / 'guide.sqlite3'}",
            "secret_key": "test-secret",
            "public_url": "http://motcua.test",
            "clock": clock,
            "testing": True,
        }
    )
    m = application.extensions["motcua"]
    upgrade(m.db)
    load_rows(m.db, m.config)
    return application


# --- fixtures of the guide's integration tests (import them by name) ---------------------------


@pytest.fixture
def gapp(tmp_path: Path, clock: Any) -> Iterator[Any]:
    app = make_app(tmp_path, clock, write_config(tmp_path / "config"))
    yield app
    app.extensions["motcua"].db.dispose()


@pytest.fixture
def gclient(gapp: Any) -> Any:
    return gapp.test_client()


@pytest.fixture
def actions(gapp: Any, gclient: Any) -> Actions:
    return Actions(gapp, gclient)


@pytest.fixture
def kiosk(actions: Actions) -> str:
    """The support point's kiosk, enrolled."""
    return actions.device("kiosk-point", "kiosk", site="point")


def post(actions: Actions, path: str, body: Any, token: str | None = None) -> Any:
    headers = actions.auth(token) if token else {}
    return actions.client.post(path, json=body, headers=headers)


def error(resp: Any) -> dict[str, Any]:
    return resp.get_json()["error"]  # type: ignore[no-any-return]
