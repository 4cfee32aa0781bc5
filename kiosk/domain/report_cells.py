"""Reports from per-day cells: for each summarised day, each part of its tickets and each
grouping, one row per key (``report_cells``) with the counts, the rating tallies and the
sorted list of every wait and service time in whole seconds. A year's report merges a few
thousand cells instead of grouping ~150,000 tickets; the lists keep every duration, so the
medians and p90 are exact. The parts are every ticket (""), the tickets of one service
("service=CODE") and those of one priority group ("priority=GROUP", ``NORMAL`` for none): a
report filtered by one service or one priority group merges cells as an unfiltered one does.
Days without cells (today, a day changed since) are made into cells in Python from their
tickets, by the same code that made the stored ones. Rules: docs/reports.md."""

from __future__ import annotations

import json
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from kiosk.domain.figures import Figures, Stat
from kiosk.models import ReportCell

if TYPE_CHECKING:
    from kiosk.domain.reports import Filters

NORMAL = "none"  # the priority filter's value for tickets without a priority group
EVERY = ""  # the part of every ticket

# Index of each column in a row of report_summary.COLUMNS.
_DAY, _HOUR, _SERVICE, _COUNTER, _OFFICER, _PRIORITY, _STATUS = range(7)
_WAIT, _SERVE, _MOVED, _SCORE = range(7, 11)
_REASONS = 13
KEY_INDEX = {
    "service": _SERVICE,
    "counter": _COUNTER,
    "officer": _OFFICER,  # the user id; usernames are looked up afterwards
    "hour": _HOUR,
    "day": _DAY,
    "priority": _PRIORITY,
}


@dataclass
class Cell:
    """The tickets of one key of one grouping (over one day, or merged over many)."""

    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    transferred: int = 0
    timed: int = 0  # called, of a service with a target wait
    within: int = 0  # of those, first called within the target
    scores: dict[int, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)  # reason code -> ratings giving it
    waits: list[int] = field(default_factory=list)
    serves: list[int] = field(default_factory=list)

    def add(self, other: Cell) -> None:
        self.issued += other.issued
        self.served += other.served
        self.no_show += other.no_show
        self.cancelled += other.cancelled
        self.transferred += other.transferred
        self.timed += other.timed
        self.within += other.within
        for k, n in other.scores.items():
            self.scores[k] = self.scores.get(k, 0) + n
        for code, n in other.reasons.items():
            self.reasons[code] = self.reasons.get(code, 0) + n
        self.waits += other.waits
        self.serves += other.serves

    def figures(self, scale: int) -> Figures:
        scores = [self.scores.get(k, 0) for k in range(1, scale + 1)]
        rated = sum(scores)
        return Figures(
            issued=self.issued,
            served=self.served,
            no_show=self.no_show,
            cancelled=self.cancelled,
            transferred=self.transferred,
            wait_s=_stat(self.waits),
            service_s=_stat(self.serves),
            service_level=round(self.within / self.timed, 4) if self.timed else None,
            ratings_count=rated,
            ratings_avg=round(sum(k * n for k, n in enumerate(scores, 1)) / rated, 2)
            if rated
            else None,
            by_score={str(k): n for k, n in enumerate(scores, 1)},
        )


def _stat(values: list[int]) -> Stat:
    """As :func:`kiosk.domain.figures.stat`, on integers."""
    n = len(values)
    if n == 0:
        return Stat(None, None, None)
    values.sort()  # runs of sorted lists: a merge
    middle = (values[(n - 1) // 2] + values[n // 2]) / 2
    return Stat(round(sum(values) / n, 1), middle, float(values[(9 * n + 9) // 10 - 1]))


def cells_of(
    rows: Iterable[Sequence[Any]], targets: dict[str, int], by: str
) -> dict[tuple[date, Any], Cell]:
    """Cells per (business day, key of ``by``) of fact rows (``report_summary.COLUMNS``)."""
    index = KEY_INDEX[by]
    out: dict[tuple[date, Any], Cell] = {}
    for row in rows:
        key = (row[_DAY], row[index])
        cell = out.get(key)
        if cell is None:
            cell = out[key] = Cell()
        cell.issued += 1
        status = row[_STATUS]
        if status == "done":
            cell.served += 1
        elif status == "no_show":
            cell.no_show += 1
        elif status == "cancelled":
            cell.cancelled += 1
        cell.transferred += row[_MOVED]
        wait = row[_WAIT]
        if wait is not None:
            cell.waits.append(wait)
            target = targets.get(row[_SERVICE])
            if target is not None:
                cell.timed += 1
                cell.within += wait <= target
        if row[_SERVE] is not None:
            cell.serves.append(row[_SERVE])
        if row[_SCORE] is not None:
            cell.scores[row[_SCORE]] = cell.scores.get(row[_SCORE], 0) + 1
        for code in row[_REASONS] or ():
            cell.reasons[code] = cell.reasons.get(code, 0) + 1
    return out


GROUPINGS = tuple(KEY_INDEX)


def part_for(filters: Filters) -> str | None:
    """The part whose cells answer a report with ``filters``: every ticket, one service or
    one priority group; None for any other filter (a counter, an officer, two filters), which
    the database then groups from the tickets."""
    chosen = {name: value for name, value in vars(filters).items() if value is not None}
    if not chosen:
        return EVERY
    if len(chosen) == 1 and chosen.keys() <= {"service", "priority"}:
        ((name, value),) = chosen.items()
        return f"{name}={value}"
    return None


def parts_of(row: Sequence[Any]) -> tuple[str, str, str]:
    """The parts a fact row (``report_summary.COLUMNS``) belongs to."""
    return EVERY, f"service={row[_SERVICE]}", f"priority={row[_PRIORITY] or NORMAL}"


def pack(seconds: list[int]) -> bytes:
    """Durations as stored: sorted, 4-byte little-endian integers (read back many thousands
    at a time without parsing)."""
    packed = array("i", sorted(seconds))
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack(data: bytes) -> list[int]:
    packed = array("i")
    packed.frombytes(data)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tolist()


def encode(key: Any) -> str:
    """A key as stored: its text ("" for none; a business day as ISO text either way)."""
    return "" if key is None else str(key)


def decode(by: str, text: str) -> Any:
    """The key :func:`encode` stored (user ids for officers)."""
    if text == "":
        return None
    if by in ("counter", "hour", "officer"):
        return int(text)
    return date.fromisoformat(text) if by == "day" else text


def merge(out: dict[str, Cell], code: str, cell: Cell) -> None:
    """Add ``cell`` to the cell of ``code`` in ``out`` (or make it that cell)."""
    if code in out:
        out[code].add(cell)
    else:
        out[code] = cell


def live(
    rows: Iterable[Sequence[Any]],
    targets: dict[str, int],
    by: str,
    out: dict[str, Cell],
    part: str = EVERY,
) -> None:
    """Merge into ``out`` the cells of part ``part`` of fact rows ``rows``, per encoded key."""
    if part != EVERY:
        rows = [row for row in rows if part in parts_of(row)]
    for (_, key), cell in cells_of(rows, targets, by).items():
        merge(out, encode(key), cell)


def store(
    s: Session, site: str, days: list[date], rows: Sequence[Any], targets: dict[str, int]
) -> None:
    """Replace the cells of ``days`` with those of ``rows`` (their fact rows)."""
    s.execute(delete(ReportCell).where(ReportCell.site == site, ReportCell.business_day.in_(days)))
    parts: dict[str, list[Sequence[Any]]] = {}
    for row in rows:
        for part in parts_of(row):
            parts.setdefault(part, []).append(row)
    values = []
    for part, by in ((part, by) for part in parts for by in GROUPINGS):
        for (day, key), cell in cells_of(parts[part], targets, by).items():
            values.append(
                {
                    "site": site,
                    "part": part,
                    "business_day": day,
                    "by": by,
                    "key": encode(key),
                    "issued": cell.issued,
                    "served": cell.served,
                    "no_show": cell.no_show,
                    "cancelled": cell.cancelled,
                    "transferred": cell.transferred,
                    "timed": cell.timed,
                    "within": cell.within,
                    "scores": json.dumps(sorted(cell.scores.items())),
                    "reasons": json.dumps(sorted(cell.reasons.items())),
                    "waits": pack(cell.waits),
                    "serves": pack(cell.serves),
                }
            )
    if values:
        s.execute(insert(ReportCell), values)


def load(
    s: Session, site: str, by: str, where: Any, out: dict[str, Cell], part: str = EVERY
) -> None:
    """Merge into ``out`` the stored cells of part ``part`` and grouping ``by`` on the days
    ``where`` selects, per encoded key."""
    rows = s.execute(
        select(
            ReportCell.key,
            ReportCell.issued,
            ReportCell.served,
            ReportCell.no_show,
            ReportCell.cancelled,
            ReportCell.transferred,
            ReportCell.timed,
            ReportCell.within,
            ReportCell.scores,
            ReportCell.reasons,
            ReportCell.waits,
            ReportCell.serves,
        ).where(ReportCell.site == site, ReportCell.by == by, ReportCell.part == part, where)
    )
    for key, issued, served, no_show, cancelled, moved, timed, within, *lists in rows:
        cell = Cell(issued, served, no_show, cancelled, moved, timed, within)
        scores, reasons, waits, serves = lists
        cell.scores, cell.reasons = dict(json.loads(scores)), dict(json.loads(reasons))
        cell.waits, cell.serves = unpack(waits), unpack(serves)
        merge(out, key, cell)
