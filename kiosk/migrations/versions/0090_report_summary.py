"""report summary: closed business days' tickets as plain integers, and the triggers that
take a day off the summary when any of its tickets or ratings changes

Revision ID: 0090_report_summary
Revises: 0080_live_configuration
Create Date: 2026-12-03 18:00:00

The trigger SQL is frozen here (a copy of ``kiosk.report_triggers`` as of this revision), so
later edits there do not change what this migration did. Existing days are summarised lazily
by the first report that reads them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0090_report_summary"
down_revision = "0080_live_configuration"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

TRIGGERS = {
    "sqlite": [
        """CREATE TRIGGER report_ticket_insert AFTER INSERT ON tickets
    BEGIN
        DELETE FROM report_days
        WHERE site = NEW.site AND business_day = NEW.business_day;
    END""",
        """CREATE TRIGGER report_ticket_update AFTER UPDATE OF
        site, business_day, origin_service, issued_at, status,
        first_called_at, finished_at, last_counter, officer_id, priority, transfers ON tickets
    BEGIN
        DELETE FROM report_days
        WHERE site = OLD.site AND business_day = OLD.business_day;
        DELETE FROM report_days
        WHERE site = NEW.site AND business_day = NEW.business_day;
    END""",
        """CREATE TRIGGER report_ticket_delete AFTER DELETE ON tickets
    BEGIN
        DELETE FROM report_days
        WHERE site = OLD.site AND business_day = OLD.business_day;
    END""",
        """CREATE TRIGGER report_rating_insert AFTER INSERT ON ratings
    BEGIN
        DELETE FROM report_days WHERE (site, business_day) IN
            (SELECT site, business_day FROM tickets WHERE id = NEW.ticket_id);
    END""",
        """CREATE TRIGGER report_rating_update AFTER UPDATE OF ticket_id, score ON ratings
    BEGIN
        DELETE FROM report_days WHERE (site, business_day) IN
            (SELECT site, business_day FROM tickets WHERE id = OLD.ticket_id);
        DELETE FROM report_days WHERE (site, business_day) IN
            (SELECT site, business_day FROM tickets WHERE id = NEW.ticket_id);
    END""",
        """CREATE TRIGGER report_rating_delete AFTER DELETE ON ratings
    BEGIN
        DELETE FROM report_days WHERE (site, business_day) IN
            (SELECT site, business_day FROM tickets WHERE id = OLD.ticket_id);
    END""",
    ],
    "postgresql": [
        """CREATE FUNCTION motcua_report_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM report_days
        WHERE site = OLD.site AND business_day = OLD.business_day;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        DELETE FROM report_days
        WHERE site = NEW.site AND business_day = NEW.business_day;
    END IF;
    RETURN NULL;
END $$""",
        """CREATE TRIGGER report_ticket AFTER INSERT OR DELETE OR UPDATE OF
        site, business_day, origin_service, issued_at, status,
        first_called_at, finished_at, last_counter, officer_id, priority, transfers
    ON tickets FOR EACH ROW EXECUTE FUNCTION motcua_report_ticket()""",
        """CREATE FUNCTION motcua_report_rating() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM report_days WHERE (site, business_day) IN
            (SELECT site, business_day FROM tickets WHERE id = OLD.ticket_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        DELETE FROM report_days WHERE (site, business_day) IN
            (SELECT site, business_day FROM tickets WHERE id = NEW.ticket_id);
    END IF;
    RETURN NULL;
END $$""",
        """CREATE TRIGGER report_rating AFTER INSERT OR DELETE OR UPDATE OF ticket_id, score
    ON ratings FOR EACH ROW EXECUTE FUNCTION motcua_report_rating()""",
    ],
}

DROP_TRIGGERS = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS report_{table}_{op_}"
        for table in ("ticket", "rating")
        for op_ in ("insert", "update", "delete")
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS report_ticket ON tickets",
        "DROP TRIGGER IF EXISTS report_rating ON ratings",
        "DROP FUNCTION IF EXISTS motcua_report_ticket()",
        "DROP FUNCTION IF EXISTS motcua_report_rating()",
    ],
}


def upgrade() -> None:
    op.create_table(
        "report_days",
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("targets", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("site", "business_day"),
    )
    op.create_table(
        "report_cells",
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("by", sa.String(length=16), nullable=False),
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
        sa.PrimaryKeyConstraint("site", "by", "business_day", "key"),
    )
    op.create_table(
        "report_facts",
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("ticket_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("wait_s", sa.Integer(), nullable=True),
        sa.Column("service_s", sa.Integer(), nullable=True),
        sa.Column("transferred", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("first_called_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("site", "business_day", "ticket_id"),
    )
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table("report_cells")
    op.drop_table("report_facts")
    op.drop_table("report_days")
