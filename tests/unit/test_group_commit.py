"""Group commit on SQLite: writers that wait while a block runs share its transaction and one
commit; each block still succeeds or fails on its own, and none returns before the commit
that holds it (or fails with it)."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from kiosk import groupcommit
from kiosk.db import Database


@pytest.fixture
def sdb(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'group.sqlite3'}")
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
    yield database
    database.dispose()


def _commits(database: Database) -> list[float]:
    seen: list[float] = []
    event.listen(database.engine, "commit", lambda _conn: seen.append(time.monotonic()))
    return seen


def _rows(database: Database) -> list[int]:
    with database.read() as s:
        return [n for (n,) in s.execute(text("SELECT n FROM t ORDER BY n"))]


def _line_up(database: Database, blocks: list[Callable[[Any], None]]) -> list[Any]:
    """Run ``blocks`` as writers in threads: the first holds its block until every other has
    reached the line, so that they all wait to join its transaction. Returns what each
    writer ended with (None, or the exception it raised) and when it returned."""
    group = database._group
    assert group is not None
    everyone_waits = threading.Event()
    outcomes: list[Any] = [None] * len(blocks)

    def writer(i: int) -> None:
        try:
            with database.transaction() as s:
                if i == 0:
                    assert everyone_waits.wait(10)
                blocks[i](s)
            outcomes[i] = ("ok", time.monotonic())
        except Exception as exc:
            outcomes[i] = (exc, time.monotonic())

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(len(blocks))]
    threads[0].start()
    while group._batch is None:
        time.sleep(0.001)
    for t in threads[1:]:
        t.start()
    while group._waiting < len(blocks) - 1:
        time.sleep(0.001)
    everyone_waits.set()
    for t in threads:
        t.join(10)
    return outcomes


def insert(n: int) -> Callable[[Any], None]:
    return lambda s: s.execute(text("INSERT INTO t (n) VALUES (:n)"), {"n": n})


def test_writers_that_wait_share_one_commit_and_return_after_it(sdb: Database) -> None:
    commits = _commits(sdb)
    outcomes = _line_up(sdb, [insert(1), insert(2), insert(3)])
    assert [o[0] for o in outcomes] == ["ok", "ok", "ok"]
    assert len(commits) == 1, "three waiting writers did not share one commit"
    assert all(returned >= commits[0] for _, returned in outcomes)
    assert _rows(sdb) == [1, 2, 3]


def test_a_block_that_fails_undoes_only_itself(sdb: Database) -> None:
    def fails(s: Any) -> None:
        insert(2)(s)
        raise ValueError("refused")

    outcomes = _line_up(sdb, [insert(1), fails, insert(3)])
    assert outcomes[0][0] == "ok" and outcomes[2][0] == "ok"
    assert isinstance(outcomes[1][0], ValueError)
    assert _rows(sdb) == [1, 3]


def test_a_failing_block_alone_in_its_transaction_leaves_the_line_free(sdb: Database) -> None:
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        with pytest.raises(ValueError), sdb.transaction() as s:
            insert(1)(s)
            raise ValueError("refused")
    assert not warned, [str(w.message) for w in warned]  # e.g. rolled back twice
    outcomes = _line_up(sdb, [insert(2), insert(3)])
    assert [o[0] for o in outcomes] == ["ok", "ok"]
    assert _rows(sdb) == [2, 3]


def test_when_the_first_block_fails_the_writers_waiting_start_afresh(sdb: Database) -> None:
    def fails(s: Any) -> None:
        insert(1)(s)
        raise ValueError("refused")

    outcomes = _line_up(sdb, [fails, insert(2), insert(3)])
    assert isinstance(outcomes[0][0], ValueError)
    assert [o[0] for o in outcomes[1:]] == ["ok", "ok"]
    assert _rows(sdb) == [2, 3]


def test_a_later_block_reads_what_an_earlier_one_wrote(sdb: Database) -> None:
    # The waiting writers take their turns in no set order: count what ran before the reader.
    ran: list[str] = []
    seen: list[int] = []

    def writes(n: int) -> Callable[[Any], None]:
        def block(s: Any) -> None:
            insert(n)(s)
            ran.append("write")

        return block

    def reads(s: Any) -> None:
        seen.append(s.execute(text("SELECT count(*) FROM t")).scalar_one())
        ran.append("read")

    _line_up(sdb, [writes(1), writes(2), reads])
    # Nothing is committed before all three have run: what the reader sees is uncommitted
    # writes of the blocks before it in the same transaction (the first one's at least).
    assert seen == [ran.index("read")] and seen[0] >= 1


def test_a_failed_commit_fails_every_writer_in_it(sdb: Database) -> None:
    def disk_full(_conn: Any) -> None:
        raise OSError("disk full")

    event.listen(sdb.engine, "commit", disk_full)
    outcomes = _line_up(sdb, [insert(1), insert(2), insert(3)])
    event.remove(sdb.engine, "commit", disk_full)
    assert all(isinstance(o[0], OSError) for o in outcomes), outcomes
    assert _rows(sdb) == []
    with sdb.transaction() as s:  # the line is free again
        insert(4)(s)
    assert _rows(sdb) == [4]


def test_a_transaction_left_without_a_committer_is_committed_by_its_writer(
    sdb: Database,
) -> None:
    """A writer that was counted as waiting gave up before its turn: the one that left the
    transaction open for it commits it after ``RESCUE_S``."""
    group = sdb._group
    assert group is not None
    started = time.monotonic()
    with sdb.transaction() as s:
        insert(1)(s)
        group._waiting += 1  # someone seems to wait...
        threading.Timer(0.05, _give_up, args=(group,)).start()  # ...and goes away
    waited = time.monotonic() - started
    assert _rows(sdb) == [1]
    assert waited < 2 * groupcommit.RESCUE_S + 1


def _give_up(group: groupcommit.GroupCommit) -> None:
    with group._count:
        group._waiting -= 1
