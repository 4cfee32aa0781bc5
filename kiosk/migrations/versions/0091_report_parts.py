"""report cells per part: every ticket, one service, one priority group

Revision ID: 0091_report_parts
Revises: 0090_report_summary
Create Date: 2026-12-04 16:30:00

The cells gain a ``part`` column in their key, so a report filtered by one service or one
priority group merges cells as an unfiltered one does. Cells made before have no part: they
are dropped and every day is taken off ``report_days``, so the first report over a range
summarises it again (lazily, as after the summary's own migration).
"""

import sqlalchemy as sa
from alembic import op

revision = "0091_report_parts"
down_revision = "0090_report_summary"
branch_labels = None
depends_on = None


def _cells(*key: str, part: bool) -> None:
    op.create_table(
        "report_cells",
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("by", sa.String(length=16), nullable=False),
        *([sa.Column("part", sa.String(length=48), nullable=False)] if part else []),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("issued", "served", "no_show", "cancelled", "transferred")
        ),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.Column("within", sa.Integer(), nullable=False),
        sa.Column("scores", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("waits", sa.LargeBinary(), nullable=False),
        sa.Column("serves", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint(*key),
    )


def _remake(*key: str, part: bool) -> None:
    op.execute("DELETE FROM report_days")  # summarised again on the next report
    op.drop_table("report_cells")
    _cells(*key, part=part)


def upgrade() -> None:
    _remake("site", "by", "part", "business_day", "key", part=True)


def downgrade() -> None:
    _remake("site", "by", "business_day", "key", part=False)
