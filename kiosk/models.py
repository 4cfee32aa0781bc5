"""Database tables. Plain mapped classes: no behaviour, no commits.

Times are stored as UTC and come back timezone-aware; the business day is computed in the
application (Asia/Ho_Chi_Minh) and stored next to each ticket.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kiosk.column_types import BigId, UTCDateTime
from kiosk.report_triggers import create_report_triggers


class Base(DeclarativeBase):
    pass


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # Safety net under the counter-row upsert: one number per issuing service and day.
        UniqueConstraint("site", "origin_service", "business_day", "seq", name="uq_ticket_number"),
        Index("ix_tickets_queue", "site", "business_day", "status", "service", "order_at"),
        Index("ix_tickets_kiosk_time", "kiosk_device_id", "issued_at"),
        Index("ix_tickets_report", "site", "business_day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    site: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(32))
    origin_service: Mapped[str] = mapped_column(String(32))
    business_day: Mapped[date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(8))
    priority: Mapped[str | None] = mapped_column(String(32))
    priority_requested: Mapped[str | None] = mapped_column(String(32))
    procedure: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    order_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counter: Mapped[int | None] = mapped_column(Integer)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    # For reports: ``called_at`` and ``counter`` change with requeues, resumes and transfers;
    # these keep the first call, the counter of the latest call and how often it moved.
    first_called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_counter: Mapped[int | None] = mapped_column(Integer)
    transfers: Mapped[int] = mapped_column(Integer, server_default="0")
    kiosk_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    issued_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    print_status: Mapped[str] = mapped_column(String(8), default="none")
    note: Mapped[str | None] = mapped_column(Text)


class TicketNumber(Base):
    """One row per (site, service, business day): the numbering counter, bumped by an atomic
    upsert in the issuing transaction, and how many tickets wait in that queue now (kept by
    the database's own triggers, see ``QUEUE_COUNT_TRIGGERS``), so that a new ticket learns
    how many people are ahead of it without counting them."""

    __tablename__ = "ticket_numbers"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    service: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)  # by origin service: numbering
    waiting: Mapped[int] = mapped_column(Integer, server_default="0")  # by service
    priority_waiting: Mapped[int] = mapped_column(Integer, server_default="0")


class TicketEvent(Base):
    """Append-only history of every ticket."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    site: Mapped[str] = mapped_column(String(32))
    counter: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CounterState(Base):
    """Runtime state of one counter: its current ticket, pause and policy bookkeeping."""

    __tablename__ = "counter_state"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="closed")
    current_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    pause_reason: Mapped[str | None] = mapped_column(String(200))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    normal_streak: Mapped[int] = mapped_column(Integer, default=0)
    services_override: Mapped[list[str] | None] = mapped_column(JSON)
    override_day: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DisplaySeq(Base):
    __tablename__ = "display_seq"

    display_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)


class DisplayEvent(Base):
    __tablename__ = "display_events"

    display_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    site: Mapped[str | None] = mapped_column(String(32))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on disable or password change: every session carrying an older epoch is refused.
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    site: Mapped[str] = mapped_column(String(32))
    display_id: Mapped[int | None] = mapped_column(Integer)
    counter: Mapped[int | None] = mapped_column(Integer)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """Bearer tokens; only a SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # "browser": the cookie of a browser enrolled as the device; None: a user's token or the
    # device's own bearer token (``motcua device add``).
    kind: Mapped[str | None] = mapped_column(String(16))


class EnrollmentLink(Base):
    """A link that turns one browser into a device. Only a SHA-256 of its secret is stored.
    ``motcua device link`` makes single-use links that expire; the demo keeps reusable ones
    (``single_use`` false, no expiry) so that the links it printed stay valid."""

    __tablename__ = "enrollment_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    single_use: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrintJob(Base):
    __tablename__ = "print_jobs"
    __table_args__ = (Index("ix_print_jobs_queue", "printer", "status", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    printer: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="ticket")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # What to print (e.g. the tracking URL base, or a checklist), and the bytes once printed.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Rating(Base):
    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    scale: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    site: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(32))
    counter: Mapped[int | None] = mapped_column(Integer)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Append-only log of state changes and priority decisions. No names or ID numbers."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(48))
    site: Mapped[str | None] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    counter: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class StaffSession(Base):
    """A signed-in browser: the session cookie carries the id, the server keeps its hash, so
    that logging out (the row deleted) ends that cookie everywhere it was copied."""

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_user", "user_id"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrinterStatus(Base):
    """Last report of each printer (from its worker or print agent), for alarms."""

    __tablename__ = "printer_status"

    printer: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[dict[str, Any]] = mapped_column(JSON)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DisplayPresence(Base):
    """When each display was last seen connected to /display (any server process), for
    alarms. Refreshed on connect and disconnect and, while connected, by each process's
    presence heartbeat (``kiosk.background.PresenceBeat``)."""

    __tablename__ = "display_presence"

    display_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    connected: Mapped[bool] = mapped_column(Boolean)


class UsageCount(Base):
    """Anonymous use of the online-submission guide, counted per local day, site, event and
    procedure ("" when none): procedure viewed, checklist printed, help asked. Nothing else."""

    __tablename__ = "usage_counts"
    __table_args__ = (UniqueConstraint("day", "site", "event", "procedure", name="uq_usage_count"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    site: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(16))
    procedure: Mapped[str] = mapped_column(String(32), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


# --- queue counts ---------------------------------------------------------------------------
# ``ticket_numbers.waiting`` / ``priority_waiting`` count the tickets whose status is waiting or
# transferred, per (site, current service, business day). Triggers keep them exact through
# every insert, update and delete of a ticket, whichever code (or hand) makes it, in the same
# transaction (on PostgreSQL at its commit). A row a queue needs before its first ticket is
# issued (a transfer into a service with no ticket yet today) is created with ``last_seq`` 0.

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
        # Deferred to the commit, so that the queue's row is locked for the commit only,
        # not from a claim to the end of the call (several counters call on one queue).
        f"""CREATE CONSTRAINT TRIGGER tickets_queue_count
    AFTER INSERT OR DELETE OR UPDATE OF {_WATCHED} ON tickets DEFERRABLE INITIALLY DEFERRED
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


def _create_queue_count_triggers(target: Any, connection: Any, **_kw: Any) -> None:
    """With ``metadata.create_all`` (tests) as with the migration."""
    for statement in QUEUE_COUNT_TRIGGERS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


event.listen(Ticket.__table__, "after_create", _create_queue_count_triggers)


# --- report summary (docs/reports.md, "How reports stay fast") ------------------------------
# Closed business days copied for reports; triggers (``kiosk.report_triggers``) take a day off
# ``report_days`` when any of its tickets or ratings changes (created after every table).


class ReportDay(Base):
    __tablename__ = "report_days"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_day: Mapped[date] = mapped_column(Date, primary_key=True)
    targets: Mapped[str] = mapped_column(Text)  # the target waits the cells were counted with


class ReportFact(Base):
    __tablename__ = "report_facts"  # one ticket a row (kiosk.domain.report_summary)

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_day: Mapped[date] = mapped_column(Date, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    hour: Mapped[int] = mapped_column(Integer)  # local hour of issue
    service: Mapped[str] = mapped_column(String(32))  # the service issued for
    counter: Mapped[int | None] = mapped_column(Integer)  # of the latest call
    officer_id: Mapped[int | None] = mapped_column(Integer)  # of the latest call
    priority: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    wait_s: Mapped[int | None] = mapped_column(Integer)  # issue -> first call
    service_s: Mapped[int | None] = mapped_column(Integer)  # first call -> done (done only)
    transferred: Mapped[int] = mapped_column(Integer)  # 1 when moved at least once
    score: Mapped[int | None] = mapped_column(Integer)
    first_called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reasons: Mapped[list[str] | None] = mapped_column(JSON)  # given with the rating


class ReportCell(Base):
    __tablename__ = "report_cells"  # one key of a grouping of a part of a day's tickets

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    by: Mapped[str] = mapped_column(String(16), primary_key=True)
    # "" every ticket, "service=CODE", "priority=GROUP" (kiosk.domain.report_cells.parts_of)
    part: Mapped[str] = mapped_column(String(48), primary_key=True)
    business_day: Mapped[date] = mapped_column(Date, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" for none
    issued: Mapped[int] = mapped_column(Integer)
    served: Mapped[int] = mapped_column(Integer)
    no_show: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[int] = mapped_column(Integer)
    transferred: Mapped[int] = mapped_column(Integer)
    timed: Mapped[int] = mapped_column(Integer)
    within: Mapped[int] = mapped_column(Integer)
    scores: Mapped[str] = mapped_column(Text)  # JSON [[score, count], ...]
    reasons: Mapped[str] = mapped_column(Text)  # JSON [[reason code, count], ...]
    waits: Mapped[bytes] = mapped_column(LargeBinary)  # sorted whole seconds (report_cells.pack)
    serves: Mapped[bytes] = mapped_column(LargeBinary)


event.listen(Base.metadata, "after_create", create_report_triggers)


class ConfigDocument(Base):
    """One file of the live configuration (``motcua.yaml``, ``sites/hall.yaml``,
    ``procedures.yaml``): the YAML text exactly as it was loaded or last saved."""

    __tablename__ = "config_documents"

    path: Mapped[str] = mapped_column(String(200), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)  # the configuration version that wrote it


class ConfigVersion(Base):
    """One saved version of the configuration; the highest is live."""

    __tablename__ = "config_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(48))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
