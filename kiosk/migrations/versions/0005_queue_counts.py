"""waiting counts per queue, kept by triggers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 11:00:00
"""

import sqlalchemy as sa
from alembic import op

from kiosk.models import DROP_QUEUE_COUNT_TRIGGERS, QUEUE_COUNT_TRIGGERS

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_WAITING = "('waiting', 'transferred')"


def upgrade() -> None:
    with op.batch_alter_table("ticket_numbers") as batch:
        batch.add_column(sa.Column("waiting", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("priority_waiting", sa.Integer(), nullable=False, server_default="0")
        )
    # Count what waits now, then let the triggers keep it.
    op.execute(
        "INSERT INTO ticket_numbers (site, service, business_day, last_seq, waiting, "
        "priority_waiting) SELECT DISTINCT site, service, business_day, 0, 0, 0 FROM tickets "
        f"WHERE status IN {_WAITING} ON CONFLICT DO NOTHING"
    )
    same_queue = (
        "t.site = ticket_numbers.site AND t.service = ticket_numbers.service "
        f"AND t.business_day = ticket_numbers.business_day AND t.status IN {_WAITING}"
    )
    op.execute(
        f"UPDATE ticket_numbers SET waiting = (SELECT count(*) FROM tickets t WHERE {same_queue}), "
        "priority_waiting = (SELECT count(*) FROM tickets t "
        f"WHERE {same_queue} AND t.priority IS NOT NULL)"
    )
    for statement in QUEUE_COUNT_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_QUEUE_COUNT_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table("ticket_numbers") as batch:
        batch.drop_column("priority_waiting")
        batch.drop_column("waiting")
