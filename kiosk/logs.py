"""Logs: one line per event, ``key=value`` pairs (logfmt), secrets masked.

Under systemd the server's standard error goes to the journal; each line then starts with its
syslog priority (``<3>`` error … ``<7>`` debug), which journald turns into the entry's
PRIORITY, so ``journalctl -u motcua -p warning`` shows only what needs a look. Elsewhere a
line starts with the time. Examples::

    <6>level=info logger=kiosk.x pid=812 event=backup_taken tickets=1204
    2026-03-10T09:12:03+07:00 level=error logger=kiosk.errors pid=812 msg="unhandled …" exc="…"

Nothing secret reaches a line: device and user tokens, ``Bearer`` headers, tracking codes in
``/t/…`` and ``/track/…`` paths, ``token=`` parameters and database passwords are masked
wherever they appear (messages, fields, tracebacks), and fields named like a secret are
dropped to ``…``. The level is ``MOTCUA_LOG_LEVEL`` (``info`` by default).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import datetime
from typing import Any

# journald's reading of a "<N>" prefix (sd-daemon(3)).
_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}
_MASK = "…"
# What ``motcua serve`` found missing, handed to the server it becomes (a JSON list of lines).
START_WARNINGS = "motcua_start_warnings"
_SECRET_PATTERNS = (
    (re.compile(r"\b([du]_)[A-Za-z0-9_-]{16,}"), r"\1" + _MASK),  # device and user tokens
    (re.compile(r"(?i)\b(bearer\s+)[^\s\",;]+"), r"\1" + _MASK),
    (re.compile(r"(?i)([?&;\s](?:token|code|key|password|secret)=)[^&\s\"]*"), r"\1" + _MASK),
    (re.compile(r"(/t/|/track/)[A-Za-z0-9_-]+"), r"\1" + _MASK),  # tracking codes
    (re.compile(r"(\w+://[^/\s:@]*:)[^@\s/]+@"), r"\1***@"),  # passwords in URLs
)
_SECRET_KEYS = {"token", "password", "secret", "secret_key", "authorization", "cookie", "code"}
_BARE = re.compile(r"^[A-Za-z0-9_.:/@+\-…*]+$")
_OWN_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def mask(text: str) -> str:
    """``text`` with every secret it may hold masked."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# Control characters (a request path may carry any: %0D, %00, an escape sequence) are written
# as escapes, so that a line can neither be split nor rewrite what a terminal shows.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def _value(value: Any) -> str:
    text = mask(str(value))
    if text and _BARE.match(text):
        return text
    escaped = _CONTROL.sub(_escape_control, text.replace("\\", "\\\\").replace('"', '\\"'))
    return f'"{escaped}"'


class LogfmtFormatter(logging.Formatter):
    """``level=… logger=… msg=…`` plus the record's own fields (``extra=``), on one line."""

    def __init__(self, *, journal: bool | None = None) -> None:
        super().__init__()
        self.journal = bool(os.environ.get("JOURNAL_STREAM")) if journal is None else journal

    def format(self, record: logging.LogRecord) -> str:
        pairs: list[tuple[str, Any]] = []
        if not self.journal:  # journald stamps each entry itself
            at = datetime.fromtimestamp(record.created).astimezone()
            pairs.append(("ts", at.isoformat(timespec="seconds")))
        pairs += [("level", record.levelname.lower()), ("logger", record.name)]
        pairs.append(("pid", record.process))
        event = getattr(record, "event", None)
        if event:
            pairs.append(("event", event))
        message = record.getMessage()
        if message and message != event:
            pairs.append(("msg", message))
        for key, value in record.__dict__.items():
            if key in _OWN_ATTRS or key == "event" or key.startswith("_"):
                continue
            pairs.append((key, _MASK if key.lower() in _SECRET_KEYS else value))
        if record.exc_info:
            pairs.append(("exc", self.formatException(record.exc_info)))
        line = " ".join(f"{key}={_value(value)}" for key, value in pairs if value is not None)
        if self.journal:
            return f"<{_PRIORITY.get(record.levelno, 6)}>{line}"
        return line


class MaskFilter(logging.Filter):
    """Masks secrets in records formatted by others' formatters (gunicorn's access log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        return True


class _ClientsFault(logging.Filter):
    """Engine.IO logs a handshake from a page of a foreign origin as an error (the first in
    each process, then as info). The fault is the client's: a warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and "is not an accepted origin" in record.getMessage():
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def socketio_logger(name: str) -> logging.Logger:
    """The logger to hand python-socketio and Engine.IO (``name``: ``socketio.server`` or
    ``engineio.server``): their warnings and errors go through our handlers, in our format
    and masked. Given ``False`` instead, each library adds a handler of its own that prints
    its lines raw to standard error, besides ours."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.WARNING)
    if not any(isinstance(f, _ClientsFault) for f in logger.filters):
        logger.addFilter(_ClientsFault())
    return logger


def configure(level: str | None = None, *, stream: Any = None) -> None:
    """Send every log record of this process to standard error, one logfmt line each, and
    give gunicorn's own loggers the same format and masking (idempotent)."""
    name = (level or os.environ.get("MOTCUA_LOG_LEVEL") or "info").upper()
    numeric = logging.getLevelName(name)
    if not isinstance(numeric, int):
        numeric = logging.INFO
    formatter = LogfmtFormatter()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_motcua", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._motcua = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(numeric)
    for gunicorn in ("gunicorn.error", "gunicorn.access"):
        logger = logging.getLogger(gunicorn)
        if not any(isinstance(f, MaskFilter) for f in logger.filters):
            logger.addFilter(MaskFilter())
        for own in logger.handlers:
            own.setFormatter(formatter)


def event(logger: logging.Logger, level: int, name: str, **fields: Any) -> None:
    """Log the event ``name`` with ``fields`` as its key=value pairs."""
    logger.log(level, name, extra={"event": name, **fields})


def log_start_warnings() -> None:
    """Log, once, the warnings ``motcua serve`` found before it became the server."""
    raw = os.environ.pop(START_WARNINGS, None)
    try:
        lines = json.loads(raw) if raw else []
    except ValueError:
        lines = []
    log = logging.getLogger("motcua.preflight")
    for line in lines if isinstance(lines, list) else []:
        event(log, logging.WARNING, "environment_warning", problem=str(line))
