"""The message queue between server processes (``MOTCUA_MESSAGE_QUEUE``): python-socketio's
Redis manager, with three changes for a ward's office, where the queue can go away:

* publishing never waits long for an unreachable Redis (short connect and write timeouts, on a
  connection of its own; the listener keeps its idle connection without a read timeout);
* the listener reconnects within about a second once Redis answers again (the library's
  back-off grows to a minute);
* every time it has subscribed again after losing the queue it calls ``on_back``, so that the
  process can bring its own clients up to date with what they missed meanwhile.

While the queue is down each process still delivers its own events to its own clients (the
library hands every emit to the local clients before publishing it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import redis
from socketio import RedisManager

log = logging.getLogger(__name__)

RETRY_S = (0.2, 0.5, 1.0)  # waits between reconnection attempts; then every 1 s
PUBLISH_TIMEOUT_S = 1.0


class QueueManager(RedisManager):  # type: ignore[misc]
    def __init__(self, url: str, channel: str, on_back: Callable[[], None]) -> None:
        super().__init__(
            url,
            channel=channel,
            redis_options={"socket_connect_timeout": PUBLISH_TIMEOUT_S, "socket_keepalive": True},
        )
        self.on_back = on_back
        self._publisher = redis.Redis.from_url(
            url,
            socket_connect_timeout=PUBLISH_TIMEOUT_S,
            socket_timeout=PUBLISH_TIMEOUT_S,
        )

    def _publish(self, data: Any) -> Any:
        try:
            return self._publisher.publish(self.channel, self.json.dumps(data))
        except redis.RedisError as exc:
            # Delivered here already; the other processes catch up when the queue is back.
            log.warning("message queue unreachable, event kept to this process: %s", exc)
            return None

    def _redis_listen_with_retries(self) -> Iterator[Any]:
        attempt = 0
        lost = False
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                if lost:
                    log.warning("message queue is back")
                    self._notify_back()
                attempt, lost = 0, False
                yield from self.pubsub.listen()
            except Exception as exc:  # any failure of the connection: retry
                if not lost:
                    log.warning("message queue lost: %s; reconnecting", exc)
                lost = True
                time.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
                attempt += 1

    def _notify_back(self) -> None:
        try:
            self.on_back()
        except Exception:  # never stop listening over it
            log.exception("catching up after the message queue came back failed")
