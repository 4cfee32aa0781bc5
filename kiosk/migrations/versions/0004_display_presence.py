"""display presence, for display alarms

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 22:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "display_presence",
        sa.Column("display_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("display_id"),
    )


def downgrade() -> None:
    op.drop_table("display_presence")
