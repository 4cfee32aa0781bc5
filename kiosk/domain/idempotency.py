"""Idempotency keys: a request repeated with the same ``Idempotency-Key`` by the same token
(a double tap, a retry after a lost answer) gets the first answer again instead of a second
effect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain.errors import IdempotencyMismatch
from kiosk.models import IdempotencyKey


def replay(s: Session, token_id: int, key: str, fingerprint: str) -> int | None:
    """The ticket a previous request with this key made, or None. Raises IdempotencyMismatch
    when the key came with another request body."""
    row = s.execute(
        select(IdempotencyKey.request_hash, IdempotencyKey.ticket_id).where(
            IdempotencyKey.token_id == token_id, IdempotencyKey.key == key
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise IdempotencyMismatch(
            "Idempotency-Key này đã dùng cho một yêu cầu khác.",
            en="This Idempotency-Key was used with a different request body.",
        )
    return int(row.ticket_id)


def key_row(token_id: int, key: str, fingerprint: str, now: datetime) -> dict[str, Any]:
    """The key's row, but the ticket it made: written with the ticket
    (:func:`kiosk.domain.tickets.issue_ticket`). A concurrent twin fails that write (primary
    key, nothing written): retry, and :func:`replay` finds the twin's ticket."""
    return {"token_id": token_id, "key": key, "request_hash": fingerprint, "created_at": now}
