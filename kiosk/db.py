"""The one place that owns the engine, the session factory and transactions.

Every use case runs inside ``with db.transaction() as s:`` and commits exactly once when the
block ends. Models and domain functions never commit. On SQLite every transaction starts with
``BEGIN IMMEDIATE`` so that the single writer lock is taken up front: a read-then-write
transaction can neither fail with "database is locked" nor interleave with another writer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool


class Database:
    """Engine plus session factory for one database URL."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = _make_engine(url, echo=echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_lock = threading.Lock()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        # Reads start a deferred transaction: in WAL mode they never wait for the writer.
        reader = self.engine.execution_options(motcua_read_only=True)
        self._readers = sessionmaker(reader, expire_on_commit=False, autoflush=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: commit at the end, roll back on any exception."""
        if self.is_sqlite:
            # SQLite has one writer. Threads of this process queue on a mutex rather than in
            # SQLite's busy handler, which polls with sleeps of up to 100 ms and starves some
            # waiters; other processes still meet the busy timeout.
            with self._write_lock, self._sessions() as session, session.begin():
                yield session
        else:
            with self._sessions() as session, session.begin():
                yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads only: one consistent snapshot, rolled back at the end. Never
        write through it (on SQLite it does not hold the writer lock)."""
        with self._readers() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, *, echo: bool) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            poolclass=QueuePool,
            pool_size=8,
            max_overflow=24,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event decide how transactions start (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        read_only = conn.get_execution_options().get("motcua_read_only")
        # Straight to the driver: this runs on every transaction.
        conn.connection.driver_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")
