"""Run blocking work off the gevent loop.

Inside a gevent worker every connection is a greenlet of one OS thread: C code that blocks
without yielding (SQLite's fsync on commit, argon2's hashing) stops all of them. ``blocking``
runs such a call in gevent's pool of real threads and lets the other greenlets go on
meanwhile; outside gevent (tests, the command line) it simply calls it.

``cpu_bound`` is for pure computation that also costs much memory (a password check: tens of
milliseconds and 64 MiB): at most :data:`SLOTS` run at once, with or without gevent, so that
a burst of sign-ins queues here rather than taking every core from ticket issuing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
SLOTS = 2

_lock = threading.Lock()
_pool: Any = None  # a gevent ThreadPool of SLOTS threads, made on first use under gevent
_slots = threading.BoundedSemaphore(SLOTS)


def gevent_active() -> bool:
    """True in a process whose standard library gevent has patched (a server worker)."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return bool(monkey.is_module_patched("socket"))


def blocking(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, in a real thread when under gevent (the calling greenlet waits, the
    others run). Exceptions propagate as raised."""
    if not gevent_active():
        return fn(*args)
    import gevent

    return gevent.get_hub().threadpool.apply(fn, args)  # type: ignore[no-any-return]


def cpu_bound(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` with at most :data:`SLOTS` such calls at once: on a pool of that many real
    threads under gevent, else in the calling thread once a slot is free."""
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
