"""The database triggers that keep the report summary honest (``docs/reports.md``).

``report_days`` lists the closed business days whose tickets are copied into
``report_facts``. Any insert, update or delete of a ticket, or of a rating, takes its business
day off that list in the same transaction, whichever code (or hand) makes the change, so the
next report reads that day from the tickets again and summarises it afresh. For today the
DELETE finds no row (today is never summarised): one index probe per write.
"""

from __future__ import annotations

from typing import Any

# Columns a report reads; an update of any other column (a print status, a note) changes
# no figure.
_WATCHED = """
        site, business_day, origin_service, issued_at, status,
        first_called_at, finished_at, last_counter, officer_id, priority, transfers"""
_FORGET = """
        DELETE FROM report_days
        WHERE site = {r}.site AND business_day = {r}.business_day;"""
_FORGET_RATED = """
        DELETE FROM report_days WHERE (site, business_day) IN
            (SELECT site, business_day FROM tickets WHERE id = {r}.ticket_id);"""

REPORT_TRIGGERS: dict[str, list[str]] = {
    "sqlite": [
        f"""CREATE TRIGGER report_ticket_insert AFTER INSERT ON tickets
    BEGIN{_FORGET.format(r="NEW")}
    END""",
        f"""CREATE TRIGGER report_ticket_update AFTER UPDATE OF{_WATCHED} ON tickets
    BEGIN{_FORGET.format(r="OLD")}{_FORGET.format(r="NEW")}
    END""",
        f"""CREATE TRIGGER report_ticket_delete AFTER DELETE ON tickets
    BEGIN{_FORGET.format(r="OLD")}
    END""",
        f"""CREATE TRIGGER report_rating_insert AFTER INSERT ON ratings
    BEGIN{_FORGET_RATED.format(r="NEW")}
    END""",
        f"""CREATE TRIGGER report_rating_update AFTER UPDATE OF ticket_id, score ON ratings
    BEGIN{_FORGET_RATED.format(r="OLD")}{_FORGET_RATED.format(r="NEW")}
    END""",
        f"""CREATE TRIGGER report_rating_delete AFTER DELETE ON ratings
    BEGIN{_FORGET_RATED.format(r="OLD")}
    END""",
    ],
    "postgresql": [
        f"""CREATE FUNCTION motcua_report_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN{_FORGET.format(r="OLD")}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN{_FORGET.format(r="NEW")}
    END IF;
    RETURN NULL;
END $$""",
        f"""CREATE TRIGGER report_ticket AFTER INSERT OR DELETE OR UPDATE OF{_WATCHED}
    ON tickets FOR EACH ROW EXECUTE FUNCTION motcua_report_ticket()""",
        f"""CREATE FUNCTION motcua_report_rating() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN{_FORGET_RATED.format(r="OLD")}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN{_FORGET_RATED.format(r="NEW")}
    END IF;
    RETURN NULL;
END $$""",
        """CREATE TRIGGER report_rating AFTER INSERT OR DELETE OR UPDATE OF ticket_id, score
    ON ratings FOR EACH ROW EXECUTE FUNCTION motcua_report_rating()""",
    ],
}


def create_report_triggers(target: Any, connection: Any, **_kw: Any) -> None:
    """With ``metadata.create_all`` (tests) as with the migration."""
    for statement in REPORT_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
