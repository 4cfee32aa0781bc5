"""What every transport shares: one job at a time, time limits, errors, the status check.

A job is sent on a fresh connection and the connection closed again: nothing stays open between
jobs, so a printer that was switched off and on needs no reconnect logic.

``permanent=True`` means retrying cannot help until someone fixes the configuration or the
installation (unknown queue, missing library, no permission). Everything else (refused or
timed-out connection, unplugged device, full disk) is transient: retry later.
"""

from __future__ import annotations

import abc
import errno
import threading
import time
from collections.abc import Callable
from typing import ClassVar, TypedDict

from printer.port import Paper, PrinterError, PrinterState
from printer.spec import PrinterSpec
from printer.transports.blocking import run_blocking
from printer.transports.status import StatusReplies, parse_online, parse_paper

# Slowest rate at which a printer is assumed to swallow a job (bytes per second) on links that
# are not serial: a raster job drains only as fast as the paper moves. The send time limit is
# timeout_s plus the job's size at this rate.
MIN_DRAIN_RATE = 16_000
# errno values that no retry will cure.
PERMANENT_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.EISDIR, errno.ENOTDIR, errno.EINVAL}
)
# In ``status=auto`` mode, a printer that stays silent this many times is taken for a model
# that does not answer status queries, and is no longer asked after each job.
SILENT_BEFORE_GIVING_UP = 2
# While it is not known yet whether the printer answers, wait this long at most for a reply
# (a printer that answers does so at once; one that does not must not slow the first jobs).
LEARNING_WAIT_S = 1.5


class StateFields(TypedDict, total=False):
    online: bool | None
    paper: Paper | None
    detail: str | None
    pending: int | None


def os_error(what: str, exc: BaseException) -> PrinterError:
    """A PrinterError for an OSError: permanent for errnos no retry cures."""
    code = getattr(exc, "errno", None)
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return PrinterError(f"{what}: {reason}", permanent=code in PERMANENT_ERRNOS)


def send_budget(spec: PrinterSpec, size: int) -> float:
    """Seconds a job of ``size`` bytes may take to go out."""
    return spec.timeout_s + size / MIN_DRAIN_RATE


def write_chunks(
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


class Transport(abc.ABC):
    """Sends whole jobs to one printer (the `printer.port.Printer` port).

    Jobs on one instance never interleave. Subclasses whose device calls block in C code set
    ``blocking_io``: their work then runs in an OS thread (see `printer.transports.blocking`).
    """

    kind: ClassVar[str] = "?"
    blocking_io: ClassVar[bool] = False

    def __init__(self, spec: PrinterSpec) -> None:
        self.spec = spec
        self._lock = threading.Lock()
        # Whether this printer answers status queries: None until it has answered or stayed
        # silent often enough (``status=auto``).
        self.answers_status: bool | None = {"on": True, "off": False}.get(spec.status)
        self._silent = 0

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
            job = bytes(data)
            if self.blocking_io:
                limit = 2 * send_budget(self.spec, len(job)) + self.spec.timeout_s
                try:
                    run_blocking(lambda: self._send(job), limit)
                except TimeoutError as e:
                    raise PrinterError(f"{self.target}: {e}", permanent=False) from e
            else:
                self._send(job)
        finally:
            self._lock.release()

    @abc.abstractmethod
    def _send(self, data: bytes) -> None:
        """Deliver ``data``; called with the lock held. Raises PrinterError."""

    def status(self) -> PrinterState:
        """Advisory state: ``online`` and ``paper`` (None = unknown) and a ``detail`` text.

        Never raises and never takes much longer than ``spec.timeout_s``.
        """
        fields: StateFields = {}
        if not self._lock.acquire(timeout=min(0.5, self.spec.timeout_s)):
            fields["detail"] = "busy printing"
        else:
            try:
                if self.blocking_io:
                    fields = run_blocking(self._status, self.spec.timeout_s + 0.5)
                else:
                    fields = self._status()
            except Exception as e:  # advisory: a failed query is reported, not raised
                fields = {"detail": f"{type(e).__name__}: {e}"}
            finally:
                self._lock.release()
        return PrinterState(transport=self.kind, target=self.target, **fields)

    def _status(self) -> StateFields:
        return {}

    def wants_status(self) -> bool:
        """Whether to ask for the printer's state after a job."""
        return self.answers_status is not False

    def status_wait(self) -> float:
        """How long to wait for the replies to a status query."""
        if self.answers_status:
            return self.spec.timeout_s
        return min(self.spec.timeout_s, LEARNING_WAIT_S)

    def check_replies(self, replies: StatusReplies) -> StateFields:
        """Judge the replies to the status queries sent after a job (or by `status`).

        Learns whether the printer answers at all (``status=auto``). After a job, raises
        PrinterError when the printer should have answered and did not, or says it is offline
        or out of paper: the job then did not print, or not completely.
        """
        online = parse_online(replies.online)
        paper = parse_paper(replies.paper)
        if online is None and paper is None:
            if self.spec.status == "auto" and self.answers_status is None:
                self._silent += 1
                if self._silent >= SILENT_BEFORE_GIVING_UP:
                    self.answers_status = False
            if replies.after_job and self.answers_status:
                raise PrinterError(
                    f"{self.target}: no status reply after the job (jammed, cover open or "
                    "busy?): not counted as printed",
                    permanent=False,
                )
            return {"online": None, "paper": None, "detail": "connected, no status reply"}
        if self.answers_status is None:
            self.answers_status = True
        if replies.after_job and online is False:
            raise PrinterError(f"{self.target}: offline after the job", permanent=False)
        if replies.after_job and paper == "out":
            raise PrinterError(f"{self.target}: out of paper", permanent=False)
        return {"online": online, "paper": paper}
