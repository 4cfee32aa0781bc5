"""The live configuration: one loader for files and documents, and admins' changes validated
by it (nothing stored on a refusal)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import ConfigError, config_from_documents, load_config, read_documents
from kiosk.db import Database
from kiosk.domain import configuration, site_setup
from kiosk.domain.clock import FixedClock
from kiosk.domain.errors import InvalidInput, NotFound, ServiceClosed
from kiosk.domain.tickets import Actor, issue_ticket
from kiosk.views.admin_setup import hours_text, parse_hours
from tests.conftest import CAST

ROOT = Path(__file__).resolve().parents[2]
ADMIN = Actor(user_id=None, role="admin")


@pytest.mark.parametrize("folder", ["config", "config/examples/office", "tests/cast"])
def test_documents_and_files_give_the_same_configuration(folder: str) -> None:
    path = ROOT / folder
    assert config_from_documents(read_documents(path), path) == load_config(path)


def test_errors_name_file_entry_and_field() -> None:
    docs = read_documents(CAST)
    docs["sites/hall.yaml"] = docs["sites/hall.yaml"].replace("prefix: B", "prefix: A")
    with pytest.raises(ConfigError, match=r"sites/hall\.yaml: services\[1\]\.prefix: 'A' is used"):
        config_from_documents(docs, CAST)
    docs = read_documents(CAST)
    del docs["motcua.yaml"]
    with pytest.raises(ConfigError, match=r"motcua\.yaml: file not found"):
        config_from_documents(docs, CAST)


@pytest.fixture
def seeded(db: Database, clock: FixedClock) -> Any:
    with db.transaction() as s:
        configuration.seed(s, datetime.now(UTC), read_documents(CAST), CAST)
    return db


def _cfg(db: Database) -> Any:
    with db.read() as s:
        return configuration.build(configuration.read_documents(s), CAST).config


def test_seed_only_into_an_empty_database(seeded: Database) -> None:
    with seeded.transaction() as s:
        assert configuration.seed(s, datetime.now(UTC), {}, CAST) is None
        assert configuration.live_version(s) == 1


def test_add_service_and_counter(seeded: Database, clock: FixedClock) -> None:
    cfg = _cfg(seeded)
    with seeded.transaction() as s:
        _, events = site_setup.add_service(
            s,
            cfg,
            clock,
            ADMIN,
            "hall",
            {"code": "land", "prefix": "C", "name": "Đất đai", "target_wait_s": 1800},
        )
        assert events[0].version == 2
    with seeded.transaction() as s:
        site_setup.add_counter(
            s,
            _cfg(seeded),
            clock,
            ADMIN,
            "hall",
            {"number": 3, "name": "Quầy 3", "services": ["land"]},
        )
    hall = _cfg(seeded).site("hall")
    assert hall.service("land").target_wait_min == 30
    assert hall.counter(3).services == ("land",)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"code": "cert", "prefix": "C", "name": "x"}, "code"),
        ({"code": "land", "prefix": "A", "name": "x"}, "prefix"),
        ({"code": "land", "prefix": "C", "name": "x", "daily_cap": -1}, "daily_cap"),
        ({"code": "land", "prefix": "C", "name": " "}, "name"),
        ({"code": "land", "prefix": "C", "name": "x", "target_wait_s": 5}, "target_wait_s"),
    ],
)
def test_refused_service_changes_nothing(
    seeded: Database, clock: FixedClock, values: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as err, seeded.transaction() as s:
        site_setup.add_service(s, _cfg(seeded), clock, ADMIN, "hall", values)
    assert err.value.extra["field"] == field and err.value.en
    with seeded.read() as s:
        assert configuration.live_version(s) == 1


def test_validators_of_the_files_refuse_bad_hours(seeded: Database, clock: FixedClock) -> None:
    with pytest.raises(configuration.ConfigInvalid, match=r"hall\.yaml: services\[0\].*hours"):
        with seeded.transaction() as s:
            site_setup.update_service(
                s, _cfg(seeded), clock, ADMIN, "hall", "cert", {"hours": {"someday": ["8:00-9:00"]}}
            )


def test_counter_with_unknown_service_and_unknown_site(seeded: Database, clock: FixedClock):
    with pytest.raises(InvalidInput, match="nope"), seeded.transaction() as s:
        site_setup.update_counter(s, _cfg(seeded), clock, ADMIN, "hall", 1, {"services": ["nope"]})
    with pytest.raises(NotFound), seeded.transaction() as s:
        site_setup.add_counter(
            s, _cfg(seeded), clock, ADMIN, "mars", {"number": 1, "name": "x", "services": ["a"]}
        )


def test_site_bound_admin_changes_only_their_site(seeded: Database, clock: FixedClock):
    from kiosk.domain.errors import Forbidden

    bound = Actor(user_id=None, role="admin", site="annex")
    with pytest.raises(Forbidden), seeded.transaction() as s:
        site_setup.update_service(s, _cfg(seeded), clock, bound, "hall", "cert", {"name": "x"})


def test_a_disabled_service_refuses_tickets(seeded: Database, clock: FixedClock) -> None:
    with seeded.transaction() as s:
        site_setup.update_service(
            s, _cfg(seeded), clock, ADMIN, "hall", "civil", {"enabled": False}
        )
    cfg = _cfg(seeded)
    assert cfg.site("hall").service("civil").enabled is False
    with pytest.raises(ServiceClosed) as err, seeded.transaction() as s:
        issue_ticket(s, cfg, clock, Actor(role="kiosk"), site="hall", service="civil")
    assert err.value.code == "service_closed"


def test_hours_as_typed_in_the_form() -> None:
    text = "mon-fri: 07:30-11:30, 13:30-17:00\nsat: 07:30-11:30"
    hours = parse_hours(text)
    assert hours == {"mon-fri": ["07:30-11:30", "13:30-17:00"], "sat": ["07:30-11:30"]}
    assert hours_text(hours) == text
    assert parse_hours("  ") is None
    with pytest.raises(InvalidInput):
        parse_hours("every morning")
