"""Prometheus metrics at ``/metrics`` (prometheus_client).

Two kinds of figures:

* **From the database, at each scrape** (:class:`HallCollector`): tickets issued and called
  today, tickets waiting, waits from issue to call, printers and their jobs. They are the same
  whichever server process answers and survive restarts. The ``_total`` figures count the
  current business day (Asia/Ho_Chi_Minh by default) and start again from 0 the next day,
  which Prometheus reads as a counter reset: ``increase()`` and ``rate()`` stay right.
* **Kept by each server process**: open Socket.IO connections per namespace and HTTP
  responses per status. With several gunicorn workers they live in prometheus_client's
  multiprocess files (``PROMETHEUS_MULTIPROC_DIR``), which :func:`prepare_multiprocess` sets
  before the workers start and :func:`worker_exited` cleans after a worker is gone; a scrape
  answered by any worker adds up every worker's values.

Who may read: addresses in ``MOTCUA_METRICS_ALLOW`` (loopback by default), or anyone sending
``Authorization: Bearer <MOTCUA_METRICS_TOKEN>``. A request that came through a reverse proxy
the server was not told to trust (``X-Forwarded-For`` with ``MOTCUA_TRUSTED_PROXIES=0``) has
the proxy's address, not the client's: it needs the token.

prometheus_client is imported inside functions only: the process that prepares the
multiprocess folder must set it before the library is first imported.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request
from sqlalchemy import and_, func, select

from kiosk.services import ctx

ENV = "PROMETHEUS_MULTIPROC_DIR"
NAMESPACES = ("/display", "/live")
SAMPLE_EVERY_S = 5
# Waits from issue to call, in seconds: from "served at once" to "over two hours".
WAIT_BUCKETS = (60, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200)
RECENT_FAILURES = timedelta(minutes=15)

bp = Blueprint("metrics", __name__)


# --- several worker processes -------------------------------------------------------------------


def prepare_multiprocess(instance: Path, port: int) -> Path:
    """Call in the process that starts the server, before its workers start: an empty folder
    for this server's multiprocess files (one per port, so that two servers sharing a state
    folder keep theirs apart), exported in ``PROMETHEUS_MULTIPROC_DIR`` for the workers to
    inherit. Files of an earlier run would be added in, so they are removed."""
    folder = Path(os.environ.get(ENV) or instance / "metrics" / str(port))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)
    os.environ[ENV] = str(folder)
    return folder


def worker_exited(pid: int) -> None:
    """gunicorn's ``child_exit``: drop the live gauges of a worker that is gone."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


# --- what each process keeps ----------------------------------------------------------------


class _Instruments:
    """The per-process metrics, made once per process (never registered globally: each scrape
    builds its own registry)."""

    _made: _Instruments | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge

        self.sockets = Gauge(
            "motcua_socketio_connections",
            "Open Socket.IO connections, by namespace (/display: hall displays; /live: kiosks, "
            "counter consoles, phones)",
            ["namespace"],
            registry=None,
            multiprocess_mode="livesum",
        )
        self.responses = Counter(
            "motcua_http_responses",
            "HTTP responses since the server started, by status code",
            ["status"],
            registry=None,
        )

    @classmethod
    def get(cls) -> _Instruments:
        with cls._lock:
            if cls._made is None:
                cls._made = _Instruments()
            return cls._made


def sample_sockets(app: Flask) -> None:
    """Set this process's socket gauge from its Socket.IO server's own table."""
    manager = app.extensions["motcua"].socketio.server.manager
    gauge = _Instruments.get().sockets
    for namespace in NAMESPACES:
        connected = manager.rooms.get(namespace, {}).get(None, {})
        gauge.labels(namespace).set(len(connected))


def _sample_forever(app: Flask) -> None:
    socketio = app.extensions["motcua"].socketio
    while True:
        try:
            sample_sockets(app)
        except Exception:  # a table changing under us: the next round fixes it
            pass
        socketio.sleep(SAMPLE_EVERY_S)


def init_app(app: Flask) -> None:
    """Serve ``/metrics`` and count responses. In a multi-process server each worker also
    refreshes its socket count every few seconds, so that any worker's scrape sees them all."""
    app.register_blueprint(bp)
    responses = _Instruments.get().responses

    @app.after_request
    def _count(response: Response) -> Response:
        responses.labels(str(response.status_code)).inc()
        return response

    if os.environ.get(ENV):
        app.extensions["motcua"].socketio.start_background_task(_sample_forever, app)


# --- the endpoint ---------------------------------------------------------------------------


@bp.get("/metrics")
def metrics() -> Response:
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import choose_encoder

    app = ctx()
    if not allowed(app.settings, request.remote_addr, request.headers):
        abort(403)
    sample_sockets(current_app)
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        instruments = _Instruments.get()
        registry.register(instruments.sockets)
        registry.register(instruments.responses)
    registry.register(HallCollector(app))
    # The format the scraper asks for (Prometheus' text format or OpenMetrics).
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(registry), content_type=content_type)


def allowed(settings: Any, address: str | None, headers: Any) -> bool:
    """The token, when one is configured and sent, or an allowed address (see the module
    docstring for requests through an untrusted proxy)."""
    token = settings.metrics_token
    sent = headers.get("Authorization", "")
    if token and sent.startswith("Bearer "):
        return hmac.compare_digest(sent[len("Bearer ") :].encode(), token.encode())
    if headers.get("X-Forwarded-For") and not settings.trusted_proxies:
        return False
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in settings.metrics_allow)


# --- figures from the database -----------------------------------------------------------------


class HallCollector:
    """Queue and printer figures read from the database at each scrape."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        from kiosk.domain.clock import business_day
        from kiosk.models import PrinterStatus, PrintJob, Ticket, TicketNumber

        app = self.app
        now = app.clock.now()
        today = business_day(app.clock, now)
        sites = [s.code for s in app.config.sites]
        issued = CounterMetricFamily(
            "motcua_tickets_issued",
            "Tickets issued today (the count starts again at each business day)",
            labels=["site", "service"],
        )
        called = CounterMetricFamily(
            "motcua_tickets_called",
            "Tickets of today called to a counter at least once",
            labels=["site", "service"],
        )
        waiting = GaugeMetricFamily(
            "motcua_tickets_waiting", "Tickets waiting now", labels=["site", "service"]
        )
        priority = GaugeMetricFamily(
            "motcua_tickets_waiting_priority",
            "Tickets of a priority group waiting now",
            labels=["site", "service"],
        )
        waits = HistogramMetricFamily(
            "motcua_ticket_wait_seconds",
            "Today's waits from issue to call (as in the reports)",
            labels=["site", "service"],
        )
        with app.db.read() as s:
            for site in sites:
                day = and_(Ticket.site == site, Ticket.business_day == today)
                for service, n, n_called in s.execute(
                    select(Ticket.service, func.count(), func.count(Ticket.called_at))
                    .where(day)
                    .group_by(Ticket.service)
                ):
                    issued.add_metric([site, service], n)
                    called.add_metric([site, service], n_called)
                durations: dict[str, list[float]] = {}
                for service, issued_at, called_at in s.execute(
                    select(Ticket.service, Ticket.issued_at, Ticket.called_at).where(
                        day, Ticket.called_at.is_not(None)
                    )
                ):
                    seconds = max(0.0, (called_at - issued_at).total_seconds())
                    durations.setdefault(service, []).append(seconds)
                for service, values in sorted(durations.items()):
                    waits.add_metric([site, service], *_buckets(values))
            for site, service, n, n_priority in s.execute(
                select(
                    TicketNumber.site,
                    TicketNumber.service,
                    TicketNumber.waiting,
                    TicketNumber.priority_waiting,
                ).where(TicketNumber.business_day == today)
            ):
                waiting.add_metric([site, service], n)
                priority.add_metric([site, service], n_priority)
            printers = list(self._printers(s, now, PrinterStatus, PrintJob))
        yield from (issued, called, waiting, priority, waits)
        yield from printers

    def _printers(self, s: Any, now: Any, status_model: Any, job_model: Any) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        from kiosk.printing import printer_key

        app = self.app
        names = {
            printer_key(app.config, app.settings, k.name)
            for site in app.config.sites
            for k in site.kiosks
        }
        reports = {r.printer: r for r in s.scalars(select(status_model))}
        pending = dict(
            s.execute(
                select(job_model.printer, func.count())
                .where(job_model.status.in_(("queued", "printing")))
                .group_by(job_model.printer)
            ).all()
        )
        failed = dict(
            s.execute(
                select(job_model.printer, func.count())
                .where(
                    job_model.status == "failed",
                    job_model.finished_at > now - RECENT_FAILURES,
                )
                .group_by(job_model.printer)
            ).all()
        )
        state = GaugeMetricFamily(
            "motcua_printer_state",
            "1 for the printer's state in its last report: online, offline, paper_out, "
            "paper_low or unknown (never reported)",
            labels=["printer", "state"],
        )
        jobs = GaugeMetricFamily(
            "motcua_print_jobs_pending", "Print jobs queued or printing", labels=["printer"]
        )
        failures = GaugeMetricFamily(
            "motcua_print_jobs_failed_recently",
            "Print jobs failed in the last 15 minutes",
            labels=["printer"],
        )
        seen = GaugeMetricFamily(
            "motcua_printer_last_report_timestamp_seconds",
            "When the printer (its worker or print agent) last reported, Unix time",
            labels=["printer"],
        )
        for name in sorted(n for n in names | set(pending) | set(failed) if n):
            report = reports.get(name) or reports.get("*")
            state.add_metric([name, _state(report.status if report else None)], 1)
            jobs.add_metric([name], pending.get(name, 0))
            failures.add_metric([name], failed.get(name, 0))
            if report is not None:
                seen.add_metric([name], report.seen_at.timestamp())
        yield from (state, jobs, failures, seen)


def _state(status: dict[str, Any] | None) -> str:
    if not status:
        return "unknown"
    if status.get("online") is False:
        return "offline"
    if status.get("paper") in ("out", "empty"):
        return "paper_out"
    if status.get("paper") in ("low", "near_end"):
        return "paper_low"
    return "online" if status.get("online") else "unknown"


def _buckets(values: list[float]) -> tuple[list[tuple[str, float]], float]:
    """Cumulative bucket counts (Prometheus' ``le``) and the sum, for HistogramMetricFamily."""
    out = []
    for bound in WAIT_BUCKETS:
        out.append((str(float(bound)), float(sum(1 for v in values if v <= bound))))
    out.append(("+Inf", float(len(values))))
    return out, sum(values)
