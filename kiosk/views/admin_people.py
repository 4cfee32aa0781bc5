"""``/admin/users`` and ``/admin/devices`` forms: add users and change roles; add, rename and
revoke devices; a single-use enrollment link shown once for the browser that becomes the
device."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from kiosk.domain import people
from kiosk.domain.clock import local
from kiosk.domain.errors import DomainError
from kiosk.services import ctx
from kiosk.views.accounts import staff_page
from kiosk.views.admin import bp
from kiosk.views.admin_setup import actor, form_text
from kiosk.web import lang


def _number(name: str) -> int | None:
    raw = form_text(name, 6)
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _again(view: str, exc: DomainError, **kwargs: Any) -> Any:
    problem = exc.en if lang() == "en" and exc.en else exc.message
    return redirect(url_for(view, problem=problem[:300], **kwargs))


@bp.post("/admin/users")
@staff_page("admin")
def add_user() -> Any:
    try:
        ctx().run(
            people.add_user,
            actor(),
            form_text("username", 64),
            form_text("role", 16),
            request.form.get("password") or "",
            form_text("site", 32) or None,
        )
    except DomainError as exc:
        return _again("admin.users", exc)
    return redirect(url_for("admin.users", saved=form_text("username", 64)))


@bp.post("/admin/users/<name>/role")
@staff_page("admin")
def set_role(name: str) -> Any:
    try:
        ctx().run(people.set_role, actor(), name, form_text("role", 16))
    except DomainError as exc:
        return _again("admin.users", exc)
    return redirect(url_for("admin.users", saved=name))


def _link_page(link: Any, name: str) -> Any:
    app = ctx()
    base = (app.settings.public_url or request.host_url).rstrip("/")
    return render_template(
        "admin/device_link.html",
        nav="admin",
        tab="devices",
        name=name,
        link=f"{base}/enroll?code={link.secret}" if link else None,
        until=local(app.clock, link.expires_at) if link and link.expires_at else None,
    )


@bp.post("/admin/devices")
@staff_page("admin")
def add_device() -> Any:
    name = form_text("name", 64)
    try:
        link = ctx().run(
            people.add_device,
            actor(),
            name,
            form_text("kind", 16),
            form_text("site", 32),
            _number("display"),
            _number("counter"),
        )
    except DomainError as exc:
        return _again("admin.devices", exc)
    return _link_page(link, name)


@bp.post("/admin/devices/<name>/link")
@staff_page("admin")
def device_link(name: str) -> Any:
    try:
        link = ctx().run(people.issue_link, actor(), name)
    except DomainError as exc:
        return _again("admin.devices", exc)
    return _link_page(link, name)


@bp.post("/admin/devices/<name>/rename")
@staff_page("admin")
def rename_device(name: str) -> Any:
    try:
        new = ctx().run(people.rename_device, actor(), name, form_text("new_name", 64))
    except DomainError as exc:
        return _again("admin.devices", exc)
    return redirect(url_for("admin.devices", saved=new))


@bp.post("/admin/devices/<name>/revoke")
@staff_page("admin")
def revoke_device(name: str) -> Any:
    try:
        ctx().run(people.revoke_device, actor(), name)
    except DomainError as exc:
        return _again("admin.devices", exc)
    return redirect(url_for("admin.devices", saved=name))
