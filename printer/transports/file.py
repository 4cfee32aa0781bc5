"""A device file such as ``/dev/usb/lp0`` (the kernel's usblp driver), or any existing file."""

from __future__ import annotations

import os
import select
import time
from pathlib import Path

from printer.port import PrinterError
from printer.spec import PrinterSpec
from printer.transports.base import StateFields, Transport, os_error, send_budget


class FileTransport(Transport):
    """Appends each job to the file; the file is never created.

    Written without python-escpos ``File``, whose blocking write can hang for ever on a
    printer that is out of paper: we write non-blocking and give up after the time limit. A
    missing ``/dev/usb/lp0`` means the printer is unplugged (transient).
    """

    kind = "file"

    def __init__(self, spec: PrinterSpec) -> None:
        super().__init__(spec)
        self.path = Path(str(spec.params["path"]))

    @property
    def target(self) -> str:
        return str(self.path)

    def _send(self, data: bytes) -> None:
        deadline = time.monotonic() + send_budget(self.spec, len(data))
        where = f"printer file {self.path}"
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_NOCTTY)
        except FileNotFoundError as e:
            raise PrinterError(f"{where}: missing (printer unplugged?)", permanent=False) from e
        except OSError as e:
            raise os_error(where, e) from e
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
            raise os_error(where, e) from e
        finally:
            os.close(fd)

    def _status(self) -> StateFields:
        present = self.path.exists()
        return {
            "online": None if present else False,
            "detail": "device present" if present else "device file missing",
        }
