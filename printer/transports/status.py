"""Real-time status queries (``DLE EOT n``) and their one-byte replies.

An empty or malformed reply means "unknown", never "fine": python-escpos 3.1 reads an empty
reply to the paper query as "paper OK", which would hide a printer that stopped answering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from printer.port import Paper

ONLINE_QUERY = b"\x10\x04\x01"  # DLE EOT 1: printer status
PAPER_QUERY = b"\x10\x04\x04"  # DLE EOT 4: roll paper sensor status


@dataclass(frozen=True)
class StatusReplies:
    """The raw replies to both queries (``b""``: none). ``after_job``: asked to confirm a job."""

    online: bytes
    paper: bytes
    after_job: bool = False


def _valid(reply: bytes) -> bool:
    # Every status byte has bits 1 and 4 set and bits 0 and 7 clear.
    return len(reply) >= 1 and reply[0] & 0x93 == 0x12


def parse_online(reply: bytes) -> bool | None:
    """``DLE EOT 1`` reply: True online, False offline, None no or malformed reply."""
    if not _valid(reply):
        return None
    return not reply[0] & 0x08


def parse_paper(reply: bytes) -> Paper | None:
    """``DLE EOT 4`` reply: "ok", "near_end", "out", or None for no or malformed reply."""
    if not _valid(reply):
        return None
    if reply[0] & 0x60:
        return "out"
    if reply[0] & 0x0C:
        return "near_end"
    return "ok"


def ask_escpos(printer: Any, after_job: bool) -> StatusReplies:
    """Both queries on an open python-escpos ``Usb`` or ``Serial`` printer (its ``query_status``
    reads with the device's own time limit); ``b""`` for a missing reply."""
    replies = []
    for query in (ONLINE_QUERY, PAPER_QUERY):
        try:
            replies.append(bytes(printer.query_status(query)))
        except Exception:  # pyusb's USBTimeoutError, pyserial's SerialException: no reply
            replies.append(b"")
    return StatusReplies(replies[0], replies[1], after_job=after_job)
