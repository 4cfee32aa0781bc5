"""A folder as a printer: each job becomes one ``.escpos`` file (demo, tests, other tools)."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

from printer.port import PrinterError
from printer.spec import PrinterSpec
from printer.transports.base import StateFields, Transport, os_error

SPOOL_SUFFIX = ".escpos"
_spool_seq = count()


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
            raise os_error(f"spool folder {self.folder}", e) from e
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
            raise os_error(f"spool folder {self.folder}", e) from e
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

    def _status(self) -> StateFields:
        if self.folder.is_dir():
            usable = os.access(self.folder, os.W_OK | os.X_OK)
            return {
                "online": usable,
                "pending": len(self.jobs()) if usable else None,
                "detail": None if usable else "spool folder not writable",
            }
        if self.folder.exists():
            return {"online": False, "detail": f"{self.folder} is not a folder"}
        # Not there yet: the first job creates it. Unknown until then, unless it cannot be.
        parent = self.folder.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
            return {"online": None, "detail": "no job yet (the folder is made on the first one)"}
        return {"online": False, "detail": f"cannot create the spool folder {self.folder}"}
