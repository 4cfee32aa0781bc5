"""A printer in memory: keeps every job's bytes (for tests and previews)."""

from __future__ import annotations

from printer.port import PrinterError
from printer.spec import PrinterSpec
from printer.transports.base import StateFields, Transport


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

    def _status(self) -> StateFields:
        return {"online": True, "paper": "ok", "pending": 0}
