"""Read-only views of sites, services, counters, displays and priority groups."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from sqlalchemy import select

from kiosk.api import endpoint, schemas
from kiosk.auth import Caller
from kiosk.config import Site
from kiosk.domain.clock import business_day, local
from kiosk.domain.counters import counter_services
from kiosk.domain.errors import Forbidden, NotFound
from kiosk.domain.queue import counter_rows, counter_status, display_state, service_status
from kiosk.domain.waits import wait_minutes
from kiosk.models import Ticket
from kiosk.services import ctx


def _site(code: str) -> Site:
    site = ctx().config.site(code)
    if site is None:
        raise NotFound(f"Không có điểm tiếp nhận {code!r}.", en=f"No site {code!r}.", what="site")
    return site


@endpoint("/sites", "GET", summary="Sites", response=list[schemas.SiteOut])
def list_sites() -> Any:
    return jsonify(
        [
            {
                "code": s.code,
                "name": s.name,
                "address": s.address,
                "name_en": s.name_en,
                "guide": s.guide,
            }
            for s in ctx().config.sites
        ]
    )


@endpoint(
    "/sites/<site>/services",
    "GET",
    summary="Services of a site with live waits",
    response=list[schemas.ServiceOut],
    errors=(404,),
)
def list_services(site: str) -> Any:
    app = ctx()
    site_cfg = _site(site)
    out = []
    with app.db.read() as s:
        for svc in site_cfg.services:
            if not svc.enabled:
                continue  # not offered
            st = service_status(s, app.config, app.clock, app.estimator, site_cfg, svc)
            out.append(
                {
                    "code": svc.code,
                    "prefix": svc.prefix,
                    "name": svc.name,
                    "name_en": svc.name_en,
                    "open": st.open,
                    "waiting": st.waiting,
                    "estimated_wait_s": st.estimated_wait_s,
                    "estimated_wait_min": wait_minutes(st.estimated_wait_s) or 0,
                    "closed_reason": st.reason,
                    "reopens_at": local(app.clock, st.reopens_at).isoformat()
                    if st.reopens_at
                    else None,
                    "after_cutoff": st.after_cutoff,
                }
            )
    return jsonify(out)


@endpoint(
    "/sites/<site>/counters",
    "GET",
    summary="Counters of a site and their status",
    response=list[schemas.CounterOut],
    errors=(404,),
)
def list_counters(site: str) -> Any:
    app = ctx()
    site_cfg = _site(site)
    today = business_day(app.clock)
    with app.db.read() as s:
        rows = counter_rows(s, site)
        current_ids = [r.current_ticket_id for r in rows.values() if r.current_ticket_id]
        numbers = (
            dict(
                s.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(current_ids))).all()
            )
            if current_ids
            else {}
        )
    return jsonify(
        [
            {
                "number": c.number,
                "name": c.name,
                "services": list(counter_services(rows.get(c.number), c, today)),
                "status": counter_status(rows.get(c.number)),
                "pause_reason": r.pause_reason if (r := rows.get(c.number)) else None,
                "current": numbers.get(r.current_ticket_id) if r and r.current_ticket_id else None,
            }
            for c in site_cfg.counters
        ]
    )


@endpoint(
    "/sites/<site>/displays",
    "GET",
    summary="Displays of a site",
    response=list[schemas.DisplayOut],
    errors=(404,),
)
def list_displays(site: str) -> Any:
    return jsonify(
        [{"id": d.id, "name": d.name, "counters": list(d.counters)} for d in _site(site).displays]
    )


@endpoint(
    "/priority-groups",
    "GET",
    summary="Priority groups (the codes `priority` accepts)",
    response=list[schemas.PriorityGroupOut],
)
def list_priority_groups() -> Any:
    return jsonify(
        [
            {"code": g.code, "name": g.name, "name_en": g.name_en}
            for g in ctx().config.settings.priority.groups
        ]
    )


@endpoint(
    "/displays/<int:display>/state",
    "GET",
    summary="Snapshot of a display",
    who=("display", "staff"),
    response=schemas.DisplayStateOut,
    errors=(401, 403, 404),
)
def display_snapshot(caller: Caller, display: int) -> Any:
    app = ctx()
    found = app.config.display(display)
    if found is None:
        raise NotFound(f"Không có màn hình {display}.", en=f"No display {display}.", what="display")
    if caller.device is not None and caller.device.display_id != display:
        raise Forbidden(
            "Màn hình này chỉ đọc được trạng thái của chính nó.",
            en="A display reads only its own state.",
        )
    if caller.user is not None and caller.user.site not in (None, found[0].code):
        raise Forbidden("Màn hình thuộc điểm tiếp nhận khác.", en="Display of another site.")
    with app.db.read() as s:
        return jsonify(display_state(s, app.config, app.clock, display))
