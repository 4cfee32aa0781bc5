"""report columns on tickets (first call, last counter, transfers) and the reports' index

Revision ID: 0070_report_columns
Revises: 0050_device_links
Create Date: 2026-12-03 15:00:00

A requeue or a resume rewrites ``called_at`` and a requeue or a transfer clears ``counter``,
so the figures of a report (wait until the first call, the counter that last called the
ticket, transferred at least once) are kept in their own columns from now on. Tickets
already there get them from their history (``ticket_events``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0070_report_columns"
down_revision = "0050_device_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("first_called_at", sa.DateTime(), nullable=True))
    op.add_column("tickets", sa.Column("last_counter", sa.Integer(), nullable=True))
    op.add_column(
        "tickets", sa.Column("transfers", sa.Integer(), nullable=False, server_default="0")
    )
    # Backfill from each ticket's history: the first 'called' entry, the last entry naming a
    # counter among calls, recalls and resumes, and the number of 'transferred' entries.
    op.execute(
        """UPDATE tickets SET
        first_called_at = (SELECT MIN(e.at) FROM ticket_events e
            WHERE e.ticket_id = tickets.id AND e.kind = 'called'),
        last_counter = COALESCE(counter, (SELECT e.counter FROM ticket_events e
            WHERE e.ticket_id = tickets.id AND e.counter IS NOT NULL
              AND e.kind IN ('called', 'recalled', 'resumed')
            ORDER BY e.id DESC LIMIT 1)),
        transfers = (SELECT COUNT(*) FROM ticket_events e
            WHERE e.ticket_id = tickets.id AND e.kind = 'transferred')"""
    )
    op.create_index("ix_tickets_report", "tickets", ["site", "business_day"])


def downgrade() -> None:
    op.drop_index("ix_tickets_report", table_name="tickets")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy would drop the triggers.
    for column in ("transfers", "last_counter", "first_called_at"):
        op.drop_column("tickets", column)
