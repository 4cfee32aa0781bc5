"""Satisfaction ratings: once per done ticket, on the configured scale."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.config import Config
from kiosk.domain.clock import Clock
from kiosk.domain.errors import Conflict, InvalidInput
from kiosk.domain.tickets import Actor, record
from kiosk.models import Rating, Ticket


def rate_ticket(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    ticket: Ticket,
    *,
    score: int,
    reasons: Sequence[str] = (),
    comment: str | None = None,
    source: str,
) -> Rating:
    """Store one rating for a ``done`` ticket. Raises InvalidInput, Conflict (not done / twice)."""
    scale = cfg.settings.rating
    if not 1 <= score <= scale.scale:
        raise InvalidInput(f"Điểm đánh giá phải từ 1 đến {scale.scale}.", field="score")
    known = {r.code for r in scale.reasons}
    bad = [r for r in reasons if r not in known]
    if bad:
        raise InvalidInput(f"Lý do không hợp lệ: {', '.join(bad)}.", field="reasons")
    if comment is not None and len(comment) > 500:
        raise InvalidInput("Góp ý tối đa 500 ký tự.", field="comment")
    if ticket.status != "done":
        raise Conflict("Chỉ đánh giá được sau khi đã được phục vụ xong.", status=ticket.status)
    if s.scalar(select(Rating.id).where(Rating.ticket_id == ticket.id)) is not None:
        raise Conflict("Lượt phục vụ này đã được đánh giá.")
    now = clock.now()
    rating = Rating(
        ticket_id=ticket.id,
        score=score,
        scale=scale.scale,
        label=scale.labels[score].vi,
        reasons=list(dict.fromkeys(reasons)),
        comment=(comment or "").strip() or None,
        site=ticket.site,
        service=ticket.service,
        counter=ticket.counter,
        officer_id=ticket.officer_id,
        source=source,
        at=now,
    )
    s.add(rating)
    try:
        s.flush()
    except IntegrityError:
        # Two ratings raced for one ticket; the unique constraint kept the first.
        raise Conflict("Lượt phục vụ này đã được đánh giá.") from None
    record(s, ticket, "rated", now, actor, counter=ticket.counter, score=score)
    return rating
