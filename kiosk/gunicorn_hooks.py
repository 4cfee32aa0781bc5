"""gunicorn server hooks for ``motcua serve`` (read by the gunicorn master as its config file).

Imported before gevent patches anything: import nothing of the application at module level.
"""

from __future__ import annotations

from typing import Any


def on_starting(server: Any) -> None:
    """The master's log lines, and those of the workers it forks, in the journal's format."""
    from kiosk.logs import configure, log_start_warnings

    configure()
    log_start_warnings()  # what `motcua serve` found missing on this machine


def post_worker_init(worker: Any) -> None:
    """Close every Socket.IO connection as soon as the worker is told to stop.

    Each open WebSocket is a request that never ends by itself: without this, a stop or a
    restart waits out the whole graceful timeout with the displays still attached to a server
    that is going away. Closed at once, they reconnect (to the restarted server) at once."""
    import gevent

    from kiosk.logs import configure

    configure()
    _lighten_connections()

    app = worker.wsgi

    def close_when_stopping() -> None:
        while worker.alive:
            gevent.sleep(0.2)
        app.extensions["motcua"].realtime.close_all()

    gevent.spawn(close_when_stopping)


def _lighten_connections() -> None:
    """Keep the collector's pauses short while a worker holds thousands of connections.

    A full collection walks every object the collector tracks, and it stops the whole worker
    meanwhile: every request and every display with it. Measured on two workers, a full
    collection took 60-69 ms for the loaded application alone, and 75-115 ms more for 1,000
    display connections per worker; the latency of a call to 2,000 displays went with it
    (p99 120-170 ms). Three settings cut that:

    - ``gc.freeze()`` once the application is loaded: its ~157,000 objects (modules, classes,
      functions, configuration) live as long as the process and hold no garbage, so no
      collection needs to walk them again. The price: a frozen object dropped later is freed
      only if no reference cycle holds it (the configuration loaded at start, once a newer
      one replaces it: once per process, a few hundred KiB at most).
    - A first-generation threshold of 10,000 allocations instead of 700: fewer young
      collections promote fewer short-lived objects (a packet on its way to a display, a
      request in progress) to the oldest generation, whose growth is what starts a full
      collection; with 2,000 displays, one full collection per worker in a run instead of four.
    - gevent's greenlet tree off: each greenlet spawned (one per connection and per
      WebSocket writer) no longer keeps a copy of the stack that spawned it, for debugging we
      do not use; about 5 KiB less per display connection.
    """
    import gc

    import gevent

    gevent.config.track_greenlet_tree = False
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live Prometheus gauges go with it (kiosk.metrics)."""
    from kiosk.metrics import worker_exited

    worker_exited(worker.pid)
