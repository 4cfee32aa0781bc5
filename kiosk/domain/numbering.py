"""Daily ticket numbers: one counter row per (site, service, business day).

A new ticket and its number are written together by :func:`kiosk.storage.add_ticket`, in the
issuing transaction, so that numbers are gap-free and never duplicated. The counter row also
holds how many tickets wait in its queue (kept by the database's triggers); the domain reads
both through the functions below.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from kiosk.models import TicketNumber
from kiosk.storage import Numbered, add_ticket, format_number


def waiting_now(session: Session, site: str, service: str, day: date) -> int:
    """Tickets of ``day`` waiting for ``service`` (priority ones included), from the counts
    the database's triggers keep."""
    row = session.get(TicketNumber, (site, service, day))
    return row.waiting if row else 0


def issued_today(session: Session, site: str, service: str, day: date) -> int:
    row = session.get(TicketNumber, (site, service, day))
    return row.last_seq if row else 0


__all__ = [
    "Numbered",
    "add_ticket",
    "format_number",
    "issued_today",
    "waiting_now",
]
