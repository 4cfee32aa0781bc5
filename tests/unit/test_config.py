"""Configuration: the shipped folders load; a bad file names file, entry and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("folder", ["config", "config/examples/office", "tests/cast"])
def test_shipped_configurations_load(folder: str) -> None:
    cfg = load_config(ROOT / folder)
    assert cfg.sites
    for site in cfg.sites:
        for counter in site.counters:
            assert all(site.service(code) for code in counter.services)


def test_demo_has_the_three_sites_one_display_each_and_counters_from_1() -> None:
    cfg = load_config(ROOT / "config")
    assert [s.code for s in cfg.sites] == ["hall", "ct1a", "ct1b2"]
    for site in cfg.sites:
        assert len(site.displays) == 1
        assert sorted(c.number for c in site.counters)[0] == 1
        assert len(site.services) >= 2


def test_office_example_is_realistic() -> None:
    cfg = load_config(ROOT / "config/examples/office")
    hall = cfg.site("hall")
    assert hall is not None
    assert [i.start.isoformat() for i in hall.hours["mon"]] == ["07:30:00", "13:30:00"]
    assert hall.hours["sun"] == ()
    assert any(s.daily_cap for s in hall.services)
    assert cfg.policy_for(hall).mode == "strict"


def _broken(tmp_path: Path, site_text: str) -> Path:
    folder = tmp_path / "cfg"
    shutil.copytree(ROOT / "tests/cast", folder)
    (folder / "sites" / "hall.yaml").write_text(site_text, encoding="utf-8")
    return folder


GOOD = (ROOT / "tests/cast/sites/hall.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("prefix: A", "prefix: a1"), r"hall\.yaml: services\[0\] \(code 'cert'\)\.prefix"),
        (
            ("services: [cert, civil]", "services: [cert, nope]"),
            r"counters\[0\].*unknown service 'nope'",
        ),
        (("counters: [1, 2]", "counters: [1, 9]"), r"displays\[0\].*unknown counter 9"),
        (('"00:00-24:00"', '"9h-10h"'), r"hall\.yaml: hours: .*bad interval '9h-10h'"),
        (("prefix: B", "prefix: A"), r"services\[1\]\.prefix: 'A' is used twice"),
        (("number: 2,", "number: 1,"), r"counters\[1\]\.number: 1 is used twice"),
        (('name: "Quầy 1", ', ""), r"counters\[0\] \(number 1\)\.name: Field required"),
    ],
)
def test_errors_name_file_entry_and_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in GOOD
    folder = _broken(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError, match=expected):
        load_config(folder)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    folder = _broken(tmp_path, "code: hall\nservices: [\n")
    with pytest.raises(ConfigError, match=r"hall\.yaml: line \d+: not valid YAML"):
        load_config(folder)


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    folder = _broken(tmp_path, GOOD.replace("order: 1", "order: 1\ncolour: red"))
    with pytest.raises(ConfigError, match=r"hall\.yaml: colour: Extra inputs are not permitted"):
        load_config(folder)


def test_duplicate_display_ids_across_sites(tmp_path: Path) -> None:
    folder = _broken(tmp_path, GOOD.replace("- {id: 1,", "- {id: 2,"))
    with pytest.raises(ConfigError, match=r"displays\[0\]\.id: display id 2 is also in"):
        load_config(folder)


def test_rating_scale_must_be_3_to_5_levels(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    shutil.copytree(ROOT / "tests/cast", folder)
    main = folder / "motcua.yaml"
    main.write_text(
        main.read_text(encoding="utf-8")
        .replace('    1: {vi: "Không hài lòng", en: "Dissatisfied"}\n', "")
        .replace('    2: {vi: "Bình thường", en: "Neutral"}\n', ""),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"motcua\.yaml: rating: .*3 to 5 levels"):
        load_config(folder)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="motcua.yaml: file not found"):
        load_config(tmp_path)


def test_bare_yaml_off_means_off() -> None:
    import yaml

    from kiosk.config import Priority

    assert Priority.model_validate(yaml.safe_load("kiosk: off")).kiosk == "off"
