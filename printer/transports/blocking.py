"""Run a blocking device call in a real OS thread, with a time limit, under threads or gevent.

pyusb, pyserial and pycups block inside C code. In a threaded server that only ties up the
calling thread, but under gevent (greenlets on monkey-patched sockets) a C-level call stalls the
whole event loop, every connection of the process with it. So such calls always run in an OS
thread: gevent's hub threadpool when gevent has patched ``threading`` (waiting for it yields to
other greenlets), else a plain daemon thread.

A call that never returns leaves its thread behind; the device is closed when it finally fails.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


def gevent_patched() -> bool:
    """True when gevent has monkey-patched ``threading`` in this process."""
    if "gevent.monkey" not in sys.modules:
        return False
    from gevent import monkey

    return bool(monkey.is_module_patched("threading"))


@dataclass
class _Box(Generic[T]):
    value: list[T] = field(default_factory=list)
    error: list[BaseException] = field(default_factory=list)


def run_blocking(fn: Callable[[], T], timeout: float) -> T:
    """``fn()`` in an OS thread; its result, or what it raised.

    Raises TimeoutError if it has not finished within ``timeout`` seconds.
    """
    if gevent_patched():
        return _in_gevent_threadpool(fn, timeout)
    box: _Box[T] = _Box()

    def run() -> None:
        try:
            box.value.append(fn())
        except BaseException as e:  # handed to the caller below
            box.error.append(e)

    worker = threading.Thread(target=run, name="printer-call", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {timeout:g} s")
    if box.error:
        raise box.error[0]
    return box.value[0]


def _in_gevent_threadpool(fn: Callable[[], T], timeout: float) -> T:
    import gevent

    result = gevent.get_hub().threadpool.spawn(fn)
    try:
        value: T = result.get(timeout=timeout)
    except gevent.Timeout:
        raise TimeoutError(f"no answer within {timeout:g} s") from None
    return value
