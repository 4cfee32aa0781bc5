"""motcua demo --history: simulated past days on the demo configuration, on SQLite and on
PostgreSQL — consistent numbering, nothing filled twice, today's queue untouched, and reports
whose rows add up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import Actions, app_on, database_url

DEMO = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def demo(request: pytest.FixtureRequest, tmp_path: Path, clock: Any) -> Iterator[Actions]:
    url = database_url(request, tmp_path, "demo.sqlite3")
    spool = f"spool:{tmp_path / 'spool'}"
    with app_on(url, tmp_path, clock, DEMO, secret_key="x", printer=spool) as app:
        yield Actions(app, app.test_client())


def test_history_fills_past_business_days_once_and_keeps_today(demo: Actions) -> None:
    from kiosk.demo import create_demo
    from kiosk.demo_history import fill_history, history_days
    from kiosk.domain.reports import ReportQuery, build_report
    from kiosk.models import Rating, Ticket, TicketNumber, UsageCount

    m = demo.m
    create_demo(m)
    lines = list(fill_history(m, 6))
    assert len(lines) == 3 and all("over 6 business days" in line for line in lines)
    hall = m.config.site("hall")
    days = history_days(hall, m.config, m.clock.now().astimezone(m.clock.tz).date(), 6)
    assert all(d.weekday() != 6 for d in days) and len(days) == 6  # no Sundays
    with m.db.read() as s:
        tickets = s.scalar(select(func.count()).select_from(Ticket))
        assert 2500 < tickets < 5000  # six days of three sites, one of them a Saturday
        statuses = set(s.scalars(select(Ticket.status).distinct()))
        assert statuses <= {"done", "no_show", "cancelled"} and "done" in statuses
        assert s.scalar(select(func.count()).select_from(Rating)) > 300
        assert s.scalar(select(func.sum(UsageCount.count)).where(UsageCount.site == "ct1a")) > 0
        # Numbering rows match the tickets: last_seq is the highest number of each queue.
        seqs = dict(
            ((site, svc, day), n)
            for site, svc, day, n in s.execute(
                select(
                    Ticket.site, Ticket.origin_service, Ticket.business_day, func.max(Ticket.seq)
                ).group_by(Ticket.site, Ticket.origin_service, Ticket.business_day)
            )
        )
        rows = {
            (r.site, r.service, r.business_day): r.last_seq for r in s.scalars(select(TicketNumber))
        }
        assert rows == seqs
        report = {
            by: build_report(s, m.config, m.clock, ReportQuery("hall", days[-1], days[0], by), None)
            for by in ("counter", "officer", "day")
        }
    assert report["counter"].totals == report["officer"].totals
    # The database's figures equal the reference computation in Python, row by row.
    from kiosk.domain.reports import group, load_facts

    with m.db.read() as s:
        for by in ("service", "counter", "officer", "hour", "day", "priority"):
            q = ReportQuery("hall", days[-1], days[0], by)
            reference = group(m.config, hall, q, load_facts(s, m.config, m.clock, hall, q))
            found = build_report(s, m.config, m.clock, q, None)
            assert found.totals == reference.totals, by
            assert found.rows == reference.rows, by
    for by, r in report.items():
        assert sum(row.figures.issued for row in r.rows) == r.totals.issued, by
        assert sum(row.figures.served for row in r.rows) == r.totals.served, by
    assert 0.2 < (report["day"].totals.service_level or 0) <= 1

    again = list(fill_history(m, 6))
    assert all(
        line.startswith(f"{site}: 0 tickets")
        for line, site in zip(again, ("hall", "ct1a", "ct1b2"), strict=True)
    )
    with m.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == tickets

    # Today's queue starts at 001 and call-next picks today's ticket.
    kiosk = demo.device("kiosk-test", "kiosk", site="hall")
    staff = demo.user("today", "staff", site="hall")
    issued = demo.issue(kiosk, service="chungthuc").get_json()
    assert issued["number"] == "A001" and issued["ahead"] == 0
    assert demo.call_next(staff, counter=1).get_json()["id"] == issued["id"]
