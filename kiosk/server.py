"""``motcua serve``: gunicorn with one gthread worker serving HTTP and Socket.IO.

The worker is gunicorn's gthread worker with two changes made for throughput (:class:`Worker`):
a busy kept-alive client is served by the thread that answered it, and the worker's threads
stay on one CPU. Flask-SocketIO in threading mode keeps one thread per open WebSocket, so the
thread count must cover displays + consoles + concurrent HTTP requests. Several server
processes (each its own ``motcua serve``) share one PostgreSQL database and reach each other's
clients through ``MOTCUA_MESSAGE_QUEUE=redis://…``.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import sys
import threading
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from kiosk.core import Core

DEFAULT_THREADS = 200


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from kiosk import create_app
        from kiosk.background import start_background

        app = create_app()
        start_background(app)
        _close_sockets_on_stop(app)
        return app


NEXT_REQUEST_WAIT_S = 0.002


class Worker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker, except that a thread that has just answered a kept-alive
    connection serves that client's next request itself when it is already on its way
    (within ``NEXT_REQUEST_WAIT_S``), instead of handing the connection back to the main
    thread's poller and another pool thread picking it up: three thread switches fewer per
    request for a busy client (a kiosk, a counter, a load test). An idle connection goes back
    to the poller as before, after at most that short wait."""

    def init_process(self) -> None:
        # Before any thread starts: every thread of the worker inherits the mask.
        _pin_to_one_cpu(os.environ.get("MOTCUA_PIN_CPU", "auto"), self.log)
        super().init_process()

    def handle(self, conn: Any) -> Any:
        result = super().handle(conn)
        while result is True and self.alive and _next_request_ready(conn):
            result = super().handle(conn)
        return result


def _pin_to_one_cpu(setting: str, log: Any) -> int | None:
    """Keep the worker's threads on one CPU (``MOTCUA_PIN_CPU``: ``auto``, ``off`` or a CPU
    number). The worker runs Python on one core at a time anyway (one GIL); left free to move,
    its threads hand the GIL between cores on every blocking call (each SQLite statement,
    each socket read), and those cross-core hand-offs cost more than the work: measured on
    the 2-core benchmark machine, pinned issues 15-40 % more tickets per second with less CPU
    per ticket (docs/benchmarks.md). ``auto`` picks one of the allowed CPUs by process id, so
    that several ``motcua serve`` on one machine tend to spread (give each its own number to
    be sure); on a single-CPU machine it does nothing. Returns the CPU, or None."""
    setting = setting.strip().lower()
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None  # not Linux
    if setting in ("off", "no", "") or len(allowed) < 2:
        return None
    if setting == "auto":
        cpu = allowed[os.getpid() % len(allowed)]
    elif setting.isdigit() and int(setting) in allowed:
        cpu = int(setting)
    else:
        log.warning(
            "MOTCUA_PIN_CPU=%r: not one of the CPUs %s or auto/off; not pinned", setting, allowed
        )
        return None
    os.sched_setaffinity(0, {cpu})
    return cpu


def _next_request_ready(conn: Any) -> bool:
    if conn.parser.unreader.buf.getvalue():
        return True  # read ahead with the previous body
    try:
        poll = select.poll()  # not select(): no limit on the descriptor's number
        poll.register(conn.sock, select.POLLIN)
        return bool(poll.poll(NEXT_REQUEST_WAIT_S * 1000))
    except (OSError, ValueError):
        return False


def _close_sockets_on_stop(app: Any) -> None:
    """On SIGTERM, close every Socket.IO connection before gunicorn's graceful stop.

    Each open WebSocket is a request that never ends by itself: without this, a stop or a
    restart waits out the whole graceful timeout with the displays still attached to a server
    that is going away. Closed now, they reconnect (to the restarted server) at once. Runs in
    the worker after gunicorn has set its own handler, which it then calls."""
    previous = signal.getsignal(signal.SIGTERM)
    eio = app.extensions["motcua"].socketio.server.eio

    def close_all() -> None:
        for sock in list(eio.sockets.values()):
            try:
                sock.close(wait=False, abort=True)
            except Exception:  # a socket that is already going away
                logging.getLogger(__name__).debug("closing a socket failed", exc_info=True)

    def on_term(signum: int, frame: Any) -> None:
        threading.Thread(target=close_all, name="motcua-close-sockets", daemon=True).start()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_term)


def serve(host: str, port: int, *, threads: int | None = None) -> int:
    core = Core.from_env()
    core.require_schema()  # fail fast with one clear line rather than per request
    from kiosk.printing import check_printers

    check_printers(core.config, core.settings)
    core.db.dispose()
    threads = threads or int(os.environ.get("MOTCUA_THREADS", DEFAULT_THREADS))
    print(f"motcua serving on http://{host}:{port} ({threads} threads)", flush=True)
    options = {
        "bind": f"{host}:{port}",
        "workers": 1,
        "worker_class": "kiosk.server.Worker",
        "threads": threads,
        # The worker heartbeat, not a request limit: WebSockets stay open for hours.
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 75,
        "accesslog": os.environ.get("MOTCUA_ACCESS_LOG") or None,
        "errorlog": "-",
        "loglevel": "warning",
        "preload_app": False,
        "worker_connections": 2000,
    }
    _Gunicorn(options).run()
    return 0


if __name__ == "__main__":
    sys.exit(serve("127.0.0.1", 8000))
