"""The figures of a report, computed from plain per-ticket facts (no database, no Flask).

One :class:`Fact` per ticket, read once from the database by :mod:`kiosk.domain.reports`;
:func:`figures` turns any group of them into the same set of numbers that the API, the
``/reports`` page and every export show. How each figure counts transfers, recalls, requeues,
holds and tickets that cross midnight is written in ``docs/reports.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Any, NamedTuple


class Fact(NamedTuple):
    """What a report needs of one ticket (durations in whole seconds, None when unmeasured)."""

    day: date  # business day of issue
    hour: int  # local hour of issue
    service: str  # the service it was issued for
    counter: int | None  # counter of its latest call (None: never called)
    officer: str | None  # officer of its latest call (username)
    priority: str | None
    status: str  # status now
    wait_s: int | None  # issue → first call
    service_s: int | None  # first call → done (done tickets only)
    within_target: bool | None  # first called within its service's target wait (called only)
    transferred: bool
    score: int | None  # its rating, if any


@dataclass(frozen=True)
class Stat:
    avg: float | None
    median: float | None
    p90: float | None

    def as_dict(self) -> dict[str, float | None]:
        return {"avg": self.avg, "median": self.median, "p90": self.p90}


@dataclass(frozen=True)
class Figures:
    issued: int
    served: int
    no_show: int
    cancelled: int
    transferred: int
    wait_s: Stat
    service_s: Stat
    service_level: float | None
    ratings_count: int
    ratings_avg: float | None
    by_score: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        """The figures as the API writes them (``F``)."""
        return {
            "issued": self.issued,
            "served": self.served,
            "no_show": self.no_show,
            "cancelled": self.cancelled,
            "transferred": self.transferred,
            "wait_s": self.wait_s.as_dict(),
            "service_s": self.service_s.as_dict(),
            "service_level": self.service_level,
            "ratings": {
                "count": self.ratings_count,
                "avg": self.ratings_avg,
                "by_score": dict(self.by_score),
            },
        }


def p90(values: Sequence[int]) -> float | None:
    """The 90th percentile by nearest rank: the smallest value with at least 90 % of the
    values at or below it (always one of the values). None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[(9 * len(ordered) + 9) // 10 - 1])  # ceil(0.9 n), in integers


def stat(values: Sequence[int]) -> Stat:
    """Mean (one decimal), median (the middle value, or the mean of the two middle ones) and
    p90 of ``values``; all None when there are none."""
    if not values:
        return Stat(None, None, None)
    return Stat(round(sum(values) / len(values), 1), float(median(values)), p90(values))


def figures(facts: Iterable[Fact], scale: int) -> Figures:
    """Every figure of one group of tickets; ``scale`` is the rating scale (scores 1…scale)."""
    issued = served = no_show = cancelled = transferred = 0
    waits: list[int] = []
    services: list[int] = []
    called = within = 0
    scores = dict.fromkeys(range(1, scale + 1), 0)
    for f in facts:
        issued += 1
        if f.status == "done":
            served += 1
        elif f.status == "no_show":
            no_show += 1
        elif f.status == "cancelled":
            cancelled += 1
        if f.transferred:
            transferred += 1
        if f.wait_s is not None:
            waits.append(f.wait_s)
        if f.service_s is not None:
            services.append(f.service_s)
        if f.within_target is not None:
            called += 1
            within += f.within_target
        if f.score is not None:
            scores[f.score] = scores.get(f.score, 0) + 1
    rated = sum(scores.values())
    return Figures(
        issued=issued,
        served=served,
        no_show=no_show,
        cancelled=cancelled,
        transferred=transferred,
        wait_s=stat(waits),
        service_s=stat(services),
        service_level=round(within / called, 4) if called else None,
        ratings_count=rated,
        ratings_avg=round(sum(k * n for k, n in scores.items()) / rated, 2) if rated else None,
        by_score={str(k): n for k, n in sorted(scores.items())},
    )
