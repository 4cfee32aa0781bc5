"""CPU-bound C code (argon2) off the event loop when the server runs under gevent, a few at a
time.

A password check takes tens of milliseconds of pure computation and 64 MiB of memory. Under
gevent every greenlet shares one thread, so a check run directly would stop every other
connection meanwhile; a small pool of real threads runs it instead (argon2-cffi releases the
GIL) while the loop serves everyone else. At most :data:`SLOTS` checks run at once, with or
without gevent: a burst of sign-ins queues here rather than taking every core and hundreds
of megabytes from ticket issuing."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
SLOTS = 2

_lock = threading.Lock()
_pool: Any = None  # gevent's ThreadPool, made on first use inside a gevent process
_slots = threading.BoundedSemaphore(SLOTS)


def gevent_active() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def cpu_bound(fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)``: on a pool of :data:`SLOTS` real threads when gevent has patched this
    process, else in the calling thread once one of :data:`SLOTS` slots is free."""
    if gevent_active():
        global _pool
        if _pool is None:
            from gevent.threadpool import ThreadPool

            with _lock:
                if _pool is None:
                    _pool = ThreadPool(SLOTS)
        return _pool.apply(fn, args)  # type: ignore[no-any-return]
    with _slots:
        return fn(*args)
