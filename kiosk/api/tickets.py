"""Tickets: issue (kiosk or staff), read, ESC/POS bytes and preview, actions, ratings, tracking."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Response, jsonify
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kiosk.api import endpoint, schemas
from kiosk.api.present import base_url, estimated_wait, ticket_body
from kiosk.auth import Caller
from kiosk.domain import calling, idempotency, ratings
from kiosk.domain.errors import Forbidden, InvalidInput, NotFound, RateLimited
from kiosk.domain.tickets import (
    TRANSITIONS,
    Actor,
    get_ticket,
    is_tracking_code,
    issue_ticket,
)
from kiosk.models import Ticket
from kiosk.printing import printer_key
from kiosk.services import Services, ctx
from kiosk.throttle import throttle


def _printer_for(app: Services, caller: Caller) -> str | None:
    """Kiosk-issued tickets print on that kiosk's printer (configured by kiosk device name)."""
    if caller.device is None or caller.device.kind != "kiosk":
        return None
    return printer_key(app.config, app.settings, caller.device.name)


@endpoint(
    "/tickets",
    "POST",
    summary="Issue a ticket",
    who=("kiosk", "staff"),
    body=schemas.IssueTicketIn,
    response=schemas.TicketOut,
    status=201,
    errors=(400, 401, 403, 404, 409, 422, 429),
)
def create_ticket(caller: Caller, body: schemas.IssueTicketIn) -> Any:
    app = ctx()
    actor = caller.actor()
    if caller.device is not None and caller.device.site != body.site:
        raise Forbidden(
            "Máy này chỉ cấp số cho điểm tiếp nhận của nó.",
            en="This kiosk issues tickets for its own site only.",
        )
    key = _idempotency_key()
    fingerprint = _fingerprint(body) if key is not None else ""
    procedure = _known_procedure(app, body.procedure)
    if caller.device is not None:
        kiosk_limit(app, caller.device.id)
    printer = _printer_for(app, caller)
    params = {"base_url": base_url(app), "lang": body.lang or "vi"}
    replayed = None
    for attempt in range(3):
        try:
            # One statement writes the ticket (on PostgreSQL it commits as it runs: no lock
            # is held across a round trip); the reads around it need no transaction.
            with app.change(single_statement=True) as tx:
                s = tx.s
                remember = None
                if key is not None and caller.token_id is not None:
                    # A key is new but for a retry or a double tap: the ticket is written
                    # with it at once, and only when that fails on the key (nothing written)
                    # is the earlier answer looked up: no read before every ticket.
                    if attempt:
                        replayed = idempotency.replay(s, caller.token_id, key, fingerprint)
                        if replayed is not None:
                            break
                    now = app.clock.now()
                    remember = idempotency.key_row(caller.token_id, key, fingerprint, now)
                ticket = tx.take(
                    issue_ticket(
                        s,
                        app.config,
                        app.clock,
                        actor,
                        site=body.site,
                        service=body.service,
                        priority=body.priority,
                        procedure=procedure,
                        printer=printer,
                        print_params=params,
                        key=remember,
                    )
                )
                # Usually from the estimator's cache: no query.
                ticket.estimated_wait_s = estimated_wait(s, app, ticket, ticket.ahead)
            break
        except IntegrityError:
            # The key was used (a retry) or raced in (a double tap): the next attempt finds
            # and replays it.
            if attempt == 2 or key is None:
                raise
    if replayed is not None:
        with app.db.read() as s:
            return jsonify(ticket_body(s, app, get_ticket(s, replayed))), 200
    return jsonify(ticket_body(None, app, ticket)), 201


def kiosk_limit(app: Services, device_id: int) -> None:
    """A kiosk issues at most the configured number of tickets a minute (staff: no limit).
    Counted by the rate limiter before the transaction, exactly under concurrency."""
    per_minute = app.config.settings.kiosk.tickets_per_minute
    if not throttle().kiosk_ticket(device_id, per_minute):
        raise RateLimited(
            "Quá nhiều số được lấy trong một phút, xin thử lại sau.",
            retry_after_s=60,
            en="Too many tickets this minute; please try again shortly.",
        )


def _known_procedure(app: Services, code: str | None) -> str | None:
    """The catalogue's code for ``code`` (None for none); 422 for a code it does not know."""
    if code is None:
        return None
    found = app.catalogue.get(code) if app.catalogue is not None else None
    if found is None:
        raise InvalidInput(
            f"Không có thủ tục {code!r} trong danh mục.",
            en=f"No procedure {code!r} in the catalogue.",
            field="procedure",
        )
    return found.code


def _fingerprint(body: schemas.IssueTicketIn) -> str:
    """What a retry with the same Idempotency-Key must repeat exactly."""
    return hashlib.sha256(json.dumps(body.model_dump(), sort_keys=True).encode()).hexdigest()


def _idempotency_key() -> str | None:
    from flask import request

    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 128:
        raise InvalidInput(
            "Idempotency-Key phải dài 1–128 ký tự.",
            en="Idempotency-Key must be 1-128 characters.",
            field="Idempotency-Key",
        )
    return key


def readable_ticket(s: Any, caller: Caller, ticket_id: int) -> Ticket:
    """The ticket, if the caller is staff (of its site) or the kiosk that issued it."""
    ticket = get_ticket(s, ticket_id)
    if caller.user is not None:
        if caller.user.site not in (None, ticket.site):
            raise Forbidden("Phiếu thuộc điểm tiếp nhận khác.", en="Ticket of another site.")
        return ticket
    if caller.device is not None and caller.device.id == ticket.kiosk_device_id:
        return ticket
    raise NotFound(f"Không có phiếu số {ticket_id}.", en=f"No ticket {ticket_id}.", what="ticket")


@endpoint(
    "/tickets/<int:ticket_id>",
    "GET",
    summary="Read a ticket",
    who=("kiosk", "staff"),
    response=schemas.TicketOut,
    errors=(401, 403, 404),
)
def read_ticket(caller: Caller, ticket_id: int) -> Any:
    app = ctx()
    with app.db.read() as s:
        return jsonify(ticket_body(s, app, readable_ticket(s, caller, ticket_id)))


ACTIONS = tuple(a for a in TRANSITIONS if a not in {"resume", "cancel"}) + ("resume", "cancel")


@endpoint(
    "/tickets/<int:ticket_id>/<action>",
    "POST",
    summary=("Act on a ticket: " + ", ".join(ACTIONS) + ". An impossible transition is 409."),
    who=("staff",),
    response=schemas.TicketOut,
    errors=(401, 403, 404, 409, 422),
)
def ticket_action(caller: Caller, ticket_id: int, action: str) -> Any:
    if action not in TRANSITIONS:
        raise NotFound(
            f"Không có thao tác {action!r}.", en=f"Unknown action {action!r}.", what="action"
        )
    from flask import request

    raw = request.get_json(silent=True) if request.content_length else None
    body = _parse_optional(raw)
    if action == "transfer" and body.service is None:
        raise InvalidInput(
            "Hãy chọn dịch vụ để chuyển phiếu.", en="'service' is required.", field="service"
        )
    app = ctx()
    with app.change() as tx:
        ticket = tx.take(
            calling.act(
                tx.s,
                app.config,
                app.clock,
                caller.actor(),
                ticket_id,
                action,
                body.model_dump(exclude_none=True),
            )
        )
        out = ticket_body(tx.s, app, ticket)
    return jsonify(out)


def _parse_optional(raw: Any) -> schemas.ActionIn:
    from kiosk.api import parse_body

    if raw is None:
        return schemas.ActionIn()
    return parse_body(schemas.ActionIn)  # type: ignore[return-value]


@endpoint(
    "/tickets/<int:ticket_id>/rating",
    "POST",
    summary="Rate a done ticket (rating tablet)",
    who=("counter",),
    body=schemas.RatingIn,
    response=schemas.RatingOut,
    status=201,
    errors=(401, 403, 404, 409, 422),
)
def rate_from_counter(caller: Caller, ticket_id: int, body: schemas.RatingIn) -> Any:
    app = ctx()
    with app.db.transaction() as s:
        ticket = get_ticket(s, ticket_id)
        device = caller.device
        if device.site != ticket.site or device.counter != ticket.counter:
            raise Forbidden(
                "Máy đánh giá này thuộc quầy khác.",
                en="This rating device belongs to another counter.",
            )
        rating = ratings.rate_ticket(
            s,
            app.config,
            app.clock,
            caller.actor(),
            ticket,
            score=body.score,
            reasons=body.reasons,
            comment=body.comment,
            source="counter",
        )
        out = {"score": rating.score, "scale": rating.scale, "label": rating.label}
    return jsonify(out), 201


def find_by_code(s: Any, code: str) -> Ticket:
    ticket = s.scalar(select(Ticket).where(Ticket.code == code)) if is_tracking_code(code) else None
    if ticket is None:
        raise NotFound(
            "Không tìm thấy phiếu với mã này.", en="No ticket with this code.", what="ticket"
        )
    return ticket


@endpoint(
    "/track/<code>",
    "GET",
    summary="Public status of a ticket by its tracking code",
    response=schemas.TrackOut,
    errors=(404,),
)
def track(code: str) -> Any:
    app = ctx()
    with app.db.read() as s:
        ticket = find_by_code(s, code)
        body = ticket_body(s, app, ticket)
        site = app.config.site(ticket.site)
        assert site is not None
        counter = site.counter(ticket.counter) if ticket.counter else None
        rated = ticket.status == "done" and not _rated(s, ticket.id)
        out = {
            k: body[k]
            for k in (
                "number",
                "site",
                "service",
                "service_name",
                "status",
                "issued_at",
                "called_at",
                "counter",
                "ahead",
                "estimated_wait_s",
                "estimated_wait_min",
            )
        }
        out.update(
            site_name=site.name, counter_name=counter.name if counter else None, can_rate=rated
        )
    return jsonify(out)


def _rated(s: Any, ticket_id: int) -> bool:
    from kiosk.models import Rating

    return s.scalar(select(Rating.id).where(Rating.ticket_id == ticket_id)) is not None


@endpoint(
    "/track/<code>/rating",
    "POST",
    summary="Rate a done ticket from the phone",
    body=schemas.RatingIn,
    response=schemas.RatingOut,
    status=201,
    errors=(404, 409, 422),
)
def rate_from_phone(code: str, body: schemas.RatingIn) -> Any:
    app = ctx()
    with app.db.transaction() as s:
        ticket = find_by_code(s, code)
        rating = ratings.rate_ticket(
            s,
            app.config,
            app.clock,
            Actor(),
            ticket,
            score=body.score,
            reasons=body.reasons,
            comment=body.comment,
            source="phone",
        )
        out = {"score": rating.score, "scale": rating.scale, "label": rating.label}
    return jsonify(out), 201


@endpoint(
    "/tickets/<int:ticket_id>/escpos",
    "GET",
    summary="ESC/POS bytes of the printed ticket",
    who=("kiosk", "staff"),
    response="binary",
    errors=(401, 403, 404),
    content_type="application/octet-stream",
)
def ticket_escpos(caller: Caller, ticket_id: int) -> Any:
    from kiosk.printing.render import ticket_bytes

    app = ctx()
    with app.db.read() as s:
        ticket = readable_ticket(s, caller, ticket_id)
        data = ticket_bytes(s, app, ticket, base_url(app))
    return Response(data, mimetype="application/octet-stream")


@endpoint(
    "/tickets/<int:ticket_id>/preview.png",
    "GET",
    summary="The ticket as an image",
    who=("kiosk", "staff"),
    response="binary",
    errors=(401, 403, 404),
    content_type="image/png",
)
def ticket_preview(caller: Caller, ticket_id: int) -> Any:
    from kiosk.printing.render import ticket_png

    app = ctx()
    with app.db.read() as s:
        ticket = readable_ticket(s, caller, ticket_id)
        data = ticket_png(s, app, ticket, base_url(app))
    return Response(data, mimetype="image/png")
