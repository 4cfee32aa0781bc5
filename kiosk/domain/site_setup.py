"""Admins' changes to a site's services and counters (the API and /admin share them).

Each use case edits the site's document, then :func:`kiosk.domain.configuration.save`
validates the whole configuration and stores it as the next version with an audit entry.
The common mistakes get their own message in both languages; anything else the validators
find is reported with file, entry and field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from kiosk.config import Config
from kiosk.domain import configuration as conf
from kiosk.domain.clock import Clock
from kiosk.domain.errors import InvalidInput, NotFound
from kiosk.domain.tickets import Actor, check_site

T = TypeVar("T")
Documents = conf.Documents

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


def edit(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    find: Callable[[Documents], tuple[str, dict[str, Any]]],
    change: Callable[[dict[str, Any]], T],
    action: str,
    **detail: Any,
) -> tuple[T, list[Any]]:
    """The one path of every form and API change to a configuration document: lock, read the
    live documents, let ``find`` pick one (its path and parsed content), let ``change`` edit that
    content in place (raising InvalidInput or NotFound to refuse) and return what to answer,
    then validate the whole configuration and store it with an audit entry ``action``."""
    conf.lock(s)
    docs = conf.read_documents(s)
    path, data = find(docs)
    result = change(data)
    _, event = conf.save(
        s, clock.now(), actor, conf.with_document(docs, path, data), cfg.folder, action, **detail
    )
    return result, [event]


def edit_site(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    site: str,
    change: Callable[[dict[str, Any]], T],
    action: str,
    **detail: Any,
) -> tuple[T, list[Any]]:
    """:func:`edit` on ``site``'s document, for an actor allowed there."""
    check_site(actor, site)
    return edit(
        s, cfg, clock, actor, lambda docs: conf.site_document(docs, site), change, action,
        site=site, **detail,
    )  # fmt: skip


def entry(data: dict[str, Any], kind: str, key: str, value: Any) -> dict[str, Any]:
    """The entry of list ``kind`` (services, counters, displays, kiosks) whose ``key`` is
    ``value``; raises NotFound."""
    found: dict[str, Any] | None = next(
        (e for e in data.get(kind) or [] if e.get(key) == value), None
    )
    if found is None:
        what = {
            "services": "dịch vụ",
            "counters": "quầy",
            "displays": "màn hình",
            "kiosks": "máy lấy số",
        }.get(kind, kind)
        raise NotFound(f"Không có {what} {value!r}.", en=f"No {kind} entry {value!r}.", what=kind)
    return found


def _taken_prefix(services: list[dict[str, Any]], prefix: Any, entry: Any = None) -> None:
    if prefix and any(e.get("prefix") == prefix and e is not entry for e in services):
        raise _invalid(
            "prefix",
            f"Chữ cái đầu số {prefix!r} đã dùng cho dịch vụ khác.",
            f"Prefix {prefix!r} is used by another service.",
        )


def add_service(
    s: Session, cfg: Config, clock: Clock, actor: Actor, site: str, values: dict[str, Any]
) -> tuple[dict[str, Any], list[Any]]:
    """Add a service to ``site``: ``values`` has code, prefix, name and optionally name_en,
    daily_cap, target_wait_s, hours, enabled. Raises InvalidInput (taken code or prefix,
    negative cap), NotFound (site), ConfigInvalid (anything else the validators refuse)."""
    code = values["code"]

    def change(data: dict[str, Any]) -> dict[str, Any]:
        _check_service_values(values)
        services = data.setdefault("services", [])
        if any(e.get("code") == code for e in services):
            raise _invalid(
                "code",
                f"Mã dịch vụ {code!r} đã có tại {site}.",
                f"Service code {code!r} is taken at {site}.",
            )
        _taken_prefix(services, values["prefix"])
        added: dict[str, Any] = {"code": code, "prefix": values["prefix"]}
        _apply_service(added, {k: v for k, v in values.items() if k not in ("code", "prefix")})
        services.append(added)
        return added

    return edit_site(
        s, cfg, clock, actor, site, change, "service_added", target=f"{site}/services/{code}"
    )


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

    def change(data: dict[str, Any]) -> dict[str, Any]:
        _check_service_values(values)
        found = entry(data, "services", "code", code)
        _taken_prefix(data.get("services") or [], values.get("prefix"), found)
        _apply_service(found, values)
        return found

    return edit_site(
        s, cfg, clock, actor, site, change, "service_changed",
        target=f"{site}/services/{code}", fields=sorted(values),
    )  # fmt: skip


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
    number = values["number"]

    def change(data: dict[str, Any]) -> dict[str, Any]:
        counters = data.setdefault("counters", [])
        if any(e.get("number") == number for e in counters):
            raise _invalid(
                "number", f"Quầy số {number} đã có.", f"Counter {number} already exists."
            )
        _check_counter_services(data, values["services"])
        added = {"number": number, "name": values["name"], "services": values["services"]}
        counters.append(added)
        return added

    return edit_site(
        s, cfg, clock, actor, site, change, "counter_added",
        counter=number, target=f"{site}/counters/{number}",
    )  # fmt: skip


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

    def change(data: dict[str, Any]) -> dict[str, Any]:
        found = entry(data, "counters", "number", number)
        _check_counter_services(data, values.get("services"))
        found.update({k: values[k] for k in COUNTER_FIELDS if values.get(k) is not None})
        return found

    return edit_site(
        s, cfg, clock, actor, site, change, "counter_changed",
        counter=number, target=f"{site}/counters/{number}", fields=sorted(values),
    )  # fmt: skip


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
