"""Group commit: the SQLite writers of one process share transactions and their commits.

SQLite has one writer at a time, and each commit waits for the disk (``synchronous=FULL``:
an fsync, ~0.35 ms on the benchmark machine, more on an SD card). Writers that each begin,
write and commit on their own take turns on that lock one fsync at a time, and with several
server processes each hand-over of the lock costs a poll (``kiosk.db.begin_immediate``).

So the writers of a process line up (``_line``), and those that arrive while a transaction
is open or committing join the next one: each runs its block in a ``SAVEPOINT`` of its own,
one after another, in arrival order, and the last one in line commits them all at once, one
``BEGIN IMMEDIATE`` and one fsync for the lot. The effect is that of the same blocks run
one by one in that order:

* a block that raises undoes only itself (its savepoint); the others commit;
* every writer returns only once the commit that holds its block is done, and raises if that
  commit fails: nothing is acknowledged before it is on disk;
* a block reads what the blocks before it in the transaction wrote, as it would have read it
  once they had committed; readers on other connections see all of them or none;
* a long block (a configuration import) delays the answer to the blocks before it in its
  transaction, as it delays the writers after it;
* each writer publishes its events once it returns, so the calls of one commit can reach a
  display out of order: displays put calls in event order (as they must with several server
  processes anyway).

Neither SQLite nor SQLAlchemy has this (it is what client-server databases do inside the
server); it is written here on SQLAlchemy's documented "join an external transaction" mode
(``join_transaction_mode="create_savepoint"``). Under gevent the line forms by itself: a
block does not yield while it runs, so the writers that wait are those that arrived during
the previous commit (its fsync runs in a real thread).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

# At most this many blocks share one commit: with threads (not gevent) writers can keep
# arriving while the line moves, and every one of them waits for the commit.
MAX_BLOCKS = 64
# A writer whose transaction is left open with nobody to commit it (the writer that was to
# come next gave up waiting) commits it itself after this long.
RESCUE_S = 0.1

AUTH_CHANGED = "motcua_auth_changed"  # Session.info key: this block took credentials away


class _Batch:
    """One open SQLite transaction and the blocks it holds."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.outer = conn.begin()  # BEGIN IMMEDIATE (kiosk.db's "begin" event)
        self.blocks = 0
        self.auth_changed = False
        self.error: BaseException | None = None
        self.done = threading.Event()


class GroupCommit:
    def __init__(self, engine: Engine, auth_committed: Callable[[], None]) -> None:
        self._engine = engine
        self._auth_committed = auth_committed
        self._line = threading.Lock()  # held while a block runs or a transaction commits
        self._count = threading.Lock()
        self._waiting = 0  # writers waiting for the line
        self._batch: _Batch | None = None

    @contextmanager
    def transaction(self, sessions: Callable[..., Session]) -> Iterator[Session]:
        """A session whose block joins the open transaction (see the module's text)."""
        self._enter()
        batch: _Batch | None = None
        try:
            batch = self._batch
            if batch is None:
                batch = self._batch = self._open()
            # The first block of a transaction needs no savepoint: should it fail, rolling the
            # whole transaction back undoes nothing else (it held the line since BEGIN).
            join = "create_savepoint" if batch.blocks else "rollback_only"
            with sessions(bind=batch.conn, join_transaction_mode=join) as s:
                with s.begin():
                    yield s
                    batch.auth_changed |= bool(s.info.pop(AUTH_CHANGED, False))
            batch.blocks += 1
        finally:
            self._leave(batch)
        assert batch is not None
        self._wait(batch)

    def _enter(self) -> None:
        with self._count:
            self._waiting += 1
        try:
            self._line.acquire()
        finally:
            with self._count:
                self._waiting -= 1

    def _open(self) -> _Batch:
        conn = self._engine.connect()
        try:
            return _Batch(conn)
        except BaseException:
            conn.close()
            raise

    def _leave(self, batch: _Batch | None) -> None:
        """End a block: commit its transaction if no writer is waiting to join it, roll it
        back if its first block failed."""
        try:
            if batch is not None and (
                not batch.blocks or not self._waiting or batch.blocks >= MAX_BLOCKS
            ):
                self._finish(batch)
        finally:
            self._line.release()

    def _finish(self, batch: _Batch) -> None:
        self._batch = None
        try:
            if batch.blocks:
                batch.outer.commit()
            elif batch.outer.is_active:  # a first block that failed has rolled it back
                batch.outer.rollback()
        except BaseException as exc:
            batch.error = exc
            try:
                batch.outer.rollback()
            except Exception:  # the connection is closed below either way
                pass
        finally:
            try:
                if batch.error is None and batch.auth_changed:
                    self._auth_committed()
            finally:
                batch.conn.close()
                batch.done.set()

    def _wait(self, batch: _Batch) -> None:
        """Return once the transaction holding this block has committed; raise if it failed."""
        while not batch.done.wait(RESCUE_S):
            if self._line.acquire(blocking=False):
                try:
                    if self._batch is batch and self._waiting == 0:
                        self._finish(batch)
                finally:
                    self._line.release()
        if batch.error is not None:
            raise batch.error
