"""Admins manage users and devices from /admin: add a user, change a role, add, rename and
revoke devices and hand out single-use enrollment links. Each act is audit-logged; a change
that takes rights away drops cached credentials in every process when it commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.config import Config
from kiosk.domain import accounts, devices
from kiosk.domain.clock import Clock
from kiosk.domain.errors import Conflict, Forbidden, InvalidInput
from kiosk.domain.events import CredentialsRevoked
from kiosk.domain.tickets import Actor, audit, check_site
from kiosk.models import Device


def _admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("Chỉ quản trị viên.", en="Admins only.")


def add_user(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    name: str,
    role: str,
    password: str,
    site: str | None,
) -> tuple[str, list[Any]]:
    """Raises InvalidInput (name, role, short password), NotFound (site), Conflict (taken)."""
    _admin(actor)
    if site is not None or actor.site is not None:
        check_site(actor, site or "")
    user = accounts.add_user(s, cfg, clock.now(), name, role, password, site)
    audit(s, "user_added", clock.now(), actor, site=site, username=name, role=role)
    return user.username, []


def set_role(
    s: Session, cfg: Config, clock: Clock, actor: Actor, name: str, role: str
) -> tuple[str, list[Any]]:
    """Give ``name`` another role, at once (cached credentials are dropped). Raises
    InvalidInput (unknown role, one's own role), NotFound."""
    _admin(actor)
    if role not in accounts.ROLES:
        raise InvalidInput(
            f"Vai trò {role!r} không có.", en=f"Unknown role {role!r}.", field="role"
        )
    user = accounts.find_user(s, name)
    if user.site is not None or actor.site is not None:
        check_site(actor, user.site or "")
    if user.id == actor.user_id:
        raise InvalidInput(
            "Không thể tự đổi vai trò của mình.",
            en="You cannot change your own role.",
            field="role",
        )
    old, user.role = user.role, role
    audit(
        s,
        "user_role_changed",
        clock.now(),
        actor,
        site=user.site,
        username=name,
        old=old,
        role=role,
    )
    return role, [CredentialsRevoked(user_id=user.id)]  # cached principals carry the role


def add_device(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    name: str,
    kind: str,
    site: str,
    display: int | None,
    counter: int | None,
) -> tuple[devices.LinkIssued | None, list[Any]]:
    """Register a device and, unless it is a printer, issue its single-use enrollment link
    (returned; None for a printer, whose agent uses ``motcua device add``'s token)."""
    _admin(actor)
    check_site(actor, site)
    accounts.add_device(s, cfg, clock.now(), name, kind, site, display, counter)
    audit(s, "device_added", clock.now(), actor, site=site, device=name, kind=kind)
    if kind == "printer":
        return None, []
    return devices.issue_link(s, cfg, clock.now(), name, actor), []


def issue_link(
    s: Session, cfg: Config, clock: Clock, actor: Actor, name: str
) -> tuple[devices.LinkIssued, list[Any]]:
    _admin(actor)
    check_site(actor, devices.find_device(s, name).site)
    return devices.issue_link(s, cfg, clock.now(), name, actor), []


def rename_device(
    s: Session, cfg: Config, clock: Clock, actor: Actor, name: str, new_name: str
) -> tuple[str, list[Any]]:
    """Raises InvalidInput (bad name), Conflict (taken), NotFound."""
    _admin(actor)
    device = devices.find_device(s, name)
    check_site(actor, device.site)
    new_name = accounts._check_name(new_name.strip(), "device")
    if new_name != name and s.scalar(select(Device.id).where(Device.name == new_name)):
        raise Conflict(f"Đã có thiết bị {new_name!r}.", en=f"Device {new_name!r} exists.")
    device.name = new_name
    audit(s, "device_renamed", clock.now(), actor, site=device.site, device=new_name, old=name)
    return new_name, [CredentialsRevoked(device_id=device.id)]  # cached principals carry the name


def revoke_device(
    s: Session, cfg: Config, clock: Clock, actor: Actor, name: str
) -> tuple[devices.Revoked, list[Any]]:
    _admin(actor)
    check_site(actor, devices.find_device(s, name).site)
    return devices.revoke_device(s, cfg, clock.now(), name, actor)
