"""PostgreSQL: the queue-count trigger runs at commit

Revision ID: 0092_deferred_queue_counts
Revises: 0091_report_parts
Create Date: 2026-12-04 19:30:00

The trigger that keeps ``ticket_numbers.waiting`` becomes a constraint trigger deferred to
the end of the transaction. A call that takes a ticket off a queue then locks the queue's
counter row at commit only, not from its claim onwards: with several counters calling on one
queue, the row was held across the rest of the call's round trips. The counts stay exact;
only a transaction's own reads of ``waiting`` after its changes would see them late, and
none reads them. SQLite has one writer and no deferred triggers: unchanged. The SQL is
frozen here as this revision writes it (``kiosk.models`` keeps the live copy).
"""

from alembic import op

revision = "0092_deferred_queue_counts"
down_revision = "0091_report_parts"
branch_labels = None
depends_on = None

_WATCHED = "status, service, site, business_day, priority"


def _trigger(deferred: bool) -> str:
    kind = "CONSTRAINT TRIGGER" if deferred else "TRIGGER"
    when = "DEFERRABLE INITIALLY DEFERRED" if deferred else ""
    return f"""CREATE {kind} tickets_queue_count
    AFTER INSERT OR DELETE OR UPDATE OF {_WATCHED} ON tickets {when}
    FOR EACH ROW EXECUTE FUNCTION motcua_queue_count()"""


def _replace(deferred: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS tickets_queue_count ON tickets")
    op.execute(_trigger(deferred))


def upgrade() -> None:
    _replace(deferred=True)


def downgrade() -> None:
    _replace(deferred=False)
