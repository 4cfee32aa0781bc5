"""What a counter console shows: the counter, its current ticket and its live lists (waiting per
service, held here, transferred in with notes); and what a rating tablet should ask about.

Read side only: every function takes a session and returns plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.config import Config, Counter, Site
from kiosk.domain.clock import Clock, business_day
from kiosk.domain.counters import counter_config, counter_services
from kiosk.domain.errors import NotFound
from kiosk.domain.tickets import ACTIVE, WAITING
from kiosk.models import CounterState, Rating, Ticket, TicketEvent, User

LIST_LIMIT = 60  # tickets shown per list; the count is always complete


@dataclass(frozen=True)
class TicketRow:
    """One ticket as staff lists show it. ``waited_s`` counts from issue (the citizen's wait)."""

    id: int
    number: str
    service: str
    status: str
    priority: str | None
    priority_requested: str | None
    issued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    counter: int | None
    recalls: int
    note: str | None
    procedure: str | None  # catalogue code the citizen chose at the kiosk or in the guide
    waited_s: int
    over_target: bool
    transferred_from: str | None = None  # service the ticket came from
    transferred_by: int | None = None  # counter that transferred it


@dataclass(frozen=True)
class ServiceQueue:
    code: str
    name: str
    prefix: str
    target_wait_min: int
    count: int
    tickets: tuple[TicketRow, ...]


@dataclass(frozen=True)
class Board:
    """Everything one counter console needs, in one consistent read."""

    site: Site
    counter: Counter
    status: str  # closed | idle | serving | paused
    pause_reason: str | None
    services: tuple[str, ...]  # today's, in calling order
    overridden: bool  # a supervisor changed them for today
    officer: str | None
    current: TicketRow | None
    queues: tuple[ServiceQueue, ...]
    held: tuple[TicketRow, ...]
    transferred: tuple[TicketRow, ...]
    no_show_after_recalls: int


def ticket_row(site: Site, t: Ticket, now: datetime, moved: TicketEvent | None = None) -> TicketRow:
    svc = site.service(t.service)
    target = (svc.target_wait_min if svc else 20) * 60
    waited = max(0, int((now - t.issued_at).total_seconds()))
    data = (moved.data or {}) if moved is not None else {}
    return TicketRow(
        id=t.id,
        number=t.number,
        service=t.service,
        status=t.status,
        priority=t.priority,
        priority_requested=t.priority_requested,
        issued_at=t.issued_at,
        called_at=t.called_at,
        started_at=t.started_at,
        counter=t.counter,
        recalls=t.recalls,
        note=t.note,
        procedure=t.procedure,
        waited_s=waited,
        over_target=t.status in WAITING and waited > target,
        transferred_from=data.get("from_service"),
        transferred_by=moved.counter if moved is not None else None,
    )


def last_transfers(s: Session, ticket_ids: list[int]) -> dict[int, TicketEvent]:
    """Each ticket's latest ``transferred`` history entry (who moved it, from which service)."""
    if not ticket_ids:
        return {}
    found: dict[int, TicketEvent] = {}
    for ev in s.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.kind == "transferred")
        .order_by(TicketEvent.id)
    ):
        found[ev.ticket_id] = ev
    return found


def waiting_by_priority_then_order(tickets: list[Ticket]) -> list[Ticket]:
    """Priority tickets first, then by queue position: roughly the order calls will take."""
    return sorted(tickets, key=lambda t: (t.priority is None, t.order_at, t.id))


def counter_board(s: Session, cfg: Config, clock: Clock, site: str, number: int) -> Board:
    """The board of one counter. Raises NotFound for an unknown site or counter."""
    site_cfg, counter = counter_config(cfg, site, number)
    now = clock.now()
    today = business_day(clock, now)
    row = s.get(CounterState, (site, number))
    services = counter_services(row, counter, today)
    current = None
    if row is not None and row.current_ticket_id is not None:
        t = s.get(Ticket, row.current_ticket_id)
        if t is not None and t.status in ACTIVE:
            moved = last_transfers(s, [t.id]).get(t.id) if t.note else None
            current = ticket_row(site_cfg, t, now, moved)

    waiting = list(
        s.scalars(
            select(Ticket).where(
                Ticket.site == site,
                Ticket.business_day == today,
                Ticket.status.in_(WAITING),
                Ticket.service.in_(services),
            )
        )
    )
    transfers = last_transfers(s, [t.id for t in waiting if t.status == "transferred"])
    queues = []
    for code in services:
        svc = site_cfg.service(code)
        if svc is None:
            continue
        mine = waiting_by_priority_then_order([t for t in waiting if t.service == code])
        queues.append(
            ServiceQueue(
                code=code,
                name=svc.name,
                prefix=svc.prefix,
                target_wait_min=svc.target_wait_min,
                count=len(mine),
                tickets=tuple(
                    ticket_row(site_cfg, t, now, transfers.get(t.id)) for t in mine[:LIST_LIMIT]
                ),
            )
        )
    transferred = sorted(
        (t for t in waiting if t.status == "transferred"), key=lambda t: (t.order_at, t.id)
    )
    held = s.scalars(
        select(Ticket)
        .where(
            Ticket.site == site,
            Ticket.business_day == today,
            Ticket.status == "held",
            Ticket.counter == number,
        )
        .order_by(Ticket.order_at, Ticket.id)
        .limit(LIST_LIMIT)
    )
    officer = None
    if row is not None and row.officer_id is not None:
        officer = s.scalar(select(User.username).where(User.id == row.officer_id))
    return Board(
        site=site_cfg,
        counter=counter,
        status=row.status if row is not None else "closed",
        pause_reason=row.pause_reason if row is not None else None,
        services=services,
        overridden=services != counter.services,
        officer=officer,
        current=current,
        queues=tuple(queues),
        held=tuple(ticket_row(site_cfg, t, now) for t in held),
        transferred=tuple(
            ticket_row(site_cfg, t, now, transfers.get(t.id)) for t in transferred[:LIST_LIMIT]
        ),
        no_show_after_recalls=cfg.settings.calling.no_show_after_recalls,
    )


def ticket_to_rate(
    s: Session, clock: Clock, site: str, number: int, within_s: int
) -> Ticket | None:
    """The counter's latest ticket finished as ``done`` within ``within_s`` seconds and not
    rated yet: what its rating tablet asks the citizen about. None if there is none."""
    now = clock.now()
    latest = s.scalar(
        select(Ticket)
        .where(
            Ticket.site == site,
            Ticket.business_day == business_day(clock, now),
            Ticket.counter == number,
            Ticket.status == "done",
            Ticket.finished_at > now - timedelta(seconds=within_s),
        )
        .order_by(Ticket.finished_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    if latest is None:
        return None
    if s.scalar(select(Rating.id).where(Rating.ticket_id == latest.id)) is not None:
        return None
    return latest


def find_today(s: Session, clock: Clock, site: str, number: str) -> Ticket:
    """Today's ticket ``number`` (e.g. ``a012`` or ``A012``) at ``site``. Raises NotFound."""
    wanted = number.strip().upper()[:8]
    ticket = s.scalar(
        select(Ticket).where(
            Ticket.site == site,
            Ticket.business_day == business_day(clock),
            Ticket.number == wanted,
        )
    )
    if ticket is None:
        raise NotFound(
            f"Hôm nay không có số {wanted}.", en=f"No ticket {wanted} today.", what="ticket"
        )
    return ticket
