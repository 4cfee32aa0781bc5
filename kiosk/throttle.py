"""Rate limits, on the ``limits`` library: moving windows kept in memory for one process, in
Redis (``MOTCUA_MESSAGE_QUEUE``) for several. Each check reserves its slot atomically (a lock
in memory, a Lua script in Redis), so concurrent requests can never pass a limit together.

* sign-in: 10 failed attempts per (username, address) and per address within 15 minutes
  (:meth:`Throttle.login_admit` before the password is checked, :meth:`Throttle.login_ok` after
  a success, which does not count as a failure);
* a kiosk's tickets per minute (:meth:`Throttle.kiosk_ticket`);
* anonymous counts of the guide's popular procedures, per address (:meth:`Throttle.guide_view`).

If Redis cannot be reached, each process falls back to its own memory so that limits still
hold per process (and a warning is logged once a minute)."""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from flask import Flask, current_app
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

LOGIN_FAILURES = 10
LOGIN_WINDOW_MIN = 15
GUIDE_VIEWS_PER_HOUR = 60


class _Budget(RateLimitItemPerMinute):
    """A window whose allowance varies between calls (10 plus the window's successes): its
    key leaves the amount out, so every call meets the same entries."""

    def key_for(self, *identifiers: Any) -> str:
        return "/".join([self.namespace, *(str(i) for i in identifiers), "budget"])


_SUCCESSES = RateLimitItemPerMinute(1_000_000, LOGIN_WINDOW_MIN, namespace="login-ok")
_THROTTLED_NOTED = RateLimitItemPerMinute(1, 1, namespace="login-throttled")
_GUIDE_VIEWS = RateLimitItemPerHour(GUIDE_VIEWS_PER_HOUR, namespace="guide-view")


class Throttle:
    def __init__(self, uri: str | None = None, prefix: str = "motcua") -> None:
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared = None
        if uri:
            store = storage_from_string(uri, key_prefix=f"{prefix}-limits", wrap_exceptions=True)
            self._shared = MovingWindowRateLimiter(store)
        self._warned_at = 0.0
        self._kiosk_items: dict[int, RateLimitItem] = {}

    # --- the primitives ---------------------------------------------------------------------

    def _call(self, method: str, item: RateLimitItem, *ids: str) -> Any:
        if self._shared is not None:
            try:
                return getattr(self._shared, method)(item, *ids)
            except Exception as exc:  # Redis away: limits still hold, per process
                now = time.monotonic()
                if now - self._warned_at > 60:
                    self._warned_at = now
                    log.warning("rate limits: shared storage unavailable (%s); per process", exc)
        return getattr(self._local, method)(item, *ids)

    def hit(self, item: RateLimitItem, *ids: str) -> bool:
        """Take one slot of ``item`` for ``ids``; False (nothing taken) when none is left."""
        return bool(self._call("hit", item, *ids))

    def used(self, item: RateLimitItem, *ids: str) -> int:
        stats = self._call("get_window_stats", item, *ids)
        return int(item.amount - stats.remaining)

    # --- sign-in ----------------------------------------------------------------------------

    def login_admit(self, username: str, address: str) -> bool:
        """Reserve one failure for (username, address) and for address, before the password
        is checked; False (throttled) when either has had its 10 failures within 15 minutes.
        A success then hands its reservations back with :meth:`login_ok`."""
        user = _digest(username)
        for ids in ((user, address), (address,)):
            allowance = LOGIN_FAILURES + self.used(_SUCCESSES, *ids)
            if not self.hit(_Budget(allowance, LOGIN_WINDOW_MIN, namespace="login"), *ids):
                return False
        return True

    def login_ok(self, username: str, address: str) -> None:
        """A successful sign-in: its attempt is not a failure."""
        user = _digest(username)
        for ids in ((user, address), (address,)):
            self.hit(_SUCCESSES, *ids)

    def note_throttled(self, address: str) -> bool:
        """True at most once a minute per address: when to audit a refused sign-in (a flood
        of refusals must not become a flood of database writes)."""
        return self.hit(_THROTTLED_NOTED, address)

    # --- tickets and the guide --------------------------------------------------------------

    def kiosk_ticket(self, device_id: int, per_minute: int) -> bool:
        item = self._kiosk_items.get(per_minute)
        if item is None:
            item = self._kiosk_items[per_minute] = RateLimitItemPerMinute(
                per_minute, namespace="kiosk-tickets"
            )
        return self.hit(item, str(device_id))

    def guide_view(self, address: str) -> bool:
        return self.hit(_GUIDE_VIEWS, address)


def _digest(username: str) -> str:
    # Keys never hold what was typed as a username (it is sometimes a password).
    return hashlib.sha256(username.casefold().encode()).hexdigest()[:32]


def throttle() -> Throttle:
    return current_app.extensions["motcua_throttle"]  # type: ignore[no-any-return]


def init_app(app: Flask, message_queue: str | None, prefix: str = "motcua") -> None:
    uri = message_queue if message_queue and message_queue.startswith("redis") else None
    app.extensions["motcua_throttle"] = Throttle(uri, prefix)
