"""Admins change services and counters, and read the audit log. Each change is validated like
the configuration files, stored as a new configuration version with an audit entry, and
taken up at once by every process, kiosk, display and console."""

from __future__ import annotations

from typing import Annotated, Any

from flask import jsonify, request
from pydantic import Field, StringConstraints

from kiosk.api import endpoint
from kiosk.api.schemas import In, Out
from kiosk.auth import Caller
from kiosk.domain import auditlog, site_setup
from kiosk.domain.clock import local
from kiosk.domain.errors import Forbidden, InvalidInput
from kiosk.inputs import parse_datetime
from kiosk.services import ctx

ServiceCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Prefix = Annotated[str, StringConstraints(pattern=r"^[A-Z]$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=120)]
NameEn = Annotated[str, StringConstraints(max_length=120)]
Cap = Annotated[int, Field(strict=True, ge=1, le=100_000)]
Wait = Annotated[int, Field(strict=True, ge=60, le=86_400)]
Number = Annotated[int, Field(strict=True, ge=1, le=999)]


class ServiceIn(In):
    code: ServiceCode
    prefix: Prefix
    name: Name
    name_en: NameEn | None = None
    daily_cap: Cap | None = None
    target_wait_s: Wait | None = None
    enabled: bool = True


class ServicePatch(In):
    name: Name | None = None
    name_en: NameEn | None = None
    daily_cap: Cap | None = None  # null: no cap
    target_wait_s: Wait | None = None
    enabled: bool | None = None


class CounterIn(In):
    number: Number
    name: Name
    services: list[ServiceCode] = Field(min_length=1, max_length=50)


class CounterPatch(In):
    name: Name | None = None
    services: list[ServiceCode] | None = Field(default=None, min_length=1, max_length=50)


class ServiceSaved(Out):
    code: str
    prefix: str
    name: str
    name_en: str
    daily_cap: int | None
    target_wait_s: int
    enabled: bool


class CounterSaved(Out):
    number: int
    name: str
    services: list[str]


class AuditOut(Out):
    at: str
    user: str | None
    action: str
    target: str | None
    detail: dict[str, Any]


def _admin(caller: Caller) -> Any:
    if caller.user is None or caller.user.role != "admin":
        raise Forbidden("Chỉ quản trị viên được thay đổi cấu hình.", en="Admins only.")
    return caller.actor()


def _service_out(site: str, code: str) -> dict[str, Any]:
    site_cfg = ctx().config.site(site)
    svc = site_cfg.service(code) if site_cfg else None
    assert svc is not None  # just saved and taken up
    return {
        "code": svc.code,
        "prefix": svc.prefix,
        "name": svc.name,
        "name_en": svc.name_en,
        "daily_cap": svc.daily_cap,
        "target_wait_s": svc.target_wait_min * 60,
        "enabled": svc.enabled,
    }


def _counter_out(site: str, number: int) -> dict[str, Any]:
    site_cfg = ctx().config.site(site)
    c = site_cfg.counter(number) if site_cfg else None
    assert c is not None
    return {"number": c.number, "name": c.name, "services": list(c.services)}


ERRORS = (401, 403, 404, 422)


@endpoint(
    "/sites/<site>/services",
    "POST",
    summary="Add a service (admin); offered by listings and kiosks at once",
    who=("staff",),
    body=ServiceIn,
    response=ServiceSaved,
    status=201,
    errors=ERRORS,
)
def add_service(caller: Caller, site: str, body: ServiceIn) -> Any:
    values = body.model_dump(exclude_none=True)
    ctx().run(site_setup.add_service, _admin(caller), site, values)
    return jsonify(_service_out(site, body.code)), 201


@endpoint(
    "/sites/<site>/services/<service>",
    "PATCH",
    summary="Change a service (admin): name, name_en, daily_cap (null: none), target_wait_s, "
    "enabled; at once",
    who=("staff",),
    body=ServicePatch,
    response=ServiceSaved,
    errors=ERRORS,
)
def change_service(caller: Caller, site: str, service: str, body: ServicePatch) -> Any:
    values = {k: getattr(body, k) for k in body.model_fields_set}
    if values.get("enabled", True) is None or values.get("name", "x") is None:
        raise InvalidInput("Giá trị null không hợp lệ.", en="null is not allowed here.")
    ctx().run(site_setup.update_service, _admin(caller), site, service, values)
    return jsonify(_service_out(site, service))


@endpoint(
    "/sites/<site>/counters",
    "POST",
    summary="Add a counter with the services it calls, in calling order (admin)",
    who=("staff",),
    body=CounterIn,
    response=CounterSaved,
    status=201,
    errors=ERRORS,
)
def add_counter(caller: Caller, site: str, body: CounterIn) -> Any:
    ctx().run(site_setup.add_counter, _admin(caller), site, body.model_dump())
    return jsonify(_counter_out(site, body.number)), 201


@endpoint(
    "/sites/<site>/counters/<int:counter>",
    "PATCH",
    summary="Change a counter's name or services (admin); at once",
    who=("staff",),
    body=CounterPatch,
    response=CounterSaved,
    errors=ERRORS,
)
def change_counter(caller: Caller, site: str, counter: int, body: CounterPatch) -> Any:
    values = {k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None}
    ctx().run(site_setup.update_counter, _admin(caller), site, counter, values)
    return jsonify(_counter_out(site, counter))


@endpoint(
    "/audit",
    "GET",
    summary="The audit log, newest first (admin): every admin change, import, user and device "
    "change, sign-in failure",
    who=("staff",),
    response=list[AuditOut],
    errors=(401, 403, 422),
    query=("since", "limit"),
)
def audit_log(caller: Caller) -> Any:
    actor = _admin(caller)
    app = ctx()
    since = _since()
    limit = _limit()
    with app.db.read() as s:
        f = auditlog.Filters(source="audit", site=actor.site, since=since)
        rows = auditlog.read_log(s, app.clock, f, limit=limit)
    return jsonify(
        [
            {
                "at": local(app.clock, r.at).isoformat(),
                "user": r.user or r.device,
                "action": r.action,
                "target": r.details.get("target") or _target(r.site, r.counter, r.ticket_number),
                "detail": {k: v for k, v in r.details.items() if k != "target"},
            }
            for r in rows
        ]
    )


def _target(site: str | None, counter: int | None, ticket: str | None) -> str | None:
    parts = [p for p in (site, f"counters/{counter}" if counter else None, ticket) if p]
    return "/".join(parts) or None


def _since() -> Any:
    raw = request.args.get("since")
    if raw is None:
        return None
    since = parse_datetime(raw)
    if since is None:
        raise InvalidInput(
            "Tham số 'since' phải là thời điểm ISO 8601.",
            en="'since' must be an ISO 8601 instant.",
            field="since",
        )
    return since


def _limit() -> int:
    raw = request.args.get("limit", "100")
    if not (raw.isascii() and raw.isdigit() and 1 <= len(raw) <= 4 and 1 <= int(raw) <= 1000):
        raise InvalidInput(
            "Tham số 'limit' phải từ 1 đến 1000.", en="'limit' must be 1 to 1000.", field="limit"
        )
    return int(raw)
