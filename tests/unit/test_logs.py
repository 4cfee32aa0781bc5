"""Log lines: one per event, key=value, with the journal's priority, and no secrets."""

from __future__ import annotations

import io
import logging

import pytest

from kiosk import logs

TOKEN = "d_" + "A" * 43
USER_TOKEN = "u_" + "b9-_" * 10


def record(
    msg: str, *args: object, level: int = logging.INFO, **extra: object
) -> logging.LogRecord:
    rec = logging.LogRecord("kiosk.test", level, __file__, 1, msg, args or None, None)
    rec.__dict__.update(extra)
    return rec


def test_one_line_with_level_logger_and_fields() -> None:
    line = logs.LogfmtFormatter(journal=False).format(
        record("backup taken", event="backup_taken", tickets=12, path="/var/lib/motcua/b x")
    )
    assert "\n" not in line
    assert line.split()[0].startswith("ts=")
    assert " level=info logger=kiosk.test " in line
    assert "event=backup_taken" in line and "msg=" in line and "tickets=12" in line
    assert 'path="/var/lib/motcua/b x"' in line


def test_control_characters_from_a_request_are_escaped() -> None:
    # As gunicorn's access log line would hold a hostile path: CR, NUL, a terminal escape.
    path = '/api/v1/sites/x\r\n\x00\x1b[2Kts=forged "GET / HTTP/1.1" 200\x7f\x85'
    line = logs.LogfmtFormatter(journal=False).format(
        record('127.0.0.1 "GET %s HTTP/1.1" 404', path)
    )
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in line)
    assert "x\\r\\n\\x00\\x1b[2Kts=forged" in line
    assert "\\x7f\\x85" in line


def test_journal_lines_carry_the_syslog_priority_and_no_time() -> None:
    formatter = logs.LogfmtFormatter(journal=True)
    assert formatter.format(record("x", level=logging.ERROR)).startswith("<3>level=error ")
    assert formatter.format(record("x", level=logging.WARNING)).startswith("<4>")
    assert formatter.format(record("x")).startswith("<6>")
    assert "ts=" not in formatter.format(record("x"))


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"enrolled with /enroll?token={TOKEN}", TOKEN),
        (f"device {TOKEN} revoked", TOKEN),
        (f"Authorization: Bearer {USER_TOKEN}", USER_TOKEN),
        ("GET /t/Zq8_x-3kLm0pQr7s HTTP/1.1", "Zq8_x-3kLm0pQr7s"),
        ("POST /api/v1/track/Zq8_x-3kLm0pQr7s/rating", "Zq8_x-3kLm0pQr7s"),
        ("cannot reach postgresql+psycopg://motcua:hunter2@db/motcua", "hunter2"),
        ("login failed password=hunter2&user=anna", "hunter2"),
    ],
)
def test_secrets_are_masked_everywhere(text: str, secret: str) -> None:
    formatter = logs.LogfmtFormatter(journal=False)
    assert secret not in formatter.format(record("%s", text))
    assert secret not in formatter.format(record("event", detail=text))
    try:
        raise RuntimeError(text)
    except RuntimeError:
        import sys

        rec = record("failed")
        rec.exc_info = sys.exc_info()
    line = formatter.format(rec)
    assert secret not in line and "\n" not in line and "Traceback" in line


def test_fields_named_like_secrets_are_dropped() -> None:
    line = logs.LogfmtFormatter(journal=False).format(record("x", token="plain", code="abc"))
    assert "token=… " in line + " " and "code=…" in line and "plain" not in line


def test_configure_routes_records_and_gunicorn_lines_through_the_mask() -> None:
    out = io.StringIO()
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    access = logging.getLogger("gunicorn.access")
    own = logging.StreamHandler(out)
    access.addHandler(own)
    access.setLevel(logging.INFO)  # as gunicorn sets it
    access.propagate = False
    try:
        logs.configure("warning", stream=out)
        logging.getLogger("kiosk.test").info("hidden")
        logs.event(logging.getLogger("kiosk.test"), logging.WARNING, "disk_low", free_mb=12)
        access.info('%(h)s "%(r)s"', {"h": "10.0.0.5", "r": "GET /t/Zq8_x-3kLm0pQr7s HTTP/1.1"})
    finally:
        access.removeHandler(own)
        access.filters.clear()
        access.setLevel(logging.NOTSET)
        access.propagate = True
        root.handlers[:] = before[0]
        root.setLevel(before[1])
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "event=disk_low" in lines[0] and "free_mb=12" in lines[0]
    assert "logger=gunicorn.access" in lines[1] and "/t/…" in lines[1]
