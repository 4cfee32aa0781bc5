"""GET /api/v1/reports on the hand-computed story of tests/reports_cast.py, on SQLite and on
PostgreSQL: every figure, every grouping, permissions and hostile parameters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import reports_cast as story
from tests.conftest import CAST, Actions


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def played(request: pytest.FixtureRequest, tmp_path: Path, clock: Any) -> Iterator[Actions]:
    """The story played on a fresh app over SQLite or PostgreSQL; a supervisor 'boss'."""
    from kiosk import create_app
    from kiosk.dbsetup import load_config, upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_url")
    app = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(CAST),
            "database_url": url,
            "secret_key": "x",
            "public_url": "http://motcua.test",
            "clock": clock,
            "testing": True,
        }
    )
    m = app.extensions["motcua"]
    upgrade(m.db)
    load_config(m.db, m.config)
    a = Actions(app, app.test_client())
    story.play(a, clock)
    a.boss = a.user("boss", "supervisor", site="hall")  # type: ignore[attr-defined]
    yield a
    m.db.dispose()


def get(a: Actions, query: str, token: str | None = None, **headers: str) -> Any:
    token = token or a.boss  # type: ignore[attr-defined]
    return a.client.get(f"/api/v1/reports?{query}", headers=a.auth(token, **headers))


RANGE = f"site=hall&from={story.D1}&to={story.D2}"


def rows(body: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    return {r.pop("key"): r for r in body["rows"]}


def test_totals_and_every_grouping_match_the_hand_computed_story(played: Actions) -> None:
    expected = {
        "counter": story.BY_COUNTER,
        "officer": story.BY_OFFICER,
        "day": story.BY_DAY,
        "service": story.BY_SERVICE,
        "priority": story.BY_PRIORITY,
    }
    for by, want in expected.items():
        reply = get(played, f"{RANGE}&by={by}")
        assert reply.status_code == 200, reply.get_json()
        body = reply.get_json()
        assert (body["site"], body["from"], body["to"], body["by"]) == (
            "hall",
            story.D1,
            story.D2,
            by,
        )
        assert body["totals"] == story.TOTALS, by
        got = rows(body)
        if by == "priority":
            got = {k: v for k, v in got.items() if v["issued"]}
        assert got == want, by
    hours = rows(get(played, f"{RANGE}&by=hour").get_json())
    assert list(hours) == list(range(9, 24))
    assert {h: r["issued"] for h, r in hours.items() if r["issued"]} == story.HOUR_ISSUED
    assert hours[12]["wait_s"] == {"avg": None, "median": None, "p90": None}


def test_counter_and_officer_rows_add_up_to_the_totals(played: Actions) -> None:
    for by in ("counter", "officer", "service", "hour", "day", "priority"):
        body = get(played, f"{RANGE}&by={by}").get_json()
        for name in ("issued", "served", "no_show", "cancelled", "transferred"):
            assert sum(r[name] for r in body["rows"]) == body["totals"][name], (by, name)


def test_filters_and_one_day(played: Actions) -> None:
    d1 = get(played, f"site=hall&from={story.D1}&to={story.D1}").get_json()
    assert d1["totals"] == story.BY_DAY[story.D1]
    by_anna = get(played, f"{RANGE}&officer=anna&by=day").get_json()
    assert by_anna["totals"] == story.BY_COUNTER[1]
    counter2 = get(played, f"{RANGE}&counter=2").get_json()
    assert counter2["totals"] == story.BY_COUNTER[2]
    civil = get(played, f"{RANGE}&service=civil&by=counter").get_json()
    assert civil["totals"] == story.BY_SERVICE["civil"]
    elderly = get(played, f"{RANGE}&priority=elderly").get_json()
    assert elderly["totals"] == story.BY_PRIORITY["elderly"]
    normal = get(played, f"{RANGE}&priority=none").get_json()
    assert normal["totals"] == story.BY_PRIORITY[None]


def test_nothing_to_measure_is_null(played: Actions) -> None:
    body = get(played, "site=hall&from=2026-01-01&to=2026-01-31&by=day").get_json()
    assert body["totals"]["issued"] == 0 and body["totals"]["service_level"] is None
    assert body["totals"]["ratings"]["avg"] is None and len(body["rows"]) == 31


def test_who_may_read_reports(played: Actions) -> None:
    a = played
    staff = a.user("chi", "staff", site="hall")
    assert get(a, RANGE, staff).status_code == 403
    kiosk = a.device("kiosk-2", "kiosk")
    assert get(a, RANGE, kiosk).status_code == 403
    assert a.client.get(f"/api/v1/reports?{RANGE}").status_code == 401
    annex_boss = a.user("annex-boss", "supervisor", site="annex")
    reply = get(a, RANGE, annex_boss)
    assert reply.status_code == 403 and reply.get_json()["error"]["code"] == "forbidden"
    admin = a.user("root", "admin")
    assert get(a, RANGE, admin).get_json()["totals"] == story.TOTALS
    assert get(a, "site=annex&from=2026-11-25&to=2026-11-25", admin).status_code == 200


@pytest.mark.parametrize(
    "query, status",
    [
        ("site=hall&from=2026-11-25", 422),
        ("site=hall&from=2026-11-26&to=2026-11-25", 422),
        ("site=hall&from=2025-01-01&to=2026-11-25", 422),
        ("site=hall&from=2026-02-30&to=2026-03-01", 422),
        ("site=hall&from=1900-01-01&to=1900-01-02", 422),
        ("site=hall&from=99999-01-01&to=2026-01-02", 422),
        ("site=hall&from=２０２６-01-01&to=2026-01-02", 422),
        ("site=nowhere&from=2026-11-25&to=2026-11-25", 404),
        ("from=2026-11-25&to=2026-11-25", 422),
        ("site=hall&from=2026-11-25&to=2026-11-25&by=weather", 422),
        ("site=hall&from=2026-11-25&to=2026-11-25&service=nope", 422),
        ("site=hall&from=2026-11-25&to=2026-11-25&priority=vip", 422),
        ("site=hall&from=2026-11-25&to=2026-11-25&counter=99999999999999999999", 422),
        ("site=hall&from=2026-11-25&to=2026-11-25&counter=-1", 422),
        ("site=hall&from=2026-11-25&to=2026-11-25&officer=%C3%A9%27%3B--", 422),
        ("site=hall%00&from=2026-11-25&to=2026-11-25", 400),
        ("site=" + "h" * 5000 + "&from=2026-11-25&to=2026-11-25", 422),
    ],
)
def test_hostile_parameters_are_clean_4xx(actions: Actions, query: str, status: int) -> None:
    boss = actions.user("boss", "supervisor")
    reply = get(actions, query, boss, **{"Accept-Language": "en"})
    assert reply.status_code == status
    if status != 400:
        error = reply.get_json()["error"]
        assert error["code"] and error["message"].isascii()
