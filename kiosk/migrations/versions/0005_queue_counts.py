"""waiting counts per queue, kept by triggers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 11:00:00

The trigger SQL is frozen here as this revision created it (``kiosk.models`` keeps the live
copy that ``metadata.create_all`` uses).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_WAITING = "('waiting', 'transferred')"
_SQLITE_ROW = """INSERT OR IGNORE INTO ticket_numbers
        (site, service, business_day, last_seq, waiting, priority_waiting)
        VALUES (NEW.site, NEW.service, NEW.business_day, 0, 0, 0);"""
_SQLITE_JOIN = """UPDATE ticket_numbers SET waiting = waiting + 1,
        priority_waiting = priority_waiting + (NEW.priority IS NOT NULL)
        WHERE site = NEW.site AND service = NEW.service AND business_day = NEW.business_day;"""
_SQLITE_LEAVE = """UPDATE ticket_numbers SET waiting = waiting - 1,
        priority_waiting = priority_waiting - (OLD.priority IS NOT NULL)
        WHERE site = OLD.site AND service = OLD.service AND business_day = OLD.business_day;"""
_WATCHED = "status, service, site, business_day, priority"

QUEUE_COUNT_TRIGGERS: dict[str, list[str]] = {
    "sqlite": [
        f"""CREATE TRIGGER tickets_queue_insert AFTER INSERT ON tickets
    WHEN NEW.status IN {_WAITING}
    BEGIN {_SQLITE_ROW} {_SQLITE_JOIN} END""",
        f"""CREATE TRIGGER tickets_queue_leave AFTER UPDATE OF {_WATCHED} ON tickets
    WHEN OLD.status IN {_WAITING}
    BEGIN {_SQLITE_LEAVE} END""",
        f"""CREATE TRIGGER tickets_queue_join AFTER UPDATE OF {_WATCHED} ON tickets
    WHEN NEW.status IN {_WAITING}
    BEGIN {_SQLITE_ROW} {_SQLITE_JOIN} END""",
        f"""CREATE TRIGGER tickets_queue_delete AFTER DELETE ON tickets
    WHEN OLD.status IN {_WAITING}
    BEGIN {_SQLITE_LEAVE} END""",
    ],
    "postgresql": [
        f"""CREATE FUNCTION motcua_queue_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN {_WAITING} THEN
        UPDATE ticket_numbers SET waiting = waiting - 1,
            priority_waiting = priority_waiting - (OLD.priority IS NOT NULL)::int
        WHERE site = OLD.site AND service = OLD.service AND business_day = OLD.business_day;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status IN {_WAITING} THEN
        INSERT INTO ticket_numbers
            (site, service, business_day, last_seq, waiting, priority_waiting)
        VALUES (NEW.site, NEW.service, NEW.business_day, 0, 1,
            (NEW.priority IS NOT NULL)::int)
        ON CONFLICT (site, service, business_day) DO UPDATE
        SET waiting = ticket_numbers.waiting + 1,
            priority_waiting = ticket_numbers.priority_waiting + EXCLUDED.priority_waiting;
    END IF;
    RETURN NULL;
END $$""",
        f"""CREATE TRIGGER tickets_queue_count
    AFTER INSERT OR DELETE OR UPDATE OF {_WATCHED} ON tickets
    FOR EACH ROW EXECUTE FUNCTION motcua_queue_count()""",
    ],
}

DROP_QUEUE_COUNT_TRIGGERS: dict[str, list[str]] = {
    "sqlite": [
        f"DROP TRIGGER IF EXISTS tickets_queue_{name}"
        for name in ("insert", "leave", "join", "delete")
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS tickets_queue_count ON tickets",
        "DROP FUNCTION IF EXISTS motcua_queue_count()",
    ],
}


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
