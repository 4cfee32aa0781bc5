"""Past-tense facts the domain returns; published after the transaction commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class TicketIssued:
    ticket_id: int
    site: str
    service: str
    number: str
    printer: str | None


@dataclass(frozen=True)
class DisplayEventAdded:
    """One numbered event for one display (``event_id`` grows by one per display)."""

    display_id: int
    event_id: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class TicketCalled:
    ticket_id: int
    site: str
    counter: int
    number: str
    service: str
    recall: bool
    at: datetime
    displays: tuple[DisplayEventAdded, ...] = field(default=())


@dataclass(frozen=True)
class TicketChanged:
    """Any other state change (start, done, no-show, hold, transfer, ...)."""

    ticket_id: int
    site: str
    action: str
    status: str
    counter: int | None


@dataclass(frozen=True)
class CounterChanged:
    site: str
    counter: int
    status: str


@dataclass(frozen=True)
class PrintQueued:
    """A print job waits for ``printer`` (tickets say so themselves: ``TicketIssued.printer``)."""

    printer: str


@dataclass(frozen=True)
class CredentialsRevoked:
    """A token was revoked, a user disabled or logged out, a device revoked: every cached
    resolution of credentials must be dropped, and sockets using them closed."""

    user_id: int | None = None
    device_id: int | None = None


@dataclass(frozen=True)
class ConfigChanged:
    """A new configuration version was stored: every process builds it, and kiosks, displays
    and consoles reload their lists."""

    version: int
