"""The printer port: take a job's bytes, or raise `PrinterError(permanent=...)`.

One `Transport` per medium, named as in python-escpos (network, usb, serial, file, cups), plus
``spool`` (each job as one file in a folder) and ``dummy`` (keeps the bytes, for tests). A job
is sent on a fresh connection and the connection closed again: nothing stays open between
jobs, so a printer that was switched off and on needs no reconnect logic.

``permanent=True`` means retrying cannot help until someone fixes the configuration or the
installation (unknown queue, missing library, no permission). Everything else (refused or
timed-out connection, unplugged device, full disk) is transient: retry later.

`Transport.status()` is advisory only: time-limited to ``spec.timeout_s``, never raises, and
reports ``None`` for anything it could not find out (an empty reply is unknown, not "OK").
"""

from __future__ import annotations

import abc
import errno
import os
import secrets
import select
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any, TypeVar

from printer._escpos import (
    RT_STATUS_ONLINE,
    RT_STATUS_PAPER,
    DeviceNotFoundError,
    escpos_printer,
)
from printer.spec import PrinterSpec

T = TypeVar("T")

# Slowest rate at which a printer is assumed to swallow a job (bytes per second) on links that
# are not serial: a raster job drains only as fast as the paper moves. The send time limit is
# timeout_s plus the job's size at this rate.
MIN_DRAIN_RATE = 16_000
# errno values that no retry will cure.
PERMANENT_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.EISDIR, errno.ENOTDIR, errno.EINVAL}
)


class PrinterError(Exception):
    """A job could not be handed to the printer. ``permanent``: retrying will not help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def _os_error(what: str, exc: BaseException) -> PrinterError:
    code = getattr(exc, "errno", None)
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return PrinterError(f"{what}: {reason}", permanent=code in PERMANENT_ERRNOS)


def _send_budget(spec: PrinterSpec, size: int) -> float:
    return spec.timeout_s + size / MIN_DRAIN_RATE


def _bounded(fn: Callable[[], T], timeout: float) -> T:
    """Run ``fn`` in a daemon thread; raise TimeoutError if it has not finished in time.

    For device calls that have no timeout of their own. A call that never returns leaves its
    thread behind; the device is closed when the call finally fails.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the caller below
            box["error"] = e

    worker = threading.Thread(target=run, name="printer-call", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def parse_online(reply: bytes) -> bool | None:
    """``DLE EOT 1`` reply: True online, False offline, None no or malformed reply."""
    if len(reply) < 1 or reply[0] & 0x93 != 0x12:
        return None
    return not reply[0] & 0x08


def parse_paper(reply: bytes) -> str | None:
    """``DLE EOT 4`` reply: "ok", "near_end", "out", or None for no or malformed reply."""
    if len(reply) < 1 or reply[0] & 0x93 != 0x12:
        return None
    if reply[0] & 0x60:
        return "out"
    if reply[0] & 0x0C:
        return "near_end"
    return "ok"


class Transport(abc.ABC):
    """Sends whole jobs to one printer. Jobs on one instance never interleave."""

    kind = "?"

    def __init__(self, spec: PrinterSpec) -> None:
        self.spec = spec
        self._lock = threading.Lock()

    @property
    def target(self) -> str:
        """Where the jobs go, for logs and health pages."""
        return self.spec.uri

    def send(self, data: bytes) -> None:
        """Hand one complete job to the printer. Raises PrinterError."""
        # A job already going to this printer gets a head start of twice the time limit;
        # past that the printer is reported busy (transient) rather than queueing threads.
        if not self._lock.acquire(timeout=2 * self.spec.timeout_s):
            raise PrinterError(f"{self.target}: busy with another job", permanent=False)
        try:
            self._send(bytes(data))
        finally:
            self._lock.release()

    @abc.abstractmethod
    def _send(self, data: bytes) -> None:
        """Deliver ``data``; called with the lock held. Raises PrinterError."""

    def status(self) -> dict[str, Any]:
        """Advisory state: ``online`` and ``paper`` (None = unknown) and a ``detail`` text.

        Never raises and never takes much longer than ``spec.timeout_s``.
        """
        report: dict[str, Any] = {
            "transport": self.kind,
            "target": self.target,
            "online": None,
            "paper": None,
            "detail": None,
        }
        if not self._lock.acquire(timeout=min(0.5, self.spec.timeout_s)):
            report["detail"] = "busy printing"
            return report
        try:
            report.update(self._status())
        except Exception as e:  # advisory: a failed query is reported, not raised
            report["detail"] = f"{type(e).__name__}: {e}"
        finally:
            self._lock.release()
        return report

    def _status(self) -> dict[str, Any]:
        return {}


class DummyTransport(Transport):
    """Keeps every job in ``jobs``. Set ``fail_next`` to make the next send raise it."""

    kind = "dummy"

    def __init__(self, spec: PrinterSpec | None = None) -> None:
        super().__init__(spec or PrinterSpec("dummy"))
        self.jobs: list[bytes] = []
        self.fail_next: PrinterError | None = None

    @property
    def output(self) -> bytes:
        """All jobs sent so far, concatenated."""
        return b"".join(self.jobs)

    def _send(self, data: bytes) -> None:
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        self.jobs.append(data)

    def _status(self) -> dict[str, Any]:
        return {"online": True, "paper": "ok", "jobs": len(self.jobs)}


_spool_seq = count()
SPOOL_SUFFIX = ".escpos"


class SpoolTransport(Transport):
    """Writes each job atomically as one file in a folder (created if missing).

    Names sort by time: ``20250725T011502.123456Z-<pid>-<seq>-<random>.escpos``. The bytes go
    to a hidden temporary file first, are flushed to disk, then renamed into place, so a reader
    never sees a partial job.
    """

    kind = "spool"

    def __init__(self, spec: PrinterSpec) -> None:
        super().__init__(spec)
        self.folder = Path(str(spec.params["dir"])).expanduser()

    def job_name(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        seq = next(_spool_seq)
        return f"{stamp}-{os.getpid()}-{seq:06d}-{secrets.token_hex(4)}{SPOOL_SUFFIX}"

    def _send(self, data: bytes) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError as e:
            raise PrinterError(f"spool folder {self.folder}: not a folder", permanent=True) from e
        except OSError as e:
            raise _os_error(f"spool folder {self.folder}", e) from e
        name = self.job_name()
        final = self.folder / name
        partial = self.folder / f".{name}.tmp"
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(partial, final)
        except OSError as e:
            partial.unlink(missing_ok=True)
            raise _os_error(f"spool folder {self.folder}", e) from e
        self._sync_folder()

    def _sync_folder(self) -> None:
        # Make the rename itself durable; best effort (not every platform can open folders).
        try:
            fd = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def jobs(self) -> list[Path]:
        """The finished job files, oldest first."""
        return sorted(self.folder.glob(f"*{SPOOL_SUFFIX}"))

    def _status(self) -> dict[str, Any]:
        usable = self.folder.is_dir() and os.access(self.folder, os.W_OK | os.X_OK)
        pending = len(self.jobs()) if usable else None
        return {"online": usable, "pending": pending}


class NetworkTransport(Transport):
    """Raw TCP (port 9100) through python-escpos ``Network``, with ``spec.timeout_s``."""

    kind = "network"

    def __init__(self, spec: PrinterSpec) -> None:
        super().__init__(spec)
        self.host = str(spec.params["host"])
        self.port = int(spec.params["port"])

    @property
    def target(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def _connect(self) -> Any:
        printer = escpos_printer.Network(
            self.host, self.port, timeout=self.spec.timeout_s, profile=self.spec.profile
        )
        try:
            # Our own connect: Network.open() leaks its socket when the connection fails, and
            # knows only IPv4.
            printer.device = socket.create_connection(
                (self.host, self.port), timeout=self.spec.timeout_s
            )
        except OSError as e:
            raise self._error(e) from e
        return printer

    def _error(self, exc: BaseException) -> PrinterError:
        where = f"printer {self.target}"
        if isinstance(exc, ConnectionRefusedError):
            return PrinterError(f"{where}: connection refused (printer off?)", permanent=False)
        if isinstance(exc, TimeoutError):
            return PrinterError(f"{where}: timed out", permanent=False)
        if isinstance(exc, socket.gaierror):
            # A name that does not resolve may be a typo or a DNS outage: keep retrying.
            return PrinterError(f"{where}: cannot resolve host ({exc})", permanent=False)
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            return PrinterError(f"{where}: {reason}", permanent=False)
        return PrinterError(f"{where}: {exc}", permanent=False)

    def _send(self, data: bytes) -> None:
        printer = self._connect()
        sock: socket.socket = printer.device
        deadline = time.monotonic() + _send_budget(self.spec, len(data))
        try:
            # Chunks, not sendall(): the time limit is on the printer taking nothing at all
            # for timeout_s, so that a long job on a slow but working printer still goes out.
            sock.settimeout(self.spec.timeout_s)
            _write_chunks(sock.send, data, 65536, deadline)
            _discard_unread(sock)
        except OSError as e:
            raise self._error(e) from e
        finally:
            printer.close()

    def _status(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.spec.timeout_s
        try:
            printer = self._connect()
        except PrinterError as e:
            return {"online": False, "detail": str(e)}
        try:
            replies = []
            for query in (RT_STATUS_ONLINE, RT_STATUS_PAPER):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    replies.append(b"")
                    continue
                printer.device.settimeout(remaining)
                try:
                    replies.append(printer.query_status(query))
                except TimeoutError:
                    replies.append(b"")
        finally:
            printer.close()
        result: dict[str, Any] = {
            "online": parse_online(replies[0]),
            "paper": parse_paper(replies[1]),
        }
        if result["online"] is None:
            result["detail"] = "connected, no status reply"
        return result


def _write_chunks(
    write: Callable[[memoryview], int | None], data: bytes, size: int, deadline: float
) -> None:
    """Write ``data`` in pieces of at most ``size`` bytes; TimeoutError past ``deadline``.

    ``write`` returns how much it took (None: all of it) and raises on its own idle time limit.
    """
    view = memoryview(data)
    while view:
        if time.monotonic() > deadline:
            raise TimeoutError("the printer takes the job too slowly")
        piece = view[:size]
        taken = write(piece)
        view = view[len(piece) if taken is None else taken :]


def _discard_unread(sock: socket.socket) -> None:
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


try:
    from usb.core import NoBackendError as _NoUsbBackend
except ImportError:  # pyusb missing: UsbTransport refuses to start anyway

    class _NoUsbBackend(Exception):  # type: ignore[no-redef]
        pass


class UsbTransport(Transport):
    """A USB printer by vendor and product id, through python-escpos ``Usb`` (needs pyusb)."""

    kind = "usb"

    def __init__(self, spec: PrinterSpec) -> None:
        super().__init__(spec)
        if not escpos_printer.usb.is_usable():
            raise PrinterError(
                "usb printer needs pyusb and libusb: pip install 'motcua[usb]'", permanent=True
            )
        self.vendor_id = int(spec.params["vendor_id"])
        self.product_id = int(spec.params["product_id"])

    @property
    def target(self) -> str:
        return f"usb {self.vendor_id:04x}:{self.product_id:04x}"

    def _open(self, timeout_s: float) -> Any:
        printer = escpos_printer.Usb(
            self.vendor_id,
            self.product_id,
            timeout=max(1, round(timeout_s * 1000)),  # milliseconds, for pyusb
            profile=self.spec.profile,
        )
        try:
            printer.open()
        except _NoUsbBackend as e:
            raise PrinterError(
                f"{self.target}: libusb is missing (apt-get install libusb-1.0-0)", permanent=True
            ) from e
        except DeviceNotFoundError as e:
            cause = e.__context__
            if getattr(cause, "errno", None) in PERMANENT_ERRNOS:
                raise PrinterError(
                    f"{self.target}: no permission (udev rule or the lp group needed)",
                    permanent=True,
                ) from e
            raise PrinterError(
                f"{self.target}: not found (unplugged or off?)", permanent=False
            ) from e
        return printer

    def _send(self, data: bytes) -> None:
        chunk = 4096
        printer = self._open(self.spec.timeout_s + chunk / MIN_DRAIN_RATE)
        deadline = time.monotonic() + _send_budget(self.spec, len(data))
        try:
            _write_chunks(printer._raw, data, chunk, deadline)
        except Exception as e:  # pyusb's USBError and USBTimeoutError, TimeoutError
            raise PrinterError(f"{self.target}: {e}", permanent=False) from e
        finally:
            printer.close()

    def _status(self) -> dict[str, Any]:
        return _query_device(lambda: self._open(self.spec.timeout_s), self.spec.timeout_s)


class SerialTransport(Transport):
    """A serial printer through python-escpos ``Serial`` (needs pyserial).

    The write time limit grows with the job: at 9600 baud a 40 KB raster takes ~42 s.
    """

    kind = "serial"

    def __init__(self, spec: PrinterSpec) -> None:
        super().__init__(spec)
        if not escpos_printer.serial.is_usable():
            raise PrinterError(
                "serial printer needs pyserial: pip install 'motcua[serial]'", permanent=True
            )
        self.device = str(spec.params["device"])
        self.baudrate = int(spec.params["baudrate"])

    @property
    def target(self) -> str:
        return f"{self.device} at {self.baudrate} baud"

    def wire_seconds(self, size: int) -> float:
        """Time the line needs for ``size`` bytes (8N1: 10 bits a byte)."""
        return size * 10 / self.baudrate

    def _open(self) -> Any:
        printer = escpos_printer.Serial(
            self.device, self.baudrate, timeout=self.spec.timeout_s, profile=self.spec.profile
        )
        try:
            printer.open()
        except _NoUsbBackend as e:
            raise PrinterError(
                f"{self.target}: libusb is missing (apt-get install libusb-1.0-0)", permanent=True
            ) from e
        except DeviceNotFoundError as e:
            cause = e.__context__ or e
            if isinstance(cause, ValueError):  # pyserial rejects the settings themselves
                raise PrinterError(f"serial printer {self.device}: {cause}", permanent=True) from e
            raise _os_error(f"serial printer {self.device}", cause) from e
        return printer

    def _send(self, data: bytes) -> None:
        chunk = 1024
        printer = self._open()
        deadline = time.monotonic() + self.spec.timeout_s + 1.5 * self.wire_seconds(len(data))
        try:
            # pyserial has no write time limit by default: a printer holding DSR low would
            # block us for ever.
            printer.device.write_timeout = self.spec.timeout_s + 1.5 * self.wire_seconds(chunk)
            _write_chunks(printer._raw, data, chunk, deadline)
            printer.device.flush()
        except Exception as e:  # SerialException, SerialTimeoutException, OSError
            raise PrinterError(f"serial printer {self.device}: {e}", permanent=False) from e
        finally:
            printer.close()

    def _status(self) -> dict[str, Any]:
        return _query_device(self._open, self.spec.timeout_s)


def _query_device(open_printer: Callable[[], Any], timeout: float) -> dict[str, Any]:
    """Ask a USB or serial printer for its online and paper state, within ``timeout``."""

    def ask() -> tuple[bytes, bytes]:
        printer = open_printer()
        try:
            return bytes(printer.query_status(RT_STATUS_ONLINE)), bytes(
                printer.query_status(RT_STATUS_PAPER)
            )
        finally:
            printer.close()

    try:
        online, paper = _bounded(ask, timeout)
    except PrinterError as e:
        return {"online": False, "detail": str(e)}
    except TimeoutError as e:
        return {"detail": str(e)}
    return {"online": parse_online(online), "paper": parse_paper(paper)}


class FileTransport(Transport):
    """A device file such as ``/dev/usb/lp0`` (or any existing file: jobs are appended).

    Written without python-escpos ``File``, whose blocking write can hang for ever on a
    printer that is out of paper: we write non-blocking and give up after the time limit. The
    file is never created: a missing ``/dev/usb/lp0`` means the printer is unplugged.
    """

    kind = "file"

    def __init__(self, spec: PrinterSpec) -> None:
        super().__init__(spec)
        self.path = Path(str(spec.params["path"]))

    @property
    def target(self) -> str:
        return str(self.path)

    def _send(self, data: bytes) -> None:
        deadline = time.monotonic() + _send_budget(self.spec, len(data))
        where = f"printer file {self.path}"
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_NOCTTY)
        except FileNotFoundError as e:
            raise PrinterError(f"{where}: missing (printer unplugged?)", permanent=False) from e
        except OSError as e:
            raise _os_error(where, e) from e
        try:
            view = memoryview(data)
            poller = select.poll()
            poller.register(fd, select.POLLOUT)
            while view:
                try:
                    written = os.write(fd, view[:65536])
                    view = view[written:]
                    continue
                except BlockingIOError:
                    pass
                wait = min(self.spec.timeout_s, deadline - time.monotonic())
                if wait <= 0 or not poller.poll(wait * 1000):
                    raise PrinterError(
                        f"{where}: timed out (paper out or offline?)", permanent=False
                    )
        except OSError as e:
            raise _os_error(where, e) from e
        finally:
            os.close(fd)

    def _status(self) -> dict[str, Any]:
        present = self.path.exists()
        return {
            "online": None if present else False,
            "detail": "device present" if present else "device file missing",
        }


class CupsTransport(Transport):
    """A raw CUPS queue through python-escpos ``CupsPrinter`` (needs pycups)."""

    kind = "cups"

    def __init__(self, spec: PrinterSpec) -> None:
        super().__init__(spec)
        if not escpos_printer.cups.is_usable():
            raise PrinterError(
                "cups printer needs pycups, which has no wheels: install libcups2-dev, then "
                "pip install pycups (or use network:/usb:/file: instead)",
                permanent=True,
            )
        self.queue = str(spec.params["queue"])

    @property
    def target(self) -> str:
        return f"cups queue {self.queue}"

    def _send(self, data: bytes) -> None:
        def submit() -> None:
            printer = escpos_printer.CupsPrinter(self.queue, profile=self.spec.profile)
            try:
                printer.open(job_name="motcua")
            except DeviceNotFoundError as e:
                unknown = isinstance(e.__context__, AssertionError)
                raise PrinterError(f"{self.target}: {e}", permanent=unknown) from e
            printer._raw(data)
            printer.close()  # submits the job

        try:
            _bounded(submit, _send_budget(self.spec, len(data)))
        except PrinterError:
            raise
        except Exception as e:  # cups.IPPError, RuntimeError, TimeoutError
            raise PrinterError(f"{self.target}: {e}", permanent=False) from e


TRANSPORT_CLASSES: dict[str, type[Transport]] = {
    "dummy": DummyTransport,
    "spool": SpoolTransport,
    "network": NetworkTransport,
    "usb": UsbTransport,
    "serial": SerialTransport,
    "file": FileTransport,
    "cups": CupsTransport,
}


def open_transport(spec: PrinterSpec) -> Transport:
    """The transport for ``spec``. Connects to nothing yet.

    Raises PrinterError(permanent=True) when the medium cannot work on this installation
    (e.g. the library for USB, serial or CUPS is missing).
    """
    return TRANSPORT_CLASSES[spec.transport](spec)
