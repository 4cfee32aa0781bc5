"""Turn tickets into API bodies (local times, waits, tracking URL)."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy.orm import Session

from kiosk.domain.clock import local
from kiosk.domain.queue import ahead_of
from kiosk.models import Ticket
from kiosk.services import Services

_BASE_URLS: dict[tuple[str, ...], str] = {}
_URL_PARTS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")


def base_url(app: Services) -> str:
    """The configured public URL, else the one this request came in on. Werkzeug rebuilds
    (and IRI-decodes) the latter on every request: remembered per host, a few at most."""
    if app.settings.public_url:
        return app.settings.public_url
    env = request.environ
    key = tuple(env.get(k, "") for k in _URL_PARTS)
    url = _BASE_URLS.get(key)
    if url is None:
        if len(_BASE_URLS) >= 64:  # the Host header is the client's to choose
            _BASE_URLS.clear()
        url = _BASE_URLS[key] = request.host_url.rstrip("/")
    return url


def estimated_wait(s: Session, app: Services, t: Ticket, ahead: int) -> int:
    """Seconds until ``t`` is likely called (0 once it has been)."""
    if t.status not in ("waiting", "transferred"):
        return 0
    site = app.config.site(t.site)
    assert site is not None
    service = site.service(t.service)
    assert service is not None
    return app.estimator.wait_s(s, site, service, ahead)


def ticket_body(s: Session | None, app: Services, t: Ticket) -> dict[str, Any]:
    """The API's ticket. ``s`` may be None when ``t`` carries ``ahead`` and
    ``estimated_wait_s`` already (worked out in the transaction that issued it)."""
    site = app.config.site(t.site)
    assert site is not None
    service = site.service(t.service)
    assert service is not None
    ahead = getattr(t, "ahead", None)
    if ahead is None:
        ahead = ahead_of(s, t)
    wait = getattr(t, "estimated_wait_s", None)
    if wait is None:
        wait = estimated_wait(s, app, t, ahead)
    return {
        "id": t.id,
        "code": t.code,
        "number": t.number,
        "site": t.site,
        "service": t.service,
        "priority": t.priority,
        "status": t.status,
        "issued_at": local(app.clock, t.issued_at).isoformat(),
        "called_at": local(app.clock, t.called_at).isoformat() if t.called_at else None,
        "counter": t.counter,
        "ahead": ahead,
        "estimated_wait_s": wait,
        "track_url": f"{base_url(app)}/t/{t.code}",
        "print": {"status": t.print_status},
        "service_name": service.name,
        "procedure": t.procedure,
        "note": t.note,
    }
