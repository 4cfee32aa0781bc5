"""device enrollment links; api tokens say which are enrolled browsers

Revision ID: 0050_device_links
Revises: 0060_staff_sessions
Create Date: 2026-11-27 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0050_device_links"
down_revision = "0060_staff_sessions"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "enrollment_links",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("device_id", _ID, nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("single_use", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("secret_hash"),
    )
    op.create_index("ix_enrollment_links_device_id", "enrollment_links", ["device_id"])
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("kind")
    op.drop_index("ix_enrollment_links_device_id", table_name="enrollment_links")
    op.drop_table("enrollment_links")
