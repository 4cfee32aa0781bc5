"""The one place in printer/ that imports python-escpos.

At import, ``escpos.capabilities`` pickles its printer database into
``ESCPOS_CAPABILITIES_PICKLE_DIR``, or into a fresh ``mkdtemp()`` folder per process when the
variable is unset. We point it at a fixed per-user cache folder so the pickle is reused. In 3.1
the module still calls ``mkdtemp()`` eagerly even when the variable is set; we make that stray
folder land inside our own cache folder and remove it again.

escpos writes that pickle in place, so a process starting while another writes it would read
half a file (two print agents or server workers starting together): the import runs under an
exclusive lock on a file in the cache folder, and a pickle that still cannot be read (a crash
mid-write) is deleted and rebuilt.

Import escpos names from here, never ``import escpos`` directly inside printer/.
"""

from __future__ import annotations

import fcntl
import logging
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

_ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def _private_dir(path: Path) -> bool:
    """Create ``path`` (mode 0700) if needed; True if it is ours and nobody else can write it.

    The folder holds a pickle that escpos loads: a folder another user can write to would let
    them run code in our process.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _cache_dir() -> Path:
    """The capabilities cache folder: $XDG_CACHE_HOME or ~/.cache, else a per-user tmp folder."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidate = Path(base) / "motcua" / "escpos"
    if _private_dir(candidate):
        return candidate
    user = os.environ.get("USER") or (str(os.getuid()) if hasattr(os, "getuid") else "user")
    candidate = Path(tempfile.gettempdir()) / f"motcua-escpos-{user}"
    if _private_dir(candidate):
        return candidate
    # Someone else owns the predictable path: fall back to a fresh private folder.
    return Path(tempfile.mkdtemp(prefix="motcua-escpos-"))


def _import_escpos() -> None:
    root = logging.getLogger()
    handlers_before = list(root.handlers)
    if os.environ.get(_ENV):
        import escpos.capabilities  # noqa: F401
    else:
        cache = _cache_dir()
        os.environ[_ENV] = str(cache)
        # Process-wide, but only for the duration of this one import, normally at start-up.
        saved = tempfile.tempdir
        tempfile.tempdir = str(cache)
        try:
            with open(cache / "import.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
                _import_capabilities(cache)
        finally:
            tempfile.tempdir = saved
        _remove_stray_folders(cache)
    # escpos.capabilities calls logging.basicConfig() at import, which would turn the
    # application's own later basicConfig() into a no-op: undo it.
    for handler in root.handlers[:]:
        if handler not in handlers_before:
            root.removeHandler(handler)


def _import_capabilities(cache: Path) -> None:
    """Import ``escpos.capabilities``; if its pickle is unreadable, delete it and try once more."""
    try:
        import escpos.capabilities  # noqa: F401
    except (EOFError, pickle.UnpicklingError):
        sys.modules.pop("escpos.capabilities", None)
        for stale in cache.glob("*.capabilities.pickle"):
            stale.unlink(missing_ok=True)
        import escpos.capabilities  # noqa: F401


def _remove_stray_folders(cache: Path) -> None:
    """Remove the empty folder escpos created with mkdtemp() (see the module docstring)."""
    for child in cache.glob("tmp*"):
        try:
            child.rmdir()
        except OSError:
            pass


_import_escpos()

from escpos import printer as escpos_printer  # noqa: E402
from escpos.capabilities import get_profile  # noqa: E402
from escpos.constants import QR_ECLEVEL_M, RT_STATUS_ONLINE, RT_STATUS_PAPER  # noqa: E402
from escpos.escpos import Escpos  # noqa: E402
from escpos.exceptions import DeviceNotFoundError  # noqa: E402
from escpos.exceptions import Error as EscposError  # noqa: E402


class EscposPrinter(Protocol):
    """The part of a python-escpos printer object (``Escpos`` subclasses) that we use."""

    profile: Any  # escpos.capabilities.Profile

    def _raw(self, msg: bytes) -> None: ...

    def hw(self, hw: str) -> None: ...

    def set(self, **kwargs: object) -> None: ...

    def textln(self, txt: str = "") -> None: ...

    def qr(self, content: str, **kwargs: object) -> None: ...

    def image(self, img_source: Image.Image, **kwargs: object) -> None: ...

    def cut(self, mode: str = "FULL", feed: bool = True) -> None: ...

    def print_and_feed(self, n: int = 1) -> None: ...


__all__ = [
    "DeviceNotFoundError",
    "EscposPrinter",
    "Escpos",
    "EscposError",
    "QR_ECLEVEL_M",
    "RT_STATUS_ONLINE",
    "RT_STATUS_PAPER",
    "escpos_printer",
    "get_profile",
]
