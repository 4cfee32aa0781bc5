"""Turn tickets into API bodies (local times, waits, tracking URL)."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy.orm import Session

from kiosk.context import Motcua
from kiosk.domain.clock import local
from kiosk.domain.queue import ahead_of
from kiosk.models import Ticket


def base_url(app: Motcua) -> str:
    return app.settings.public_url or request.host_url.rstrip("/")


def ticket_body(s: Session, app: Motcua, t: Ticket) -> dict[str, Any]:
    site = app.config.site(t.site)
    assert site is not None
    service = site.service(t.service)
    assert service is not None
    ahead = getattr(t, "ahead", None)
    if ahead is None:
        ahead = ahead_of(s, t)
    wait = (
        app.estimator.wait_s(s, site, service, ahead)
        if t.status in ("waiting", "transferred")
        else 0
    )
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
