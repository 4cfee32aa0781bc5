"""A USB printer by vendor and product id, through python-escpos ``Usb`` (pyusb + libusb).

pyusb blocks in C code: the work runs in an OS thread (``blocking_io``), so a gevent server's
event loop never waits for the printer.
"""

from __future__ import annotations

import time
from typing import Any

from printer._escpos import DeviceNotFoundError, escpos_printer
from printer.port import PrinterError
from printer.spec import PrinterSpec
from printer.transports.base import (
    MIN_DRAIN_RATE,
    PERMANENT_ERRNOS,
    StateFields,
    Transport,
    send_budget,
    write_chunks,
)
from printer.transports.status import ask_escpos

try:
    from usb.core import NoBackendError
except ImportError:  # pyusb missing: UsbTransport refuses to start anyway

    class NoBackendError(Exception):  # type: ignore[no-redef]
        pass


CHUNK = 4096


class UsbTransport(Transport):
    """A USB printer; ``timeout_s`` bounds each USB transfer (pyusb counts milliseconds)."""

    kind = "usb"
    blocking_io = True

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
        except NoBackendError as e:
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
        printer = self._open(self.spec.timeout_s + CHUNK / MIN_DRAIN_RATE)
        deadline = time.monotonic() + send_budget(self.spec, len(data))
        try:
            write_chunks(printer._raw, data, CHUNK, deadline)
            if self.wants_status():
                self.check_replies(ask_escpos(printer, after_job=True))
        except PrinterError:
            raise
        except Exception as e:  # pyusb's USBError and USBTimeoutError, TimeoutError
            raise PrinterError(f"{self.target}: {e}", permanent=False) from e
        finally:
            printer.close()

    def _status(self) -> StateFields:
        try:
            printer = self._open(self.spec.timeout_s)
        except PrinterError as e:
            return {"online": False, "detail": str(e)}
        try:
            return self.check_replies(ask_escpos(printer, after_job=False))
        finally:
            printer.close()
