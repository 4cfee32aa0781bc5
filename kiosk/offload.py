"""CPU-bound C code (argon2) off the event loop when the server runs under gevent.

A password check takes tens of milliseconds of pure computation. Under gevent every greenlet
shares one thread, so a check run directly would stop every other connection meanwhile;
gevent's threadpool runs it on a real thread instead (argon2-cffi releases the GIL) while the
loop serves everyone else. Without gevent (threads, the CLI, tests) it is a plain call."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def gevent_active() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def cpu_bound(fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)``, on gevent's threadpool when gevent has patched this process."""
    if gevent_active():
        import gevent

        return gevent.get_hub().threadpool.apply(fn, args)  # type: ignore[no-any-return]
    return fn(*args)
