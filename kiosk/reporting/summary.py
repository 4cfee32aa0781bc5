"""Summarise the closed business days a report is about to read, before it reads them.

Reports read in a read-only snapshot; summarising writes, so it runs first, in its own short
transaction, and only when the range has closed days not summarised yet (once per site and
day, or again after a late change to that day). Skipping it never makes a report wrong, only
slower: a day without a summary is read from the tickets (``kiosk.domain.report_summary``).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from kiosk.config import Config
from kiosk.db import Database
from kiosk.domain.clock import Clock
from kiosk.domain.errors import DomainError
from kiosk.domain.report_summary import summarise, unsummarised
from kiosk.domain.reports import ReportQuery, check_query

CHUNK_DAYS = 14


def summarise_range(db: Database, cfg: Config, clock: Clock, q: ReportQuery) -> int:
    """Summarise the closed days of ``q``'s range that are not yet; how many it did. Does
    nothing for a query the report would refuse (the report raises the error)."""
    try:
        site = check_query(cfg, None, q)
    except DomainError:
        return 0
    with db.read() as s:
        todo = unsummarised(s, clock, site, q.start, q.end)
    done = 0
    # A few weeks a transaction: on PostgreSQL each holds the counters' writes for a moment
    # only, even when a whole year is summarised at once (the first report after an upgrade).
    for first in range(0, len(todo), CHUNK_DAYS):
        chunk = todo[first : first + CHUNK_DAYS]
        try:
            with db.transaction() as s:
                again = unsummarised(s, clock, site, chunk[0], chunk[-1])
                summarise(s, clock, site, again)
                done += len(again)
        except IntegrityError:
            pass  # a concurrent report summarised these days first; its summary is as good
    return done
