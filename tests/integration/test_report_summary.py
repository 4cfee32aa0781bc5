"""The report summary (closed days copied into ``report_facts``) gives exactly the figures of
the tickets themselves, on SQLite and on PostgreSQL: over random ranges and filters of demo
history, with today read live, and after late changes to a closed day (a ticket finished
after midnight, a rating given after midnight)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from tests.conftest import CAST, Actions, app_on, at, database_url

DEMO = Path(__file__).resolve().parents[2] / "config"
GROUPINGS = ("service", "counter", "officer", "hour", "day", "priority")


def _app(request: pytest.FixtureRequest, tmp_path: Path, clock: Any, config: Path) -> Any:
    url = database_url(request, tmp_path, "summary.sqlite3")
    spool = f"spool:{tmp_path / 'spool'}"
    return app_on(url, tmp_path, clock, config, secret_key="x", printer=spool)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def demo(request: pytest.FixtureRequest, tmp_path: Path, clock: Any) -> Iterator[Actions]:
    with _app(request, tmp_path, clock, DEMO) as app:
        yield Actions(app, app.test_client())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hall(request: pytest.FixtureRequest, tmp_path: Path, clock: Any) -> Iterator[Actions]:
    with _app(request, tmp_path, clock, CAST) as app:
        yield Actions(app, app.test_client())


def summarised_days(m: Any, site: str = "hall") -> set[date]:
    from kiosk.models import ReportDay

    with m.db.read() as s:
        return set(s.scalars(select(ReportDay.business_day).where(ReportDay.site == site)))


def assert_as_the_tickets_say(m: Any, q: Any) -> None:
    """Every grouping of ``q`` as reported equals the per-ticket computation on ``tickets``."""
    from kiosk.domain.reports import ReportQuery, build_report, group, load_facts

    site = m.config.site(q.site)
    with m.db.read() as s:
        for by in GROUPINGS:
            one = ReportQuery(q.site, q.start, q.end, by, q.filters)
            reference = group(m.config, site, one, load_facts(s, m.config, m.clock, site, one))
            found = build_report(s, m.config, m.clock, one, None)
            assert found.totals == reference.totals, (by, one)
            assert found.rows == reference.rows, (by, one)


def test_summary_equals_the_tickets_over_random_ranges_and_filters(demo: Actions) -> None:
    from kiosk.demo import create_demo
    from kiosk.demo_history import fill_history
    from kiosk.domain import report_extras
    from kiosk.domain.clock import business_day
    from kiosk.domain.reports import NORMAL, Filters, ReportQuery, filtered, officers_of
    from kiosk.models import Rating, ReportDay, ReportFact, Ticket, User

    m = demo.m
    create_demo(m)
    list(fill_history(m, 8))
    today = business_day(m.clock)
    first = today - timedelta(days=9)  # the 8 business days and one Sunday
    # The history left every closed day summarised; today is never summarised.
    closed = {first + timedelta(days=i) for i in range(9)}
    assert closed <= summarised_days(m) and today not in summarised_days(m)
    with m.db.read() as s:
        tickets = s.scalar(select(func.count()).select_from(Ticket).where(Ticket.site == "hall"))
        assert s.scalar(select(func.count()).select_from(ReportFact)) > 0
        officers = officers_of(s, "hall", first, today)
    # Today has tickets too: waiting, served and rated, read live.
    kiosk = demo.device("kiosk-live", "kiosk", site="hall")
    staff = demo.user("live", "staff", site="hall")
    for _ in range(3):
        assert demo.issue(kiosk, service="chungthuc").status_code == 201
    called = demo.call_next(staff, counter=1).get_json()["id"]
    m.clock.advance(minutes=4)
    assert demo.act(staff, called, "done").status_code in (200, 204)

    hall = m.config.site("hall")
    groups = [g.code for g in m.config.settings.priority.groups]
    rng = random.Random(20261203)
    queries = [ReportQuery("hall", first, today)]
    for _ in range(6):
        start = first + timedelta(days=rng.randrange(10))
        end = start + timedelta(days=rng.randrange((today - start).days + 1))
        filters = Filters(
            service=rng.choice([None, *(svc.code for svc in hall.services)]),
            counter=rng.choice([None, *(c.number for c in hall.counters)]),
            officer=rng.choice([None, *officers]),
            priority=rng.choice([None, NORMAL, *groups]),
        )
        queries.append(ReportQuery("hall", start, end, filters=filters))
        # One service or one priority group: answered from the cells of that part.
        queries.append(ReportQuery("hall", start, end, filters=Filters(service=filters.service)))
        queries.append(ReportQuery("hall", start, end, filters=Filters(priority=filters.priority)))
    for group in (NORMAL, *groups):
        queries.append(ReportQuery("hall", first, today, filters=Filters(priority=group)))
    for q in queries:
        assert_as_the_tickets_say(m, q)

    # Reasons given with ratings, and attitude complaints per officer, as the tickets say.
    q = queries[0]
    with m.db.read() as s:
        given = s.execute(
            select(User.username, Rating.reasons)
            .select_from(Ticket)
            .join(Rating, Rating.ticket_id == Ticket.id)
            .outerjoin(User, User.id == Ticket.officer_id)
            .where(Ticket.site == "hall", Ticket.business_day.between(q.start, q.end))
        ).all()
        reasons = {
            r.code: r.count for r in report_extras.rating_reasons(s, m.config, m.clock, hall, q)
        }
        attitude = report_extras.attitude_by_officer(s, m.clock, hall, q)
    assert reasons == {code: sum(code in (found or ()) for _, found in given) for code in reasons}
    assert sum(reasons.values()) > 0
    expected: dict[str, int] = {}
    for officer, found in given:
        if "attitude" in (found or ()):
            expected[officer or "–"] = expected.get(officer or "–", 0) + 1
    assert attitude == expected and list(attitude.values()) == sorted(attitude.values())[::-1]

    # With one service or one priority group, the reasons come from that part's cells: the
    # same counts as the tickets of the filter give.
    for one in (Filters(service="chungthuc"), Filters(priority=NORMAL)):
        fq = ReportQuery("hall", first, today, filters=one)
        with m.db.read() as s:
            found = report_extras.rating_reasons(s, m.config, m.clock, hall, fq)
            of_filter = s.scalars(
                select(Rating.reasons)
                .select_from(Ticket)
                .join(Rating, Rating.ticket_id == Ticket.id)
                .outerjoin(User, User.id == Ticket.officer_id)
                .where(*filtered(fq))
            ).all()
        counted = {r.code: r.count for r in found}
        assert counted == {c: sum(c in (g or ()) for g in of_filter) for c in counted}, one
        assert sum(counted.values()) > 0

    # Counter use from the summary equals counter use from the tickets alone.
    with m.db.read() as s:
        summarised = report_extras.counter_use(s, m.clock, hall, q)
    with m.db.transaction() as s:
        s.execute(delete(ReportDay))
    with m.db.read() as s:
        assert report_extras.counter_use(s, m.clock, hall, q) == summarised
        assert sum(c.served for c in summarised) > 0
    assert tickets > 500


def test_late_changes_to_a_closed_day_never_leave_stale_figures(hall: Actions, clock: Any) -> None:
    from kiosk.domain.reports import ReportQuery

    m = hall.m
    kiosk = hall.device("kiosk-1", "kiosk")
    anna = hall.user("anna", "staff", site="hall")
    tab = hall.device("tab-1", "counter", counter=1)
    boss = hall.user("boss", "supervisor", site="hall")
    d1, d2 = date(2026, 11, 24), date(2026, 11, 25)

    def report() -> dict[str, Any]:
        reply = hall.client.get(
            f"/api/v1/reports?site=hall&from={d1}&to={d2}&by=day", headers=hall.auth(boss)
        )
        assert reply.status_code == 200, reply.get_json()
        assert_as_the_tickets_say(m, ReportQuery("hall", d1, d2))
        return {r["key"]: r for r in reply.get_json()["rows"]}

    # Late on D1: T is called at 23:40 (still being served at midnight), U waits.
    clock.set(at("2026-11-24 23:30"))
    t = hall.issue(kiosk).get_json()["id"]
    hall.issue(kiosk)
    clock.set(at("2026-11-24 23:40"))
    assert hall.call_next(anna, counter=1).status_code == 200
    # After midnight the first report summarises D1 (closed) and reads D2 (today) live.
    clock.set(at("2026-11-25 00:10"))
    rows = report()
    assert summarised_days(m) == {d1}
    assert (rows[str(d1)]["issued"], rows[str(d1)]["served"]) == (2, 0)
    # T is finished after midnight: D1 leaves the summary and its figures follow at once.
    clock.set(at("2026-11-25 00:15"))
    assert hall.act(anna, t, "done").status_code in (200, 204)
    assert summarised_days(m) == set()
    rows = report()
    assert rows[str(d1)]["served"] == 1
    assert rows[str(d1)]["service_s"]["median"] == 35 * 60
    assert summarised_days(m) == {d1}  # summarised again, with T done
    # A rating for T arrives after midnight.
    rated = hall.client.post(
        f"/api/v1/tickets/{t}/rating", json={"score": 4}, headers=hall.auth(tab)
    )
    assert rated.status_code in (200, 201, 204), rated.get_json()
    assert summarised_days(m) == set()
    rows = report()
    assert rows[str(d1)]["ratings"]["count"] == 1 and rows[str(d1)]["ratings"]["avg"] == 4
    # Today's tickets are counted live and today is never summarised.
    hall.issue(kiosk)
    rows = report()
    assert rows[str(d2)]["issued"] == 1 and summarised_days(m) == {d1}
    assert rows[str(d1)]["service_level"] == 1.0  # T waited 10 min, the target is 20


def test_cells_counted_with_other_target_waits_are_not_used(hall: Actions, clock: Any) -> None:
    from kiosk.domain.reports import ReportQuery, build_report, group, load_facts

    m = hall.m
    kiosk = hall.device("kiosk-1", "kiosk")
    anna = hall.user("anna", "staff", site="hall")
    clock.set(at("2026-11-24 09:00"))
    hall.issue(kiosk)
    clock.set(at("2026-11-24 09:10"))
    assert hall.call_next(anna, counter=1).status_code == 200
    clock.set(at("2026-11-25 08:00"))
    boss = hall.user("boss", "supervisor", site="hall")
    query = "site=hall&from=2026-11-24&to=2026-11-24&by=service"
    assert hall.client.get(f"/api/v1/reports?{query}", headers=hall.auth(boss)).status_code == 200
    assert summarised_days(m) == {date(2026, 11, 24)}
    # The target wait of every service drops to 5 minutes (a configuration change).
    site = m.config.site("hall")
    services = tuple(svc.model_copy(update={"target_wait_min": 5}) for svc in site.services)
    site = site.model_copy(update={"services": services})
    cfg = m.config.model_copy(update={"sites": (site,)})
    q = ReportQuery("hall", date(2026, 11, 24), date(2026, 11, 24))
    with m.db.read() as s:
        found = build_report(s, cfg, m.clock, q, None)
        reference = group(cfg, site, q, load_facts(s, cfg, m.clock, site, q))
        before = build_report(s, m.config, m.clock, q, None)
    assert found == reference and found.totals.service_level == 0.0
    assert before.totals.service_level == 1.0


def test_a_change_to_a_column_no_figure_reads_keeps_the_summary(hall: Actions) -> None:
    from kiosk.db import Database
    from kiosk.domain.report_summary import summarise, unsummarised
    from kiosk.models import Ticket

    m = hall.m
    kiosk = hall.device("kiosk-1", "kiosk")
    ticket = hall.issue(kiosk).get_json()["id"]
    m.clock.advance(days=1)
    db: Database = m.db
    with db.transaction() as s:
        day = s.get(Ticket, ticket).business_day  # type: ignore[union-attr]
        site = m.config.site("hall")
        summarise(s, m.clock, site, unsummarised(s, m.clock, site, day, day))
    with db.transaction() as s:
        s.get(Ticket, ticket).note = "ghi chú"  # type: ignore[union-attr]
    assert summarised_days(m) == {day}
    with db.transaction() as s:
        s.get(Ticket, ticket).priority = None  # type: ignore[union-attr]
        s.get(Ticket, ticket).status = "cancelled"  # type: ignore[union-attr]
    assert summarised_days(m) == set()
