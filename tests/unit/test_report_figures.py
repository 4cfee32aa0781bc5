"""The report figures as pure functions: statistics, null when nothing is measured, rows that
add up, periods and query checks (no database, no Flask)."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.domain.errors import Forbidden, InvalidInput, NotFound
from kiosk.domain.figures import Fact, figures, p90, stat
from kiosk.domain.reports import Filters, ReportQuery, check_query, group, period

DAY = date(2026, 11, 25)


def fact(**kw: object) -> Fact:
    base: dict[str, object] = dict(
        day=DAY, hour=9, service="cert", counter=1, officer="anna", priority=None,
        status="done", wait_s=600, service_s=300, within_target=True, transferred=False,
        score=None,
    )  # fmt: skip
    base.update(kw)
    return Fact(**base)  # type: ignore[arg-type]


def test_statistics_by_hand() -> None:
    assert p90([]) is None
    assert p90([5]) == 5.0
    assert p90(list(range(1, 11))) == 9.0  # ceil(0.9 × 10) = 9th
    assert p90(list(range(1, 12))) == 10.0  # ceil(9.9) = 10th
    assert p90([300, 1800, 600, 300, 1200]) == 1800.0
    s = stat([300, 900, 1200, 1500])
    assert (s.avg, s.median, s.p90) == (975.0, 1050.0, 1500.0)
    assert stat([]).as_dict() == {"avg": None, "median": None, "p90": None}
    assert stat([1, 2]).avg == 1.5 and stat([1, 1, 2]).avg == 1.3


def test_nothing_to_measure_is_null_not_zero() -> None:
    empty = figures([], 4)
    assert empty.issued == 0 and empty.service_level is None and empty.ratings_avg is None
    assert empty.by_score == {"1": 0, "2": 0, "3": 0, "4": 0}
    waiting = figures([fact(status="waiting", wait_s=None, service_s=None, within_target=None)], 4)
    assert waiting.issued == 1 and waiting.wait_s.avg is None and waiting.service_level is None


def test_counts_levels_and_ratings() -> None:
    facts = [
        fact(score=4),
        fact(status="no_show", service_s=None, within_target=False, wait_s=2000),
        fact(status="cancelled", wait_s=None, service_s=None, within_target=None),
        fact(transferred=True, score=2),
    ]
    f = figures(facts, 4)
    assert (f.issued, f.served, f.no_show, f.cancelled, f.transferred) == (4, 2, 1, 1, 1)
    assert f.service_level == round(2 / 3, 4)
    assert (f.ratings_count, f.ratings_avg, f.by_score) == (
        2,
        3.0,
        {"1": 0, "2": 1, "3": 0, "4": 1},
    )
    assert f.wait_s.median == 600.0 and f.service_s.avg == 300.0


def test_rows_add_up_and_counters_agree_with_officers(cast: object) -> None:
    facts = [
        fact(counter=1, officer="anna"),
        fact(counter=2, officer="binh", hour=10),
        fact(counter=None, officer=None, status="waiting", wait_s=None, service_s=None,
             within_target=None),
    ]  # fmt: skip
    site = cast.site("hall")  # type: ignore[attr-defined]
    for by in ("counter", "officer", "hour", "service", "day", "priority"):
        r = group(cast, site, ReportQuery("hall", DAY, DAY, by), facts)  # type: ignore[arg-type]
        assert sum(row.figures.issued for row in r.rows) == 3, by
        assert r.totals == figures(facts, 4)
    by_counter = group(cast, site, ReportQuery("hall", DAY, DAY, "counter"), facts)  # type: ignore[arg-type]
    assert [row.key for row in by_counter.rows] == [1, 2, None]


def test_periods() -> None:
    assert period("day", DAY) == (DAY, DAY)
    assert period("week", DAY) == (date(2026, 11, 23), date(2026, 11, 29))
    assert period("month", DAY) == (date(2026, 11, 1), date(2026, 11, 30))
    assert period("month", date(2026, 12, 5)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert period("quarter", DAY) == (date(2026, 10, 1), date(2026, 12, 31))
    assert period("quarter", date(2024, 2, 29)) == (date(2024, 1, 1), date(2024, 3, 31))
    assert period("year", DAY) == (date(2026, 1, 1), date(2026, 12, 31))
    with pytest.raises(InvalidInput):
        period("decade", DAY)


@pytest.mark.parametrize(
    "query, allowed, error",
    [
        (ReportQuery("nowhere", DAY, DAY), None, NotFound),
        (ReportQuery("hall", DAY, DAY), "annex", Forbidden),
        (ReportQuery("hall", DAY, date(2026, 11, 24)), None, InvalidInput),
        (ReportQuery("hall", date(2025, 1, 1), DAY), None, InvalidInput),
        (ReportQuery("hall", DAY, DAY, "weather"), None, InvalidInput),
        (ReportQuery("hall", DAY, DAY, filters=Filters(service="nope")), None, InvalidInput),
        (ReportQuery("hall", DAY, DAY, filters=Filters(priority="vip")), None, InvalidInput),
    ],
)
def test_query_checks(cast: object, query: ReportQuery, allowed: str | None, error: type) -> None:
    with pytest.raises(error):
        check_query(cast, allowed, query)  # type: ignore[arg-type]
    assert check_query(cast, "hall", ReportQuery("hall", date(2025, 11, 26), DAY)).code == "hall"  # type: ignore[arg-type]


def test_filters_answered_by_cells_name_their_part() -> None:
    from kiosk.domain.report_cells import NORMAL, part_for, parts_of
    from kiosk.domain.reports import Filters

    assert part_for(Filters()) == ""
    assert part_for(Filters(service="hotich")) == "service=hotich"
    assert part_for(Filters(priority=NORMAL)) == "priority=none"
    assert part_for(Filters(priority="elderly")) == "priority=elderly"
    # A counter, an officer or two filters at once: the database groups the tickets.
    assert part_for(Filters(counter=1)) is None
    assert part_for(Filters(officer="canbo1")) is None
    assert part_for(Filters(service="hotich", priority=NORMAL)) is None
    # A ticket is in every part that would select it, and in no other.
    row = ("2026-12-01", 8, "hotich", 2, 5, None, "done", 60, 120, 0, 5, None, None, None)
    assert parts_of(row) == ("", "service=hotich", "priority=none")
    assert parts_of(row[:5] + ("elderly",) + row[6:])[2] == "priority=elderly"
