"""The message queue between server processes (``MOTCUA_MESSAGE_QUEUE``): python-socketio's
Redis manager, with five changes for a ward's office, where the queue can go away and tickets
come in bursts:

* publishing never waits long for an unreachable Redis (short connect and write timeouts, on a
  connection of its own; the listener keeps its idle connection without a read timeout);
* messages are published by a task of their own, all those waiting at once in one pipeline
  (one round trip), never by the request that emitted them: under load a request no longer
  waits for Redis, and dozens of messages share one write;
* the listener reconnects within about a second once Redis answers again (the library's
  back-off grows to a minute);
* every time it has subscribed again after losing the queue it calls ``on_back``, so that the
  process can bring its own clients up to date with what they missed meanwhile;
* a queue change another process published to a site's kiosks and consoles calls
  ``on_site_change(site)``: each process tells its own phones (``Publisher.tell_phones``).

While the queue is down each process still delivers its own events to its own clients (the
library hands every emit to the local clients before publishing it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import redis
from socketio import RedisManager

log = logging.getLogger(__name__)

RETRY_S = (0.2, 0.5, 1.0)  # waits between reconnection attempts; then every 1 s
PUBLISH_TIMEOUT_S = 1.0
# Messages waiting to be published beyond this many (Redis unreachable for a while) are
# dropped, oldest first: the other processes catch up when the queue is back.
MAX_WAITING = 10_000


class QueueManager(RedisManager):  # type: ignore[misc]
    def __init__(
        self,
        url: str,
        channel: str,
        on_back: Callable[[], None],
        on_site_change: Callable[[str], None] = lambda _site: None,
    ) -> None:
        super().__init__(
            url,
            channel=channel,
            redis_options={"socket_connect_timeout": PUBLISH_TIMEOUT_S, "socket_keepalive": True},
        )
        self.on_back = on_back
        self.on_site_change = on_site_change
        self._publisher = redis.Redis.from_url(
            url,
            socket_connect_timeout=PUBLISH_TIMEOUT_S,
            socket_timeout=PUBLISH_TIMEOUT_S,
        )
        self._waiting: deque[str] = deque(maxlen=MAX_WAITING)
        self._wake = threading.Event()
        self._sender: Any = None
        self._sender_lock = threading.Lock()

    def _publish(self, data: Any) -> None:
        """Queue the message for the sender task (started on first use)."""
        self._waiting.append(self.json.dumps(data))
        if self._sender is None:
            with self._sender_lock:
                if self._sender is None:
                    self._sender = self.server.start_background_task(self._send_forever)
        self._wake.set()

    def _send_forever(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self._send_waiting()
            except Exception:  # never stop sending over one failure
                log.exception("publishing to the message queue failed")

    def _send_waiting(self) -> None:
        """Publish every message waiting, in order, in one pipeline."""
        while self._waiting:
            batch = []
            while self._waiting and len(batch) < 1000:
                batch.append(self._waiting.popleft())
            try:
                pipe = self._publisher.pipeline(transaction=False)
                for message in batch:
                    pipe.publish(self.channel, message)
                pipe.execute()
            except redis.RedisError as exc:
                # Delivered here already; the other processes catch up when the queue is back.
                log.warning(
                    "message queue unreachable, %d event(s) kept to this process: %s",
                    len(batch),
                    exc,
                )

    def _handle_emit(self, message: dict[str, Any]) -> None:
        super()._handle_emit(message)
        room = message.get("room")
        if (
            message.get("host_id") != self.host_id
            and message.get("event") == "queue"
            and message.get("namespace") == "/live"
            and isinstance(room, str)
            and room.startswith("site:")
        ):
            try:
                self.on_site_change(room.removeprefix("site:"))
            except Exception:  # never stop listening over it
                log.exception("telling the phones of %s failed", room)

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
