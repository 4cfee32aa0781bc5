"""A serial printer through python-escpos ``Serial`` (pyserial).

The write time limit grows with the job: at 9600 baud a 40 KB raster takes ~42 s. pyserial
blocks in C code and system calls, so the work runs in an OS thread (``blocking_io``).
"""

from __future__ import annotations

import time
from typing import Any

from printer._escpos import DeviceNotFoundError, escpos_printer
from printer.port import PrinterError
from printer.spec import PrinterSpec
from printer.transports.base import StateFields, Transport, os_error, write_chunks
from printer.transports.status import ask_escpos

CHUNK = 1024


class SerialTransport(Transport):
    """A serial printer; ``timeout_s`` plus the wire time bounds each write."""

    kind = "serial"
    blocking_io = True

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
        except DeviceNotFoundError as e:
            cause = e.__context__ or e
            if isinstance(cause, ValueError):  # pyserial rejects the settings themselves
                raise PrinterError(f"serial printer {self.device}: {cause}", permanent=True) from e
            raise os_error(f"serial printer {self.device}", cause) from e
        return printer

    def _send(self, data: bytes) -> None:
        printer = self._open()
        deadline = time.monotonic() + self.spec.timeout_s + 1.5 * self.wire_seconds(len(data))
        try:
            # pyserial has no write time limit by default: a printer holding DSR low would
            # block us for ever.
            printer.device.write_timeout = self.spec.timeout_s + 1.5 * self.wire_seconds(CHUNK)
            write_chunks(printer._raw, data, CHUNK, deadline)
            printer.device.flush()
            if self.wants_status():
                self.check_replies(ask_escpos(printer, after_job=True))
        except PrinterError:
            raise
        except Exception as e:  # SerialException, SerialTimeoutException, OSError
            raise PrinterError(f"serial printer {self.device}: {e}", permanent=False) from e
        finally:
            printer.close()

    def _status(self) -> StateFields:
        try:
            printer = self._open()
        except PrinterError as e:
            return {"online": False, "detail": str(e)}
        try:
            return self.check_replies(ask_escpos(printer, after_job=False))
        finally:
            printer.close()
