"""The one place that owns the engine, the session factory and transactions.

Every use case runs inside ``with db.transaction() as s:`` and is committed when the block
ends (on SQLite together with the writers that waited meanwhile: ``kiosk.groupcommit``).
Models and domain functions never commit. On SQLite every transaction starts with
``BEGIN IMMEDIATE`` so that the single writer lock is taken up front: a read-then-write
transaction can neither fail with "database is locked" nor interleave with another writer.

It also tells caches of credentials when to forget: a transaction that revokes a token or
disables a user calls :func:`mark_auth_changed`, and once it commits
:meth:`Database.auth_generation` moves on in every process that uses the database (a stamp
file next to a SQLite database, ``NOTIFY`` on PostgreSQL).
"""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import ClauseElement, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from kiosk.groupcommit import AUTH_CHANGED as _AUTH_CHANGED
from kiosk.groupcommit import GroupCommit
from kiosk.offload import blocking, gevent_active
from kiosk.storage import ALONE

log = logging.getLogger(__name__)

AUTH_CHANNEL = "motcua_auth"


def mark_auth_changed(s: Session) -> None:
    """Call inside a transaction that takes credentials away (revokes a token, disables a
    user): when it commits, every cached token resolution is dropped, in this process and in
    every other one using the database."""
    s.info[_AUTH_CHANGED] = True


class Database:
    """Engine plus session factory for one database URL."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = _make_engine(url, echo=echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # Reads start a deferred transaction: in WAL mode they never wait for the writer.
        reader = self.engine.execution_options(motcua_read_only=True)
        self._readers = sessionmaker(reader, expire_on_commit=False, autoflush=False)
        database = self.engine.url.database if self.is_sqlite else None
        file_backed = bool(database) and database != ":memory:" and "mode=memory" not in url
        self._auth_stamp = Path(f"{database}-auth") if file_backed else None
        self._auth_local = 0  # bumped by this process's own commits
        self._listener: _AuthListener | None = None
        # SQLite has one writer at a time: this process's writers share its transactions and
        # commits (see ``GroupCommit``); only one of them at a time competes for SQLite's lock
        # with the writers of other processes.
        self._group = GroupCommit(self.engine, self._auth_committed) if self.is_sqlite else None
        self._pings = None if self.is_sqlite else _IdlePing(self.engine)
        # Single-statement blocks on PostgreSQL: reads in autocommit (no BEGIN and ROLLBACK
        # round trips), the write on the driver (see ``_alone``).
        autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._alone_sessions = sessionmaker(autocommit, expire_on_commit=False, autoflush=False)
        self._compiled: dict[ClauseElement, _Compiled] = {}  # compiled once per statement

    @contextmanager
    def transaction(self, *, single_statement: bool = False) -> Iterator[Session]:
        """A session inside one transaction: commit at the end, roll back on any exception.

        ``single_statement``: the block writes with one statement (its other statements
        read). On PostgreSQL that statement is then its own transaction, committed by the
        server as it runs (autocommit: no BEGIN and COMMIT round trips, and the rows it
        locks are free as soon as it returns); a statement either wholly happens or not at
        all, so nothing is half-written, but an exception raised after it no longer undoes
        it: write last. The session's reads run in autocommit too, on a connection taken
        only if there is a read; the write, when it goes through :data:`ALONE` (the new
        ticket does), runs on the driver's connection (:meth:`_alone`). On SQLite it changes
        nothing (the writer lock is taken up front and the commit is local and shared, see
        ``GroupCommit``)."""
        if single_statement and not self.is_sqlite:
            with self._alone_sessions() as session, session.begin():
                session.info[ALONE] = self._alone
                yield session
                assert not session.info.get(_AUTH_CHANGED), "a revocation needs a transaction"
            return
        if self._group is not None:
            with self._group.transaction(self._sessions) as session:
                yield session
            return
        with self._sessions() as session:
            with session.begin():
                yield session
                auth_changed = session.info.pop(_AUTH_CHANGED, False)
                if auth_changed:
                    session.execute(text(f"NOTIFY {AUTH_CHANNEL}"))  # delivered on commit
            if auth_changed:
                self._auth_committed()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads only: one consistent snapshot, rolled back at the end. Never
        write through it (on SQLite it does not hold the writer lock)."""
        with self._readers() as session:
            yield session

    def _alone(self, stmt: ClauseElement, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Run ``stmt`` as a transaction of its own; return its first row (None: no row).

        On the driver's connection, with the statement compiled once: SQLAlchemy's session,
        connection and result around one statement cost about 0.2 ms of CPU, as much as
        psycopg and the statement itself (measured on the new ticket's statement). What
        SQLAlchemy would do around it is done here: errors are raised as SQLAlchemy raises
        them (IntegrityError, OperationalError…, without the parameters), a connection the
        server cut is dropped and the pool's other idle connections are tested before they
        are used again, and the connection goes back to the pool as the pool handed it out."""
        compiled = self._compiled.get(stmt)
        if compiled is None:
            compiled = self._compiled[stmt] = _Compiled(stmt, self.engine)
        values = compiled.values(params)
        dialect = self.engine.dialect
        pooled = self.engine.raw_connection()
        try:
            driver = pooled.driver_connection
            assert driver is not None
            try:
                driver.autocommit = True
                row = driver.execute(compiled.sql, values).fetchone()
            except dialect.loaded_dbapi.Error as exc:
                cut = bool(dialect.is_disconnect(exc, driver, None))
                if cut:
                    pooled.invalidate(exc)
                    assert self._pings is not None
                    self._pings.connections_cut()
                raise DBAPIError.instance(
                    None,
                    None,
                    exc,
                    dialect.loaded_dbapi.Error,
                    hide_parameters=True,
                    connection_invalidated=cut,
                    dialect=dialect,
                ) from exc
            finally:
                if pooled.is_valid:  # a cut connection is already dropped
                    try:
                        driver.autocommit = False
                    except Exception:  # left mid-statement (the request was cancelled)
                        pooled.invalidate()  # not reused
        finally:
            pooled.close()
        return None if row is None else tuple(row)

    def auth_generation(self) -> Hashable | None:
        """A value that changes whenever a committed transaction took credentials away, in any
        process; None when that cannot be known right now (then cache nothing)."""
        if self.is_sqlite:
            if self._auth_stamp is None:
                return self._auth_local  # an in-memory database lives in this process only
            try:
                st = os.stat(self._auth_stamp)
            except FileNotFoundError:
                return (self._auth_local, 0)
            return (self._auth_local, st.st_ino, st.st_mtime_ns, st.st_size)
        if self._listener is None:
            with _LISTENER_START:
                if self._listener is None:
                    self._listener = _AuthListener(self.engine)
        seen = self._listener.generation()
        return None if seen is None else (self._auth_local, seen)

    def _auth_committed(self) -> None:
        self._auth_local += 1
        if self._auth_stamp is not None:
            # A new file each time (new inode and mtime): readers only stat() it.
            tmp = self._auth_stamp.with_name(f"{self._auth_stamp.name}.{os.getpid()}")
            tmp.write_text(f"{time.time_ns()}\n", encoding="ascii")
            os.replace(tmp, self._auth_stamp)

    def dispose(self) -> None:
        if self._listener is not None:
            self._listener.stop()
        self.engine.dispose()


_LISTENER_START = threading.Lock()


class _AuthListener:
    """A thread holding ``LISTEN motcua_auth`` on its own PostgreSQL connection. While it is
    not connected (start-up, a lost connection) it reports no generation, so nothing is
    cached; a reconnect starts a new generation, forgetting what may have been missed."""

    def __init__(self, engine: Engine) -> None:
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._lock = threading.Lock()
        self._connected = False
        self._epoch = 0
        self._seen = 0
        self._stop = threading.Event()
        threading.Thread(target=self._run, name="motcua-auth-listener", daemon=True).start()

    def generation(self) -> tuple[int, int] | None:
        with self._lock:
            return (self._epoch, self._seen) if self._connected else None

    def _run(self) -> None:
        import psycopg

        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {AUTH_CHANNEL}")
                    with self._lock:
                        self._epoch += 1
                        self._connected = True
                    delay = 0.5
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            with self._lock:
                                self._seen += 1
            except Exception as exc:  # the connection went away: retry, caching nothing
                log.warning("auth change listener: %s; retrying", exc)
            with self._lock:
                self._connected = False
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, 10.0)

    def stop(self) -> None:
        self._stop.set()


class _Compiled:
    """A statement compiled for the engine's driver, and how each parameter is converted
    (by the parameters' own SQLAlchemy types, as SQLAlchemy would convert them)."""

    def __init__(self, stmt: ClauseElement, engine: Engine) -> None:
        dialect = engine.dialect
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        self._compiled = compiled
        self._convert: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if convert is not None:
                self._convert[name] = convert

    def values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = self._compiled.construct_params(dict(params))
        for name, convert in self._convert.items():
            if name in values:
                values[name] = convert(values[name])
        return values


def _make_engine(url: str, *, echo: bool) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            poolclass=QueuePool,
            pool_size=8,
            max_overflow=24,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,  # errors never carry what people typed or their codes
        )
        _configure_sqlite(engine)
        if gevent_active():
            # The commit's fsync would stop every greenlet of the process: a real thread
            # waits for it. Other greenlets meanwhile wait for the writer lock cooperatively
            # (begin_immediate) or go on reading.
            commit = engine.dialect.do_commit
            engine.dialect.do_commit = lambda dbapi_conn: blocking(commit, dbapi_conn)  # type: ignore[method-assign]
        return engine
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20, hide_parameters=True)


# A pooled PostgreSQL connection unused for this long is tested before it is handed out.
IDLE_PING_S = 2.0


class _IdlePing:
    """SQLAlchemy's pessimistic disconnect handling, for connections that may be dead only.

    ``pool_pre_ping`` costs a round trip at every checkout: one in four of an issued ticket's.
    A connection returned to the pool a moment ago has just answered; one that sat idle may
    have been cut (a PostgreSQL restart, a firewall): raising ``DisconnectionError`` from the
    checkout event makes the pool replace it (the documented form of a custom ping). Should
    the server restart within the idle time, the first statement on an old connection fails
    instead; SQLAlchemy then invalidates the whole pool, and a statement run on the driver
    (``Database._alone``) calls :meth:`connections_cut`, after which every connection
    returned before is tested at its next checkout: the next request reconnects."""

    def __init__(self, engine: Engine) -> None:
        self._cut_at = 0.0  # when a statement on the driver last found its connection cut
        event.listen(engine, "checkin", self._checked_in)
        event.listen(engine, "checkout", self._checked_out)

    def connections_cut(self) -> None:
        self._cut_at = time.monotonic()

    @staticmethod
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def _checked_out(self, dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or (time.monotonic() - since < IDLE_PING_S and since > self._cut_at):
            return
        try:
            dbapi_conn.execute("SELECT 1")
            dbapi_conn.rollback()
        except Exception as exc:  # psycopg.Error, OSError: gone; the pool replaces it
            raise DisconnectionError(str(exc)) from exc


# How long a write transaction waits for SQLite's writer lock before it gives up.
WRITE_WAIT_S = 30.0
_BUSY_SLEEPS_S = (0.0001, 0.0002, 0.0005, 0.001)  # then every 1 ms (with jitter)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event decide how transactions start (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        # No busy handler inside SQLite: it sleeps in C, which under gevent stops every
        # connection of the process, and with growing sleeps (up to 100 ms). Waiting for the
        # writer lock is done by ``begin_immediate`` below instead; readers never wait in WAL.
        cur.execute("PRAGMA busy_timeout=0")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        driver = conn.connection.driver_connection  # straight to the driver: every transaction
        if conn.get_execution_options().get("motcua_read_only"):
            driver.execute("BEGIN")
        else:
            begin_immediate(driver)


def begin_immediate(driver: sqlite3.Connection, wait_s: float = WRITE_WAIT_S) -> None:
    """``BEGIN IMMEDIATE``: take SQLite's writer lock up front (so that a transaction that
    reads then writes can neither fail half-way nor interleave with another writer), waiting
    for it while another connection, of this process or another one, holds it. The wait
    sleeps in short steps with ``time.sleep``, which lets other greenlets (or threads) run."""
    deadline: float | None = None
    attempt = 0
    while True:
        try:
            driver.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            now = time.monotonic()
            if deadline is None:
                deadline = now + wait_s
            elif now >= deadline:
                raise
        step = _BUSY_SLEEPS_S[min(attempt, len(_BUSY_SLEEPS_S) - 1)]
        time.sleep(step * (0.5 + random.random()))
        attempt += 1
