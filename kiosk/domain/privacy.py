"""Client addresses are kept for a while (to investigate abuse), then forgotten: the audit log's
``address`` column and the ``address`` noted in ticket histories are cleared once older than
the retention period."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, cast, select, update
from sqlalchemy.orm import Session

from kiosk.models import AuditEntry, TicketEvent

DEFAULT_RETENTION_DAYS = 30
BATCH = 2000  # ticket history rows rewritten per round: housekeeping stays short


def forget_addresses(s: Session, now: datetime, retention_days: int) -> int:
    """Clear addresses recorded before ``now - retention_days``; returns how many rows
    changed (ticket histories in batches of ``BATCH``: the next round continues)."""
    cutoff = now - timedelta(days=retention_days)
    audit = s.execute(
        update(AuditEntry)
        .where(AuditEntry.at < cutoff, AuditEntry.address.is_not(None))
        .values(address=None)
        .execution_options(synchronize_session=False)
    )
    changed = int(audit.rowcount or 0)  # type: ignore[attr-defined]
    # The address sits inside the JSON of a history row: rewritten here, which reads the same
    # on SQLite and PostgreSQL.
    rows = s.execute(
        select(TicketEvent.id, TicketEvent.data)
        .where(
            TicketEvent.at < cutoff,
            cast(TicketEvent.data, String).like('%"address"%'),
        )
        .order_by(TicketEvent.id)
        .limit(BATCH)
    ).all()
    for event_id, data in rows:
        if isinstance(data, dict) and "address" in data:
            rest = {k: v for k, v in data.items() if k != "address"}
            s.execute(
                update(TicketEvent)
                .where(TicketEvent.id == event_id)
                .values(data=rest or None)
                .execution_options(synchronize_session=False)
            )
            changed += 1
    return changed
