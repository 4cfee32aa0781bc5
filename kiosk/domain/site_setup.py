"""Admins' changes to a site's services and counters (the API and /admin share them).

Each use case edits the site's document, then :func:`kiosk.domain.configuration.save`
validates the whole configuration and stores it as the next version with an audit entry.
The common mistakes get their own message in both languages; anything else the validators
find is reported with file, entry and field.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kiosk.config import Config
from kiosk.domain import configuration as conf
from kiosk.domain.clock import Clock
from kiosk.domain.errors import InvalidInput, NotFound
from kiosk.domain.tickets import Actor, check_site

SERVICE_FIELDS = ("name", "name_en", "daily_cap", "target_wait_s", "enabled")
COUNTER_FIELDS = ("name", "services")


def _invalid(field: str, vi: str, en: str) -> InvalidInput:
    return InvalidInput(vi, en=en, field=field)


def _check_service_values(values: dict[str, Any]) -> None:
    cap = values.get("daily_cap")
    if cap is not None and cap < 1:
        raise _invalid(
            "daily_cap",
            "Giới hạn số phiếu mỗi ngày phải là số dương (để trống: không giới hạn).",
            "The daily cap must be positive (leave it empty for no cap).",
        )
    wait = values.get("target_wait_s")
    if wait is not None and wait < 60:
        raise _invalid(
            "target_wait_s",
            "Thời gian chờ mục tiêu phải từ 60 giây trở lên.",
            "The target wait must be at least 60 seconds.",
        )
    for key in ("name", "code", "prefix"):
        if key in values and not str(values[key] or "").strip():
            raise _invalid(key, f"Trường '{key}' không được để trống.", f"'{key}' is required.")


def _apply_service(entry: dict[str, Any], values: dict[str, Any]) -> None:
    for key, value in values.items():
        if key == "target_wait_s":
            if value is None:
                entry.pop("target_wait_min", None)  # the default
            else:
                entry["target_wait_min"] = max(1, round(value / 60))
        elif value is None or (key == "name_en" and value == ""):
            entry.pop(key, None)
        elif key == "enabled" and value is True:
            entry.pop("enabled", None)  # the default: files stay as they were written
        else:
            entry[key] = value


def add_service(
    s: Session, cfg: Config, clock: Clock, actor: Actor, site: str, values: dict[str, Any]
) -> tuple[dict[str, Any], list[Any]]:
    """Add a service to ``site``: ``values`` has code, prefix, name and optionally name_en,
    daily_cap, target_wait_s, hours, enabled. Raises InvalidInput (taken code or prefix,
    negative cap), NotFound (site), ConfigInvalid (anything else the validators refuse)."""
    check_site(actor, site)
    _check_service_values(values)
    conf.lock(s)
    docs = conf.read_documents(s)
    path, data = conf.site_document(docs, site)
    services = data.setdefault("services", [])
    if any(e.get("code") == values["code"] for e in services):
        raise _invalid(
            "code",
            f"Mã dịch vụ {values['code']!r} đã có tại {site}.",
            f"Service code {values['code']!r} is taken at {site}.",
        )
    if any(e.get("prefix") == values["prefix"] for e in services):
        raise _invalid(
            "prefix",
            f"Chữ cái đầu số {values['prefix']!r} đã dùng cho dịch vụ khác.",
            f"Prefix {values['prefix']!r} is used by another service.",
        )
    entry: dict[str, Any] = {"code": values["code"], "prefix": values["prefix"]}
    _apply_service(entry, {k: v for k, v in values.items() if k not in ("code", "prefix")})
    services.append(entry)
    _, event = conf.save(
        s,
        clock.now(),
        actor,
        conf.with_document(docs, path, data),
        cfg.folder,
        "service_added",
        site=site,
        target=f"{site}/services/{values['code']}",
    )
    return entry, [event]


def update_service(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    site: str,
    code: str,
    values: dict[str, Any],
) -> tuple[dict[str, Any], list[Any]]:
    """Change a service's fields (any of :data:`SERVICE_FIELDS`, or hours, prefix); raises
    NotFound, InvalidInput, ConfigInvalid."""
    check_site(actor, site)
    _check_service_values(values)
    conf.lock(s)
    docs = conf.read_documents(s)
    path, data = conf.site_document(docs, site)
    entry = next((e for e in data.get("services", []) if e.get("code") == code), None)
    if entry is None:
        raise NotFound(f"Không có dịch vụ {code!r} tại {site}.", en=f"No service {code!r}.")
    prefix = values.get("prefix")
    if prefix and any(
        e.get("prefix") == prefix and e is not entry for e in data.get("services", [])
    ):
        raise _invalid(
            "prefix",
            f"Chữ cái đầu số {prefix!r} đã dùng cho dịch vụ khác.",
            f"Prefix {prefix!r} is used by another service.",
        )
    _apply_service(entry, values)
    _, event = conf.save(
        s,
        clock.now(),
        actor,
        conf.with_document(docs, path, data),
        cfg.folder,
        "service_changed",
        site=site,
        target=f"{site}/services/{code}",
        fields=sorted(values),
    )
    return entry, [event]


def _check_counter_services(data: dict[str, Any], services: list[str] | None) -> None:
    if services is None:
        return
    if not services:
        raise _invalid(
            "services",
            "Quầy phải phục vụ ít nhất một dịch vụ.",
            "A counter serves at least one service.",
        )
    known = {e.get("code") for e in data.get("services", [])}
    for code in services:
        if code not in known:
            raise _invalid(
                "services",
                f"Không có dịch vụ {code!r} tại điểm này.",
                f"Unknown service {code!r} at this site.",
            )
    if len(set(services)) != len(services):
        raise _invalid("services", "Một dịch vụ được ghi hai lần.", "A service is listed twice.")


def add_counter(
    s: Session, cfg: Config, clock: Clock, actor: Actor, site: str, values: dict[str, Any]
) -> tuple[dict[str, Any], list[Any]]:
    """Add counter ``values["number"]`` with its name and services in calling order; raises
    InvalidInput (taken number, unknown service), NotFound, ConfigInvalid."""
    check_site(actor, site)
    conf.lock(s)
    docs = conf.read_documents(s)
    path, data = conf.site_document(docs, site)
    counters = data.setdefault("counters", [])
    if any(e.get("number") == values["number"] for e in counters):
        raise _invalid(
            "number",
            f"Quầy số {values['number']} đã có.",
            f"Counter {values['number']} already exists.",
        )
    _check_counter_services(data, values["services"])
    entry = {"number": values["number"], "name": values["name"], "services": values["services"]}
    counters.append(entry)
    _, event = conf.save(
        s,
        clock.now(),
        actor,
        conf.with_document(docs, path, data),
        cfg.folder,
        "counter_added",
        site=site,
        counter=values["number"],
        target=f"{site}/counters/{values['number']}",
    )
    return entry, [event]


def update_counter(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    site: str,
    number: int,
    values: dict[str, Any],
) -> tuple[dict[str, Any], list[Any]]:
    """Change a counter's name or services (in calling order); raises NotFound, InvalidInput,
    ConfigInvalid."""
    check_site(actor, site)
    conf.lock(s)
    docs = conf.read_documents(s)
    path, data = conf.site_document(docs, site)
    entry = next((e for e in data.get("counters", []) if e.get("number") == number), None)
    if entry is None:
        raise NotFound(f"Không có quầy số {number} tại {site}.", en=f"No counter {number}.")
    _check_counter_services(data, values.get("services"))
    for key in COUNTER_FIELDS:
        if values.get(key) is not None:
            entry[key] = values[key]
    _, event = conf.save(
        s,
        clock.now(),
        actor,
        conf.with_document(docs, path, data),
        cfg.folder,
        "counter_changed",
        site=site,
        counter=number,
        target=f"{site}/counters/{number}",
        fields=sorted(values),
    )
    return entry, [event]


def replace_all(
    s: Session, cfg: Config, clock: Clock, actor: Actor, docs: dict[str, str], source: str
) -> tuple[int, list[Any]]:
    """Replace the whole live configuration by ``docs`` (an import); raises ConfigInvalid."""
    _, event = conf.save(s, clock.now(), actor, docs, cfg.folder, "config_imported", target=source)
    return event.version, [event]


def replace_document(
    s: Session, cfg: Config, clock: Clock, actor: Actor, path: str, body: str
) -> tuple[int, list[Any]]:
    """Replace one document (the raw editor of /admin); raises NotFound, ConfigInvalid."""
    conf.lock(s)
    docs = conf.read_documents(s)
    if path not in docs:
        raise NotFound(f"Không có tệp {path!r}.", en=f"No document {path!r}.")
    docs[path] = body
    _, event = conf.save(s, clock.now(), actor, docs, cfg.folder, "config_edited", target=path)
    return event.version, [event]
