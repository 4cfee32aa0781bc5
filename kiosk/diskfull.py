"""A database that cannot take writes (disk full): a short answer for the request, one log line
a minute for the operator, and ``/healthz`` saying so, instead of a traceback per request."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

REPORT_EVERY_S = 60.0
RECENT_S = 60.0  # /healthz reports "not writable" this long after the last failed write
MIN_FREE_BYTES = 1 << 20  # a SQLite file's filesystem with less free space than this is full

# SQLite result codes (primary): SQLITE_FULL, SQLITE_IOERR; PostgreSQL class 53: insufficient
# resources (53100 disk full, 53200 out of memory, 53300 too many connections).
_SQLITE_CODES = {13, 10}
_PG_CLASS = "53"


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.failed_at = 0.0  # monotonic time of the last failed write
        self.reported_at = -REPORT_EVERY_S
        self.suppressed = 0


_state = _State()


def is_storage_failure(exc: BaseException) -> bool:
    """Whether a database error means "cannot write now" (disk full, I/O error, resources)."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _SQLITE_CODES
    sqlstate = getattr(orig, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(_PG_CLASS)


def note_failure(exc: BaseException, where: str) -> None:
    """Remember the failure for /healthz and log it, at most once a minute."""
    now = time.monotonic()
    with _state.lock:
        _state.failed_at = now
        if now - _state.reported_at < REPORT_EVERY_S:
            _state.suppressed += 1
            return
        suppressed, _state.suppressed = _state.suppressed, 0
        _state.reported_at = now
    orig = getattr(exc, "orig", exc)
    more = f" ({suppressed} more since the last report)" if suppressed else ""
    log.error("database cannot take writes (%s) on %s%s", str(orig).strip(), where, more)


def writable(db: Any) -> dict[str, Any]:
    """What /healthz says about writes: recent failures, and a SQLite file's free disk."""
    out: dict[str, Any] = {"writable": True}
    with _state.lock:
        failed_at = _state.failed_at
    if failed_at and time.monotonic() - failed_at < RECENT_S:
        out.update(writable=False, error="write_failed_recently")
    if db.is_sqlite and db.engine.url.database not in (None, "", ":memory:"):
        try:
            free = shutil.disk_usage(os.path.dirname(os.path.abspath(db.engine.url.database)))
        except OSError:
            return out
        out["free_bytes"] = free.free
        if free.free < MIN_FREE_BYTES:
            out.update(writable=False, error="disk_full")
    return out


def reset() -> None:
    """Forget past failures (tests)."""
    with _state.lock:
        _state.failed_at = 0.0
        _state.reported_at = -REPORT_EVERY_S
        _state.suppressed = 0
