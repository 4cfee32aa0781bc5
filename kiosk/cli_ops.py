"""The operator's commands of ``motcua``: ``check``, ``backup`` and ``restore``, and the
environment check that ``serve`` and ``init-db`` run at start.

Kept apart from :mod:`kiosk.cli` so that the day-to-day commands and these ones can change
independently; :func:`add_parsers` and :data:`COMMANDS` plug them in.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


class OpsError(Exception):
    """A one-line error for the operator (printed as ``motcua: error: …``)."""


def add_parsers(sub: Any) -> None:
    sub.add_parser(
        "check",
        help="check the environment (state folder, fonts, voice, printers, public URL, "
        "database, message queue) and print a report; exit status 1 on errors. The printers "
        "are those of the live configuration in the database (the files before the first "
        "init-db); the report says which",
    )

    backup = sub.add_parser(
        "backup", help="take a consistent backup of the live database (online, server running)"
    )
    backup.add_argument(
        "dir", nargs="?", default=None, help="backup folder (default: <instance>/backups)"
    )
    backup.add_argument(
        "--keep", type=_count, default=None, metavar="N", help="keep the N newest backups"
    )
    backup.add_argument(
        "--keep-days",
        type=_count,
        default=None,
        metavar="D",
        help="keep the backups of the last D days (with --keep: a backup stays if either keeps it)",
    )

    restore = sub.add_parser(
        "restore", help="replace the database by a backup file (stop the server first)"
    )
    restore.add_argument("file")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that already holds data"
    )


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number from 1")
    return int(text)


def cmd_check(_args: argparse.Namespace) -> int:
    from kiosk import preflight
    from kiosk.settings import Settings

    settings = Settings.from_env()
    config, which = preflight.live_configuration(settings)  # the database's, else the files
    findings = [which, *preflight.run(config, settings, online=True)]
    for finding in findings:
        print(finding.line())
    bad = preflight.problems(findings)
    errors = sum(f.level == "error" for f in bad)
    print(f"{len(findings)} checks: {errors} errors, {len(bad) - errors} warnings")
    return 1 if errors else 0


def check_at_start(config: Any, settings: Any, command: str) -> list[str]:
    """Check the machine before ``serve`` or ``init-db`` goes on. Raises OpsError, one line
    naming every error, when the server cannot work at all (``init-db`` stops only for the
    state folder); returns the warnings as ``topic: message`` lines."""
    from kiosk import preflight

    if command == "init-db":
        findings = [preflight.state_folder(settings)]
        findings += [preflight.fonts(), preflight.voice(config, settings)]
        findings += preflight.server_printers(config, settings) + [preflight.public_url(settings)]
    else:
        findings = preflight.run(config, settings)
    problems = preflight.problems(findings)
    errors = [f"{f.topic}: {f.message}" for f in problems if f.level == "error"]
    if errors:
        raise OpsError("; ".join(errors))
    return [f"{f.topic}: {f.message}" for f in problems if f.level == "warning"]


def print_warnings(lines: list[str]) -> None:
    # Under systemd, "<4>" gives each line the warning priority in the journal.
    prefix = "<4>" if os.environ.get("JOURNAL_STREAM") else ""
    for line in lines:
        print(f"{prefix}motcua: warning: {line}", file=sys.stderr)


def hand_warnings_to_server(lines: list[str]) -> None:
    """``serve`` prints nothing but one line when its own checks fail afterwards: the warnings
    go to the server, which logs them once it starts (:func:`kiosk.logs.log_start_warnings`)."""
    import json

    from kiosk.logs import START_WARNINGS

    os.environ[START_WARNINGS] = json.dumps(lines, ensure_ascii=False)


def check_printer_at_start(uri: str | None) -> None:
    """The print agent's start: say at once when this user may not open the printer."""
    import logging

    from kiosk import preflight

    if not uri:
        return  # the agent itself says the printer is missing
    finding = preflight.printer_device(uri, "local")
    # An unreadable URI is an error the agent reports itself, in one line.
    if finding is not None and finding.level == "warning":
        logging.getLogger("motcua.print-agent").warning(
            "%s: %s", finding.topic, finding.message, extra={"event": "printer_unusable"}
        )


def cmd_backup(args: argparse.Namespace) -> int:
    from kiosk import backup
    from kiosk.db import Database
    from kiosk.domain.clock import SystemClock
    from kiosk.settings import Settings

    settings = Settings.from_env()
    folder = Path(args.dir) if args.dir else backup.backup_folder(settings.instance)
    db = Database(settings.database_url)
    try:
        now = SystemClock(settings.timezone).now()
        done = backup.take(db, folder, now, keep=args.keep, keep_days=args.keep_days)
    except backup.BackupError as exc:
        raise OpsError(str(exc)) from None
    finally:
        db.dispose()
    pruned = f"; {len(done.removed)} old backups removed" if done.removed else ""
    print(f"backup {done.path} ({_size(done.size)}, {done.tickets} tickets){pruned}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from alembic.script import ScriptDirectory

    from kiosk import backup
    from kiosk.db import Database
    from kiosk.dbsetup import alembic_config
    from kiosk.settings import Settings

    settings = Settings.from_env()
    scripts = ScriptDirectory.from_config(alembic_config(settings.database_url))
    known = {rev.revision for rev in scripts.walk_revisions()}
    db = Database(settings.database_url)
    try:
        done = backup.restore(
            db, Path(args.file), known, scripts.get_current_head(), force=args.force
        )
    except backup.BackupError as exc:
        raise OpsError(str(exc)) from None
    finally:
        db.dispose()
    where = db.engine.url.render_as_string(hide_password=True)
    print(f"restored {args.file} into {where}: {done.tickets} tickets, schema {done.revision}")
    if done.needs_upgrade:
        print("the backup's schema is older than this version: run 'motcua init-db' next")
    return 0


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


COMMANDS = {"check": cmd_check, "backup": cmd_backup, "restore": cmd_restore}
