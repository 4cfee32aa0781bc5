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

    app = worker.wsgi

    def close_when_stopping() -> None:
        while worker.alive:
            gevent.sleep(0.2)
        app.extensions["motcua"].realtime.close_all()

    gevent.spawn(close_when_stopping)


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live Prometheus gauges go with it (kiosk.metrics)."""
    from kiosk.metrics import worker_exited

    worker_exited(worker.pid)
