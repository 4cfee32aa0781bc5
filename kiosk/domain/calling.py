"""Counters: call the next ticket (priority policy, atomic claim), call a given ticket, and the
per-counter actions (recall, start, done, no-show, requeue, hold, resume, transfer).

The claim is safe under concurrency on both databases. On PostgreSQL the candidate row is
selected ``FOR UPDATE SKIP LOCKED`` and moved by a conditional UPDATE whose row count is
checked; on SQLite every write transaction holds the single writer lock (``BEGIN IMMEDIATE``).
The counter's own row is locked first, so one counter never runs two calls at once.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.orm import Session

from kiosk.config import Config, Counter, PriorityPolicy, Site
from kiosk.domain.clock import Clock, business_day, local
from kiosk.domain.counters import counter_config, counter_services, lock_counter
from kiosk.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from kiosk.domain.events import CounterChanged, DisplayEventAdded, TicketCalled, TicketChanged
from kiosk.domain.tickets import (
    ACTIVE,
    REFRESHING,
    TRANSITIONS,
    WAITING,
    Actor,
    audit,
    changed,
    check_site,
    get_ticket,
    move,
    record,
    transition,
)
from kiosk.models import CounterState, Ticket
from kiosk.storage import add_display_event

Event = TicketCalled | TicketChanged | CounterChanged
# History entries are facts: the past tense of each action.
PAST = {
    "start": "started",
    "done": "done",
    "no-show": "no_show",
    "requeue": "requeued",
    "hold": "held",
    "transfer": "transferred",
    "cancel": "cancelled",
    "undo-no-show": "no_show_undone",
}
# How long after a no-show the counter may take it back (a tap on the wrong button).
UNDO_NO_SHOW_S = 600


def wants_priority_first(policy: PriorityPolicy, normal_streak: int) -> bool:
    """Strict: always. Interleave 1-in-N: after N-1 ordinary calls in a row."""
    return policy.mode == "strict" or normal_streak >= policy.every - 1


ANY_CURRENT: Any = object()


def call_next(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    site: str,
    number: int,
    *,
    expected: int | None = ANY_CURRENT,
) -> tuple[Ticket | None, list[Event]]:
    """Close the counter's current ticket as done, then claim and call the next one.

    ``expected`` is the ticket the caller believes is current (None: none). When the counter's
    active ticket is another one, the request is a retry of a call that already happened (its
    answer was lost) or comes from a stale screen: the citizen just called is not closed,
    and the current ticket is returned unchanged, with no events.

    Returns (None, events) when nothing waits for this counter's services.
    """
    check_site(actor, site)
    site_cfg, counter = counter_config(cfg, site, number)
    now = clock.now()
    row = lock_counter(s, site, number)
    if expected is not ANY_CURRENT and row.current_ticket_id not in (None, expected):
        current = s.get(Ticket, row.current_ticket_id, populate_existing=True)
        if current is not None and current.status in ACTIVE:
            return current, []
    events: list[Event] = list(_close_current(s, row, now, actor))
    services = counter_services(row, counter, business_day(clock, now))
    priority_first = wants_priority_first(cfg.policy_for(site_cfg), row.normal_streak)

    today = business_day(clock, now)
    ticket = _claim(s, site, today, services, priority_first, number, actor, now)
    if ticket is None:
        row.status = "idle"
        row.officer_id = actor.user_id
        row.updated_at = now
        events.append(CounterChanged(site, number, "idle"))
        return None, events

    row.normal_streak = 0 if ticket.priority else row.normal_streak + 1
    record(s, ticket, "called", now, actor, counter=number)
    if ticket.priority:
        audit(
            s,
            "priority_called",
            now,
            actor,
            site=site,
            ticket_id=ticket.id,
            counter=number,
            group=ticket.priority,
            policy=cfg.policy_for(site_cfg).mode,
        )
    events.append(
        _occupy(s, cfg, site_cfg, row, counter, ticket, actor, local(clock, now), recall=False)
    )
    return ticket, events


def _claim(
    s: Session,
    site: str,
    today: date,
    services: tuple[str, ...],
    priority_first: bool,
    counter: int,
    actor: Actor,
    now: datetime,
) -> Ticket | None:
    candidate = _candidate(services, priority_first)
    for _ in range(8):
        ticket_id = s.scalar(candidate, {"site": site, "today": today})
        if ticket_id is None:
            return None
        ticket = _mark_called(s, ticket_id, counter, actor, now)
        if ticket is not None:
            return ticket
        # Someone else took it between our SELECT and UPDATE; pick again.
    return None


@functools.lru_cache(maxsize=256)
def _candidate(services: tuple[str, ...], priority_first: bool) -> Any:
    """The next ticket for a counter serving ``services`` in this order: by class (priority
    first or last), then the counter's order of services, then arrival."""
    is_priority = Ticket.priority.is_not(None)
    klass = case((is_priority, 0), else_=1) if priority_first else case((is_priority, 1), else_=0)
    rank = case({code: i for i, code in enumerate(services)}, value=Ticket.service)
    return (
        select(Ticket.id)
        .where(
            Ticket.site == bindparam("site"),
            Ticket.business_day == bindparam("today"),  # a queue lives one day
            Ticket.status.in_(WAITING),
            Ticket.service.in_(services),
        )
        .order_by(klass, rank, Ticket.order_at, Ticket.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def _mark_called(
    s: Session, ticket_id: int, counter: int, actor: Actor, now: datetime
) -> Ticket | None:
    """The claim: a conditional UPDATE that only a still-waiting ticket passes; returns the
    called ticket, or None when it was no longer waiting."""
    params = {"ticket_id": ticket_id, "counter": counter, "now": now, "officer": actor.user_id}
    return s.scalars(_MARK_CALLED, params, execution_options=REFRESHING).one_or_none()


_MARK_CALLED = (
    update(Ticket)
    .where(Ticket.id == bindparam("ticket_id"), Ticket.status.in_(WAITING))
    .values(
        status="called",
        counter=bindparam("counter"),
        called_at=bindparam("now"),
        first_called_at=func.coalesce(Ticket.first_called_at, bindparam("now")),
        last_counter=bindparam("counter"),
        started_at=None,
        officer_id=bindparam("officer"),
        recalls=0,
    )
    .returning(Ticket)
)


def _close_current(s: Session, row: CounterState, now: datetime, actor: Actor) -> list[Event]:
    if row.current_ticket_id is None:
        return []
    done = move(s, row.current_ticket_id, ACTIVE, {"status": "done", "finished_at": now})
    row.current_ticket_id = None
    if done is None:  # no longer at the counter (finished, held, transferred…)
        return []
    record(s, done, "done", now, actor, counter=row.number)
    return [changed(done, "done")]


def _occupy(
    s: Session,
    cfg: Config,
    site_cfg: Site,
    row: CounterState,
    counter: Counter,
    ticket: Ticket,
    actor: Actor,
    now: datetime,
    *,
    recall: bool,
) -> TicketCalled:
    row.current_ticket_id = ticket.id
    row.status = "serving"
    row.pause_reason = None
    row.officer_id = actor.user_id
    row.updated_at = now  # local time: stored as UTC like every other instant
    displays = tuple(
        _display_event(s, d.id, ticket, counter, now, recall)
        for d in site_cfg.displays
        if counter.number in d.counters
    )
    return TicketCalled(
        ticket.id, ticket.site, counter.number, ticket.number, ticket.service, recall, now, displays
    )


def _display_event(
    s: Session, display_id: int, ticket: Ticket, counter: Counter, now: datetime, recall: bool
) -> DisplayEventAdded:
    payload: dict[str, Any] = {
        "number": ticket.number,
        "counter": counter.number,
        "counter_name": counter.name,
        "service": ticket.service,
        "site": ticket.site,
        "recall": recall,
        "called_at": now.isoformat(),
    }
    event_id = add_display_event(s, display_id, now, ticket.id, payload)
    return DisplayEventAdded(display_id, event_id, payload)


def call_ticket(
    s: Session, cfg: Config, clock: Clock, actor: Actor, site: str, number: int, ticket_id: int
) -> tuple[Ticket, list[Event]]:
    """Call one given waiting ticket out of turn (closing the current one as done first)."""
    check_site(actor, site)
    site_cfg, counter = counter_config(cfg, site, number)
    now = clock.now()
    row = lock_counter(s, site, number)
    ticket = get_ticket(s, ticket_id)
    if ticket.site != site:
        raise InvalidInput(f"Phiếu {ticket.number} thuộc điểm tiếp nhận khác.", field="ticket")
    if ticket.status not in WAITING:
        raise InvalidTransition(
            f"Phiếu {ticket.number} không ở trong hàng chờ.", status=ticket.status, action="call"
        )
    events: list[Event] = list(_close_current(s, row, now, actor))
    transition_to_called(s, ticket, number, actor, now)
    record(s, ticket, "called", now, actor, counter=number, out_of_order=True)
    audit(
        s,
        "called_out_of_order",
        now,
        actor,
        site=site,
        ticket_id=ticket.id,
        counter=number,
        group=ticket.priority,
    )
    events.append(
        _occupy(s, cfg, site_cfg, row, counter, ticket, actor, local(clock, now), recall=False)
    )
    return ticket, events


def transition_to_called(
    s: Session, ticket: Ticket, number: int, actor: Actor, now: datetime
) -> None:
    if _mark_called(s, ticket.id, number, actor, now) is None:
        raise InvalidTransition(f"Phiếu {ticket.number} vừa được quầy khác gọi.", action="call")


def act(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    action: str,
    body: dict[str, Any] | None = None,
) -> tuple[Ticket, list[Event]]:
    """Apply a staff action to a ticket. Raises NotFound, Forbidden, InvalidInput and
    InvalidTransition (409) for a move the ticket's status does not allow."""
    body = body or {}
    ticket = get_ticket(s, ticket_id)
    check_site(actor, ticket.site)
    site_cfg = cfg.site(ticket.site)
    assert site_cfg is not None
    now = clock.now()
    if action in {"recall", "resume"}:
        return _recall_or_resume(s, cfg, clock, site_cfg, actor, ticket, action, body, now)
    if action == "undo-no-show":
        return undo_no_show(s, cfg, actor, ticket, now)

    extra: dict[str, Any] = {}
    data: dict[str, Any] = {}
    counter_no = ticket.counter
    if action == "start":
        extra["started_at"] = now
    elif action == "done":
        extra["finished_at"] = now
    elif action == "no-show":
        extra["finished_at"] = now
        data["recalls"] = ticket.recalls
    elif action == "requeue":
        extra.update(counter=None, order_at=now, called_at=None, started_at=None)
    elif action == "transfer":
        target = body.get("service")
        if not isinstance(target, str) or site_cfg.service(target) is None:
            raise InvalidInput(
                "Hãy chọn một dịch vụ có tại điểm này để chuyển phiếu.", field="service"
            )
        note = body.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > 500):
            raise InvalidInput("Ghi chú tối đa 500 ký tự.", field="note")
        extra.update(
            service=target, counter=None, note=note or None, transfers=Ticket.transfers + 1
        )
        data.update(from_service=ticket.service, to_service=target, note=note or None)
    elif action not in {"hold", "cancel"}:
        raise NotFound(f"Không có thao tác {action!r}.", what="action")

    was_active = ticket.status in ACTIVE
    transition(s, ticket, action, now, extra=extra)
    record(s, ticket, PAST[action], now, actor, counter=counter_no, **data)
    events: list[Event] = [changed(ticket, action)]
    if was_active and counter_no is not None and action != "start":
        events.extend(_release_counter(s, ticket, counter_no, now))
    return ticket, events


def undo_no_show(
    s: Session, cfg: Config, actor: Actor, ticket: Ticket, now: datetime
) -> tuple[Ticket, list[Event]]:
    """Take back a no-show within ``UNDO_NO_SHOW_S``: the citizen was there after all. The
    ticket is the counter's current ticket again, ``called`` as before (not announced again).
    Raises InvalidTransition (not a no-show, or too late) and Conflict (the counter has
    called someone else meanwhile: finish or hold that ticket first)."""
    if ticket.status != "no_show":
        transition(s, ticket, "undo-no-show", now)  # raises InvalidTransition with the status
    late = ticket.finished_at is None or (now - ticket.finished_at).total_seconds() > UNDO_NO_SHOW_S
    if late or ticket.counter is None:
        raise InvalidTransition(
            f"Đã quá {UNDO_NO_SHOW_S // 60} phút, không hoàn tác được vắng mặt của phiếu "
            f"{ticket.number}. Có thể xếp lại phiếu vào hàng chờ.",
            en=f"Too late to undo the no-show of {ticket.number}; requeue it instead.",
            status=ticket.status,
            action="undo-no-show",
        )
    number = ticket.counter
    counter_config(cfg, ticket.site, number)
    row = lock_counter(s, ticket.site, number)
    busy = s.get(Ticket, row.current_ticket_id) if row.current_ticket_id else None
    if busy is not None and busy.id != ticket.id and busy.status in ACTIVE:
        raise Conflict(
            f"Quầy {number} đang phục vụ số {busy.number}: hãy xong hoặc tạm giữ số đó trước.",
            en=f"Counter {number} is serving {busy.number}: finish or hold it first.",
            counter=number,
        )
    transition(s, ticket, "undo-no-show", now, extra={"finished_at": None})
    record(s, ticket, PAST["undo-no-show"], now, actor, counter=number)
    row.current_ticket_id = ticket.id
    row.status = "serving"
    row.pause_reason = None
    row.officer_id = actor.user_id
    row.updated_at = now
    return ticket, [changed(ticket, "undo-no-show"), CounterChanged(ticket.site, number, "serving")]


def _release_counter(s: Session, ticket: Ticket, number: int, now: datetime) -> list[Event]:
    row = s.get(CounterState, (ticket.site, number))
    if row is None or row.current_ticket_id != ticket.id:
        return []
    row.current_ticket_id = None
    if row.status == "serving":
        row.status = "idle"
    row.updated_at = now
    return [CounterChanged(ticket.site, number, row.status)]


def _recall_or_resume(
    s: Session,
    cfg: Config,
    clock: Clock,
    site_cfg: Site,
    actor: Actor,
    ticket: Ticket,
    action: str,
    body: dict[str, Any],
    now: datetime,
) -> tuple[Ticket, list[Event]]:
    if ticket.status not in TRANSITIONS[action][0]:
        transition(s, ticket, action, now)  # raises InvalidTransition with the status
    number = body.get("counter", ticket.counter)
    if not isinstance(number, int) or site_cfg.counter(number) is None:
        raise InvalidInput("Hãy chọn quầy.", field="counter")
    counter = site_cfg.counter(number)
    assert counter is not None
    row = lock_counter(s, ticket.site, number)
    if action == "resume" and row.current_ticket_id not in (None, ticket.id):
        busy = s.get(Ticket, row.current_ticket_id)
        if busy is not None and busy.status in ACTIVE:
            raise Conflict(f"Quầy {number} đang phục vụ số {busy.number}.", counter=number)
    extra: dict[str, Any] = {"counter": number, "last_counter": number}
    if action == "recall":
        extra["recalls"] = Ticket.recalls + 1
    else:
        extra.update(called_at=now, officer_id=actor.user_id, recalls=0)
    transition(s, ticket, action, now, extra=extra)
    record(
        s,
        ticket,
        "recalled" if action == "recall" else "resumed",
        now,
        actor,
        counter=number,
        recalls=ticket.recalls,
    )
    return ticket, [
        _occupy(
            s,
            cfg,
            site_cfg,
            row,
            counter,
            ticket,
            actor,
            local(clock, now),
            recall=action == "recall",
        )
    ]
