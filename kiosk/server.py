"""``motcua serve``: gunicorn's gevent worker serving HTTP and Socket.IO.

A connection costs memory, not a thread: every client (an HTTP request in progress, a kept-alive
connection, a display's WebSocket) is a greenlet of a worker process; Flask-SocketIO runs in its
``gevent`` mode (chosen in ``kiosk.realtime`` because the worker has patched the standard
library). ``--workers N`` runs N such processes on the one port; the kernel spreads new
connections among them, and they share Socket.IO events through ``MOTCUA_MESSAGE_QUEUE``. Our
own clients open their Socket.IO connection straight over WebSocket (no long-polling first), so
a client does not need to meet the same process twice: no sticky sessions.

``serve`` checks the installation in this process, then replaces itself with the gunicorn
master (``exec``), so that each worker imports the application only after gevent has patched
the standard library: modules imported before the patch would keep real thread locks, which
deadlock under greenlets.
"""

from __future__ import annotations

import os
import resource
import sys

from kiosk.settings import Settings, SettingsError

# Seconds a client has to send a request's headers (and the time a kept-alive connection may
# sit idle between requests) before the worker closes it: a client that trickles its headers
# holds one greenlet for at most this long.
HEADER_TIMEOUT_S = 10
# What a stop waits for requests in progress after the Socket.IO connections are closed.
GRACEFUL_TIMEOUT_S = 10


# Open files a worker needs beyond its client connections: database connections, Redis,
# logs, printers, voice clips.
FILES_HEADROOM = 1024


class ServeError(Exception):
    pass


def raise_open_files_limit(connections: int) -> str | None:
    """Raise this process's soft limit on open files (inherited by gunicorn and its workers)
    to what ``connections`` client connections per worker need, up to the hard limit. Every
    connection is a file: under systemd the soft limit is 1024 unless the unit says otherwise,
    and a worker at that limit fails to accept (``EMFILE``) while one address holds ~1,000 idle
    sockets. Returns a warning for the operator when the hard limit is too low, else None."""
    needed = connections + FILES_HEADROOM
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        if target > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < needed:
            return (
                f"open files limited to {target}, below the {needed} that "
                f"MOTCUA_MAX_CONNECTIONS={connections} needs: raise LimitNOFILE (systemd) or "
                "ulimit -n, or lower MOTCUA_MAX_CONNECTIONS"
            )
    return None


def gunicorn_argv(settings: Settings, host: str, port: int, workers: int) -> list[str]:
    """The gunicorn command line for ``motcua serve``."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        "gevent",
        "--workers",
        str(workers),
        "--bind",
        f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        # One greenlet per connection; the per-address cap (kiosk.guard) keeps one client
        # from taking them all.
        "--worker-connections",
        str(settings.max_connections),
        "--keep-alive",
        str(HEADER_TIMEOUT_S),
        # The worker heartbeat, not a request limit: WebSockets stay open for hours.
        "--timeout",
        "30",
        "--graceful-timeout",
        str(GRACEFUL_TIMEOUT_S),
        "--limit-request-line",
        "4094",
        "--limit-request-fields",
        "60",
        "--limit-request-field_size",
        "8190",
        # gunicorn must not believe X-Forwarded-* itself: ProxyFix does, per
        # MOTCUA_TRUSTED_PROXIES (kiosk.guard).
        "--forwarded-allow-ips",
        "",
        "--error-logfile",
        "-",
        "--log-level",
        "warning",
        "--config",
        "python:kiosk.gunicorn_hooks",
    ]
    if settings.access_log:
        # The query string is left out: enrollment links and tracking codes travel in it.
        argv += [
            "--access-logfile",
            settings.access_log,
            "--access-logformat",
            '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms',
        ]
    return [*argv, "kiosk.wsgi:app"]


def serve(host: str, port: int, *, workers: int = 1) -> int:
    """Check the installation, then become the gunicorn master (never returns on success).
    Raises ServeError with one line for the operator."""
    from kiosk import services
    from kiosk.printing import check_printers

    settings = Settings.from_env()
    if workers < 1:
        raise ServeError(f"--workers {workers}: must be at least 1")
    if workers > 1 and not settings.message_queue:
        raise ServeError(
            f"--workers {workers} needs MOTCUA_MESSAGE_QUEUE (e.g. redis://127.0.0.1:6379/0) "
            "so that the processes share Socket.IO events"
        )
    core = services.build()
    core.require_schema()  # fail fast with one clear line rather than per request
    check_printers(core.config, core.settings)
    core.db.dispose()
    warning = raise_open_files_limit(settings.max_connections)
    if warning:
        print(f"motcua: warning: {warning}", file=sys.stderr, flush=True)
    argv = gunicorn_argv(settings, host, port, workers)
    print(f"motcua serving on http://{host}:{port} ({workers} worker processes)", flush=True)
    os.execv(argv[0], argv)
    return 0  # pragma: no cover - execv does not return


__all__ = ["ServeError", "SettingsError", "gunicorn_argv", "serve"]
