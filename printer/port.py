"""The printer port: what the rest of the world may ask of a printer.

A printer does one job: take a complete ESC/POS job, or raise `PrinterError`. ``permanent``
says whether retrying can help (a missing library, no permission, an unknown queue) or not yet
(switched off, unplugged, jammed, out of paper). Its state can be asked for too, but only as
advice: `PrinterState` says ``None`` for anything it could not find out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal, Protocol

from printer.spec import PrinterSpec

Paper = Literal["ok", "near_end", "out"]


class PrinterError(Exception):
    """A job could not be handed to the printer. ``permanent``: retrying will not help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class PrinterState:
    """What a printer said about itself. ``None`` means unknown, never "fine"."""

    transport: str
    target: str
    online: bool | None = None
    paper: Paper | None = None
    detail: str | None = None
    pending: int | None = None  # jobs waiting in a spool folder, where there is one

    def as_dict(self) -> dict[str, str | int | bool | None]:
        """The state as JSON-ready values (for the database and the API)."""
        return dict(asdict(self))


class Printer(Protocol):
    """The port. Implementations: `printer.transports`."""

    @property
    def spec(self) -> PrinterSpec: ...

    @property
    def target(self) -> str:
        """Where the jobs go, for logs and health pages."""
        ...

    def send(self, data: bytes) -> None:
        """Hand one complete job to the printer; return only once the printer took it.

        Raises `PrinterError`.
        """
        ...

    def status(self) -> PrinterState:
        """Advisory state; never raises, never takes much longer than ``spec.timeout_s``."""
        ...
