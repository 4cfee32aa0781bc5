"""The catalogue as configured: a folder without one, a broken one stopping start-up, the
office example carrying its own, ``motcua catalogue check``, and the offline bundle the guide's
browser side works from."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import ConfigError
from kiosk.domain.clock import FixedClock
from tests.conftest import at
from tests.guide_cast import make_app, write_config

BIRTH = "1.001193"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    base = tmp_path_factory.mktemp("catalogue")
    app = make_app(base, FixedClock(at("2026-11-25 09:00")), write_config(base / "config"))
    yield app.test_client()
    app.extensions["motcua"].db.dispose()


def test_a_config_folder_without_catalogue(client: Any) -> None:
    # tests/cast has no procedures.yaml: the API is empty, the guide says so.
    assert client.get("/api/v1/procedures?q=khai sinh").get_json() == []
    assert client.get(f"/api/v1/procedures/{BIRTH}").status_code == 404
    page = client.get("/guide")
    assert page.status_code == 200 and "Chưa có danh mục thủ tục" in page.text
    assert client.get("/guide/qr/lookup.png").status_code == 404


def test_a_bad_catalogue_stops_start_up(
    tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from kiosk.cli import main

    seed = (REPO / "config" / "procedures.yaml").read_text()
    broken = seed.replace('name_en: "Birth registration"', 'name_en: ""', 1)
    config = write_config(tmp_path / "config", catalogue=broken)
    with pytest.raises(ConfigError, match=r"procedures\[0\] \(code 1.001193\): name_en"):
        make_app(tmp_path, clock, config)
    monkeypatch.setenv("MOTCUA_CONFIG", str(config))
    monkeypatch.setenv("MOTCUA_INSTANCE", str(tmp_path / "cli"))
    assert main(["init-db"]) == 1
    err = capsys.readouterr().err
    assert "procedures.yaml: procedures[0] (code 1.001193): name_en" in err


def test_the_offline_bundle(reader: Any) -> None:
    resp = reader.get("/guide/catalogue.json?site=point")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-cache"
    body = resp.get_json()
    assert len(body["procedures"]) >= 30 and body["site"] == "point"
    again = reader.get(
        "/guide/catalogue.json?site=point", headers={"If-None-Match": resp.headers["ETag"]}
    )
    assert again.status_code == 304
    assert reader.get("/guide/catalogue.json?site=nowhere").status_code == 404
    worker = reader.get("/guide-sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert "__VERSION__" not in worker.text


def test_the_office_example_initialises_on_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from kiosk.cli import main

    office = REPO / "config" / "examples" / "office"
    # A copy elsewhere still works: the example carries its own catalogue.
    copied = tmp_path / "office"
    shutil.copytree(office, copied)
    monkeypatch.setenv("MOTCUA_CONFIG", str(copied))
    monkeypatch.setenv("MOTCUA_INSTANCE", str(tmp_path / "instance"))
    assert main(["init-db"]) == 0, capsys.readouterr().err
    assert main(["catalogue", "check"]) == 0
    out = capsys.readouterr().out
    assert "entries need attention" in out and "not yet verified by ward staff" in out
    assert main(["catalogue", "check", "--strict"]) == 1


def test_catalogue_check_names_a_bad_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from kiosk.cli import main

    config = write_config(tmp_path / "config", catalogue="procedures: [1, 2]\n")
    monkeypatch.setenv("MOTCUA_CONFIG", str(config))
    monkeypatch.setenv("MOTCUA_INSTANCE", str(tmp_path / "instance"))
    assert main(["catalogue", "check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("motcua: error: ") and "procedures.yaml" in err
    assert len(err.strip().splitlines()) == 1


def test_the_checks_read_the_live_configuration_once_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """``motcua check`` and ``motcua catalogue check`` check what the server runs with: the
    files before ``init-db``, the database's live configuration after it (the files may then
    be stale or broken), and say which."""
    from kiosk.cli import main

    config = write_config(tmp_path / "config")
    monkeypatch.setenv("MOTCUA_CONFIG", str(config))
    monkeypatch.setenv("MOTCUA_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("MOTCUA_PUBLIC_URL", "http://127.0.0.1:8000")
    main(["check"])
    assert f"configuration: the files in {config} (the database holds no" in capsys.readouterr().out
    assert main(["catalogue", "check"]) == 0
    assert "catalogue: " + str(config / "procedures.yaml") in capsys.readouterr().out

    assert main(["init-db"]) == 0
    capsys.readouterr()
    # The files go bad after init-db; the live configuration is what counts.
    (config / "procedures.yaml").write_text("procedures: [1, 2]\n", encoding="utf-8")
    (config / "motcua.yaml").write_text("organisation: 7\n", encoding="utf-8")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "ok       configuration: the live configuration in the database, version 1" in out
    assert main(["catalogue", "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("catalogue: the live configuration in the database, version 1")
    # serve's own start-up checks read the live configuration too: broken files stop nothing.
    from kiosk.cli import _check_environment

    assert isinstance(_check_environment("serve"), list)
