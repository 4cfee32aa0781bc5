"""A printer on the network: raw TCP, port 9100 ("JetDirect" / "AppSocket").

Sockets directly rather than python-escpos ``Network``: its ``open()`` leaks the socket when the
connection fails, knows only IPv4, and its ``sendall`` gives no way to tell a printer that
takes nothing from one that is slow. Plain sockets also cooperate with gevent once patched.

A job counts as sent only once the printer has taken the bytes:

1. each write must make progress within ``timeout_s`` (the whole job within `send_budget`);
2. then the kernel's send queue must drain: the operating system accepts hundreds of kilobytes
   into its own buffer at once, so a printer that accepted the connection and reads nothing
   would otherwise look like one that printed (Linux ``SIOCOUTQ``: bytes not yet acknowledged
   by the printer's TCP stack);
3. then, where the printer answers real-time status queries (``spec.status``), it must answer
   after the job, online and with paper.
"""

from __future__ import annotations

import fcntl
import socket
import struct
import termios
import time

from printer.port import PrinterError
from printer.spec import PrinterSpec
from printer.transports.base import StateFields, Transport, send_budget, write_chunks
from printer.transports.status import ONLINE_QUERY, PAPER_QUERY, StatusReplies

DRAIN_POLL_S = 0.01


def unacknowledged(sock: socket.socket) -> int | None:
    """Bytes written to ``sock`` that the peer has not acknowledged yet (None: cannot tell)."""
    request = getattr(termios, "TIOCOUTQ", None)  # SIOCOUTQ on Linux sockets
    if request is None:
        return None
    try:
        raw = fcntl.ioctl(sock.fileno(), request, b"\0\0\0\0")
    except OSError:
        return None
    return int(struct.unpack("i", raw)[0])


def wait_drained(sock: socket.socket, deadline: float, idle_limit: float, size: int) -> None:
    """Wait until the peer acknowledged everything written to ``sock``.

    Raises TimeoutError past ``deadline``, or when nothing moved for ``idle_limit`` seconds.
    """
    left = unacknowledged(sock)
    moved = time.monotonic()
    while left:
        now = time.monotonic()
        if now > deadline or now - moved > idle_limit:
            raise TimeoutError(f"timed out: the printer took {size - left:,} of {size:,} bytes")
        time.sleep(DRAIN_POLL_S)
        now_left = unacknowledged(sock)
        if now_left is None:
            return
        if now_left < left:
            moved = time.monotonic()
        left = now_left


def abort(sock: socket.socket) -> None:
    """Close with a reset, dropping whatever is still queued for the printer.

    After a failed job the queue is retried from the start: bytes left in the kernel must not
    reach the printer later and print half a ticket, or a second one.
    """
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def discard_unread(sock: socket.socket) -> None:
    """Read what the printer sent us (status bytes) so close() does not reset the connection.

    Closing a socket with unread input sends RST, which can drop the end of the job still in
    flight to the printer.
    """
    sock.setblocking(False)  # with a timeout set, Python would wait for input first
    try:
        while sock.recv(4096):
            pass
    except OSError:  # BlockingIOError: nothing (more) to read
        pass


class NetworkTransport(Transport):
    """Raw TCP with ``spec.timeout_s`` for connecting and for each step of a job."""

    kind = "network"

    def __init__(self, spec: PrinterSpec) -> None:
        super().__init__(spec)
        self.host = str(spec.params["host"])
        self.port = int(spec.params["port"])

    @property
    def target(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def _connect(self) -> socket.socket:
        try:
            return socket.create_connection((self.host, self.port), timeout=self.spec.timeout_s)
        except OSError as e:
            raise self._error(e) from e

    def _error(self, exc: BaseException) -> PrinterError:
        where = f"printer {self.target}"
        if isinstance(exc, ConnectionRefusedError):
            return PrinterError(f"{where}: connection refused (printer off?)", permanent=False)
        if isinstance(exc, TimeoutError):
            detail = str(exc) if str(exc).startswith("timed out") else "timed out"
            return PrinterError(f"{where}: {detail}", permanent=False)
        if isinstance(exc, socket.gaierror):
            # A name that does not resolve may be a typo or a DNS outage: keep retrying.
            return PrinterError(f"{where}: cannot resolve host ({exc})", permanent=False)
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            return PrinterError(f"{where}: {reason}", permanent=False)
        return PrinterError(f"{where}: {exc}", permanent=False)

    def _send(self, data: bytes) -> None:
        sock = self._connect()
        deadline = time.monotonic() + send_budget(self.spec, len(data))
        try:
            # Chunks, not sendall(): the time limit is on the printer taking nothing at all
            # for timeout_s, so that a long job on a slow but working printer still goes out.
            sock.settimeout(self.spec.timeout_s)
            write_chunks(sock.send, data, 65536, deadline)
            wait_drained(sock, deadline, self.spec.timeout_s, len(data))
            if self.wants_status():
                self.check_replies(self._ask(sock, time.monotonic() + self.status_wait(), True))
            discard_unread(sock)
        except OSError as e:
            abort(sock)
            raise self._error(e) from e
        except BaseException:
            abort(sock)
            raise
        sock.close()

    def _ask(self, sock: socket.socket, deadline: float, after_job: bool) -> StatusReplies:
        """Send both status queries, read up to one reply byte each until ``deadline``."""
        sock.sendall(ONLINE_QUERY + PAPER_QUERY)
        replies = b""
        while len(replies) < 2:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(2 - len(replies))
            except TimeoutError:
                break
            if not chunk:
                break
            replies += chunk
        return StatusReplies(replies[:1], replies[1:2], after_job=after_job)

    def _status(self) -> StateFields:
        try:
            sock = self._connect()
        except PrinterError as e:
            return {"online": False, "detail": str(e)}
        try:
            return self.check_replies(
                self._ask(sock, time.monotonic() + self.spec.timeout_s, False)
            )
        except OSError as e:
            return {"online": None, "detail": f"connected, then {type(e).__name__}: {e}"}
        finally:
            sock.close()
