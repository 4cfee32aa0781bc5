"""Run blocking work off the gevent loop.

Inside a gevent worker every connection is a greenlet of one OS thread: C code that blocks
without yielding (SQLite's fsync on commit, argon2's hashing) stops all of them. ``blocking``
runs such a call in gevent's pool of real threads and lets the other greenlets go on
meanwhile; outside gevent (tests, the command line) it simply calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


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
