"""A raw CUPS queue through python-escpos ``CupsPrinter`` (pycups, which has no wheels).

CUPS takes the job into its own spool: "sent" here means CUPS accepted it. pycups blocks in C
code, so the work runs in an OS thread (``blocking_io``).
"""

from __future__ import annotations

from printer._escpos import DeviceNotFoundError, escpos_printer
from printer.port import PrinterError
from printer.spec import PrinterSpec
from printer.transports.base import Transport


class CupsTransport(Transport):
    """Submits each job to a raw queue."""

    kind = "cups"
    blocking_io = True

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
        printer = escpos_printer.CupsPrinter(self.queue, profile=self.spec.profile)
        try:
            printer.open(job_name="motcua")
        except DeviceNotFoundError as e:
            unknown = isinstance(e.__context__, AssertionError)
            raise PrinterError(f"{self.target}: {e}", permanent=unknown) from e
        try:
            printer._raw(data)
            printer.close()  # submits the job
        except Exception as e:  # cups.IPPError, RuntimeError
            raise PrinterError(f"{self.target}: {e}", permanent=False) from e
