"""Online backups of the database and their restore (``motcua backup`` / ``motcua restore``).

A backup is one file in the backup folder, named ``motcua-YYYYMMDD-HHMMSS.<ext>`` after the
local time it was taken, readable only by its owner (it holds password hashes):

* SQLite: ``.sqlite3``, a copy made with SQLite's online backup API in one step, so it is the
  database as one transaction saw it while the server went on writing (WAL lets writers
  continue during the copy). The copy is checked with ``PRAGMA quick_check`` before it is
  given its final name.
* PostgreSQL: ``.pgdump``, ``pg_dump --format=custom``, which reads in one repeatable-read
  snapshot. The password travels in ``PGPASSWORD``, never on a command line.

A backup is written under a temporary name and renamed once complete, so a crash never leaves
a half-written file that looks like a backup. Retention only ever deletes files with the
backup name pattern, and never the newest one.

A restore replaces the whole database in one transaction. It refuses a database that holds
data unless forced, a backup of the other kind of database, and a backup made by a newer
version (one whose schema revision this version does not know).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from kiosk.db import Database

NAME = re.compile(r"^motcua-(\d{8}-\d{6})(?:-(\d+))?\.(sqlite3|pgdump)$")
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that could not be done; the message is one line for the operator."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    tickets: int
    removed: tuple[Path, ...]


@dataclass(frozen=True)
class RestoreResult:
    revision: str | None
    tickets: int
    needs_upgrade: bool


# --- taking a backup ----------------------------------------------------------------------------


def take(
    db: Database,
    folder: Path,
    now: datetime,
    *,
    keep: int | None = None,
    keep_days: int | None = None,
) -> BackupResult:
    """Write a consistent backup of ``db`` into ``folder`` (created, mode 0700), then apply
    retention (see :func:`prune`). ``now`` is the local time that names the file."""
    folder = Path(folder)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create the backup folder {folder}: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupError(f"the backup folder {folder} is not writable")
    ext = "sqlite3" if db.is_sqlite else "pgdump"
    final = _free_name(folder, now, ext)
    partial = final.with_name(final.name + ".partial")
    try:
        if db.is_sqlite:
            _sqlite_backup(_sqlite_path(db.engine.url), partial)
        elif db.engine.dialect.name == "postgresql":
            _pg_dump(db.engine.url, partial)
        else:
            raise BackupError(f"cannot back up a {db.engine.dialect.name} database")
        _fsync(partial)
        os.replace(partial, final)
        _fsync_dir(folder)
    finally:
        partial.unlink(missing_ok=True)
    tickets = _count_tickets(db)
    removed = prune(folder, now, keep=keep, keep_days=keep_days, spare=final)
    return BackupResult(final, final.stat().st_size, tickets, tuple(removed))


def _free_name(folder: Path, now: datetime, ext: str) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    path = folder / f"motcua-{stamp}.{ext}"
    n = 1
    while path.exists() or path.with_name(path.name + ".partial").exists():
        n += 1
        path = folder / f"motcua-{stamp}-{n}.{ext}"
    return path


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    path = Path(url.database)
    if not path.is_file():
        raise BackupError(f"no SQLite database at {path}")
    return path


def _sqlite_backup(source: Path, dest: Path) -> None:
    # The source is opened read-only through a URI so that a typo can never create a database.
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {source}: {exc}") from None
    try:
        out = sqlite3.connect(dest)
        try:
            # pages=-1: the whole database in one step, i.e. one read transaction. Copied in
            # smaller steps, every write by the server in between would restart the copy.
            src.backup(out, pages=-1)
            check = out.execute("PRAGMA quick_check").fetchone()[0]
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        finally:
            out.close()
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {source} failed: {exc}") from None
    finally:
        src.close()
    if check != "ok":
        raise BackupError(f"the copy of {source} failed its integrity check: {check}")


def _pg_env(url: URL) -> dict[str, str]:
    """libpq's environment for the database at ``url`` (password included, off the command
    line and out of ``ps``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    query = dict(url.query)
    values = {
        "PGHOST": url.host or query.pop("host", None),
        "PGPORT": str(url.port) if url.port else query.pop("port", None),
        "PGUSER": url.username or query.pop("user", None),
        "PGPASSWORD": url.password or query.pop("password", None),
        "PGDATABASE": url.database,
        "PGSSLMODE": query.pop("sslmode", None),
        "PGAPPNAME": "motcua-backup",
    }
    env.update({k: str(v) for k, v in values.items() if v})
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install the Debian package postgresql-client")
    return found


def _pg_dump(url: URL, dest: Path) -> None:
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    done = subprocess.run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "-f", dest],
        env=_pg_env(url),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {_first_line(done.stderr)}")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "no message"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _count_tickets(db: Database) -> int:
    try:
        with db.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM tickets")).scalar_one())
    except Exception:  # a database without the schema: nothing to count
        return 0


# --- retention ----------------------------------------------------------------------------------


def backups(folder: Path) -> list[tuple[datetime, Path]]:
    """The backups in ``folder``, oldest first, by the time in their names."""
    found = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    for path in entries:
        m = NAME.match(path.name)
        if m and path.is_file():
            taken = datetime.strptime(m.group(1), "%Y%m%d-%H%M%S")
            found.append((taken, int(m.group(2) or 1), path))
    found.sort()
    return [(taken, path) for taken, _, path in found]


def prune(
    folder: Path,
    now: datetime,
    *,
    keep: int | None = None,
    keep_days: int | None = None,
    spare: Path | None = None,
) -> list[Path]:
    """Delete old backups; return what was deleted. ``keep``: the newest N stay; ``keep_days``:
    those taken in the last D days stay. With both, a backup stays if either rule keeps it; with
    neither, nothing is deleted. The newest backup and ``spare`` always stay."""
    if keep is None and keep_days is None:
        return []
    found = backups(folder)
    if not found:
        return []
    kept: set[Path] = {found[-1][1]}
    if spare is not None:
        kept.add(Path(spare))
    if keep is not None:
        kept.update(path for _, path in found[-keep:] if keep > 0)
    if keep_days is not None:
        since = now.replace(tzinfo=None) - timedelta(days=keep_days)
        kept.update(path for taken, path in found if taken >= since)
    removed = []
    for _, path in found:
        if path not in kept:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


# --- restoring ----------------------------------------------------------------------------------


def kind_of(path: Path) -> str:
    """``sqlite`` or ``postgresql`` from the file's first bytes. Raises BackupError."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise BackupError(f"{path} is a folder, not a backup file") from None
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a motcua backup (neither SQLite nor pg_dump custom format)")


def restore(
    db: Database, path: Path, known_revisions: set[str], head: str | None, *, force: bool
) -> RestoreResult:
    """Replace the database's contents by the backup at ``path``, in one transaction.

    Raises BackupError when the backup is of the other kind of database, unreadable, made by a
    version that knows a schema this one does not, or when the database holds data and
    ``force`` is false."""
    path = Path(path)
    kind = kind_of(path)
    dialect = db.engine.dialect.name
    if kind != dialect:
        raise BackupError(
            f"{path.name} is a {kind} backup but MOTCUA_DATABASE_URL is a {dialect} database"
        )
    if kind == "sqlite":
        revision = _sqlite_revision(path)
    else:
        revision = _pg_revision(path)
    if revision is not None and revision not in known_revisions:
        raise BackupError(
            f"{path.name} has schema revision {revision}, which this version of motcua does "
            "not know: restore it with the version that made it"
        )
    held = _tickets_held(db)
    if held is not None and not force:
        raise BackupError(
            f"the database {_display_url(db)} already holds data ({held} tickets): stop the "
            "server and repeat with --force to replace it"
        )
    if kind == "sqlite":
        _sqlite_restore(path, _sqlite_target(db.engine.url))
    else:
        _pg_restore(db.engine.url, path)
    db.dispose()
    return RestoreResult(revision, _count_tickets(db), needs_upgrade=revision != head)


def _display_url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=True)


def _tickets_held(db: Database) -> int | None:
    """None for an empty database (no tables); otherwise the number of tickets in it."""
    try:
        with db.engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            if not tables:
                return None
            if "tickets" not in tables:
                return 0
            return int(conn.execute(text("SELECT count(*) FROM tickets")).scalar_one())
    except Exception as exc:
        raise BackupError(f"cannot open the database {_display_url(db)}: {exc}") from None


def _sqlite_revision(path: Path) -> str | None:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{path.name} is damaged (integrity check failed)")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path.name} is not a readable motcua backup: {exc}") from None
    return row[0] if row else None


def _sqlite_target(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("cannot restore into an in-memory SQLite database")
    target = Path(url.database)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _sqlite_restore(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        # The backup API writes the target in one write transaction: a reader sees the old
        # database or the new one, and the target keeps its own journal mode (WAL).
        out = sqlite3.connect(target, timeout=30)
        try:
            src.backup(out, pages=-1)
        finally:
            out.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restore into {target} failed: {exc}") from None
    finally:
        src.close()


def _pg_revision(path: Path) -> str | None:
    """The alembic revision stored in a custom-format dump (read back as SQL)."""
    done = subprocess.run(
        [_pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "-f", "-", path],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"{path.name} is not a readable pg_dump file: {_first_line(done.stderr)}")
    # The data section is a COPY ... FROM stdin; block: the line after it holds the revision.
    lines = done.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines):
            value = lines[i + 1].strip()
            return None if value == "\\." else value
    return None


def _pg_restore(url: URL, path: Path) -> None:
    """pg_restore turns the dump into SQL; psql runs it after emptying the schema, all in one
    transaction, so a failure leaves the database as it was."""
    env = _pg_env(url)
    script = subprocess.run(
        [_pg_tool("pg_restore"), "--no-owner", "--no-privileges", "-f", "-", path],
        capture_output=True,
        check=False,
    )
    if script.returncode != 0:
        raise BackupError(
            f"pg_restore failed: {_first_line(script.stderr.decode(errors='replace'))}"
        )
    with tempfile.TemporaryFile() as sql:
        sql.write(b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
        sql.write(script.stdout)
        sql.seek(0)
        done = subprocess.run(
            [
                _pg_tool("psql"),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--output=/dev/null",
            ],
            stdin=sql,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise BackupError(f"restore failed, nothing changed: {_first_line(done.stderr)}")


def backup_folder(instance: Path) -> Path:
    """Where ``motcua backup`` writes when no folder is given."""
    return instance / "backups"
