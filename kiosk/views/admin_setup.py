"""``/admin`` pages that change the configuration: sites with their services and counters,
every configuration document (displays, kiosks, texts, rating scale, holidays, ...) and the
procedure catalogue. Each form goes through the same use cases as the API; a refused change
re-shows the form with what was typed and the field marked."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import abort, g, redirect, render_template, request, url_for

from kiosk.config import Site
from kiosk.domain import access, configuration, site_setup
from kiosk.domain.clock import local
from kiosk.domain.errors import DomainError, InvalidInput
from kiosk.services import ctx
from kiosk.views.accounts import staff_page
from kiosk.views.admin import bp
from kiosk.web import lang

_FIELD_IN_MESSAGE = re.compile(r"\.(\w+)(?:\[\d+\])?: ")


def site_or_404(code: str) -> Site:
    site = ctx().config.site(code)
    if site is None or (g.user.site is not None and g.user.site != code):
        abort(404)
    return site


def actor() -> Any:
    return access.actor_of(g.user, request.remote_addr)


def _problem(exc: DomainError) -> tuple[str, str | None]:
    """The message in the page's language and the field it names (to mark it)."""
    message = exc.en if lang() == "en" and exc.en else exc.message
    field = exc.extra.get("field")
    if field is None:
        found = _FIELD_IN_MESSAGE.findall(message)
        field = found[-1] if found else None
    return message, field


def form_text(name: str, limit: int = 200) -> str:
    return (request.form.get(name) or "").strip()[:limit]


def form_int(name: str, label: str, *, optional: bool = True) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw and optional:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
        raise InvalidInput(
            f"{label}: phải là số nguyên dương.", en=f"{label}: a whole number.", field=name
        )
    return int(raw)


def form_page(
    template: str,
    form: dict[str, Any],
    submit: Callable[[dict[str, Any]], str | None],
    tab: str = "sites",
    **context: Any,
) -> Any:
    """The one handler of every /admin form. GET shows ``form`` (the stored values); POST calls
    ``submit(form)``, which copies what was typed into ``form``, parses it, runs one use case
    and returns where to go next (None: show the form again, e.g. a preview). A refused
    change shows the form again (422) with what was typed, the message in the page's language
    and the field it names marked."""
    problem, field = None, None
    if request.method == "POST":
        try:
            target = submit(form)
            if target is not None:
                return redirect(target)
        except DomainError as exc:
            problem, field = _problem(exc)
    page = render_template(
        template, nav="admin", tab=tab, form=form, problem=problem, field=field, **context
    )
    return page, (422 if problem else 200)


def parse_hours(text: str) -> dict[str, list[str]] | None:
    """``mon-fri: 07:30-11:30, 13:30-17:00`` one line per days → the files' mapping; empty:
    None (the site's hours). The configuration's validators check days and times."""
    hours: dict[str, list[str]] = {}
    for line in text.replace(";", "\n").splitlines():
        if not line.strip():
            continue
        days, sep, spans = line.partition(":")
        if not sep or not days.strip():
            example = "'mon-fri: 07:30-11:30, 13:30-17:00'"
            raise InvalidInput(
                f"Giờ làm việc: dòng {line.strip()!r} cần dạng {example}.",
                en=f"Hours: line {line.strip()!r} needs the form {example}.",
                field="hours",
            )
        hours[days.strip().lower()] = [s.strip() for s in spans.split(",") if s.strip()]
    return hours or None


def hours_text(hours: Any) -> str:
    if not hours:
        return ""
    return "\n".join(f"{days}: {', '.join(spans)}" for days, spans in hours.items())


@bp.get("/admin/sites")
@staff_page("admin")
def sites() -> Any:
    shown = [s for s in ctx().config.sites if g.user.site in (None, s.code)]
    return render_template("admin/sites.html", nav="admin", tab="sites", sites=shown)


@bp.get("/admin/sites/<site>")
@staff_page("admin")
def site_page(site: str) -> Any:
    site_cfg = site_or_404(site)
    app = ctx()
    with app.db.read() as s:
        path, _ = configuration.site_document(configuration.read_documents(s), site)
    return render_template(
        "admin/site.html",
        nav="admin",
        tab="sites",
        site=site_cfg,
        path=path,
        policy=app.config.policy_for(site_cfg),
    )


# --- services ---------------------------------------------------------------------------------


def _service_form(site: str, code: str | None) -> dict[str, Any]:
    with ctx().db.read() as s:
        _, data = configuration.site_document(configuration.read_documents(s), site)
    entry: dict[str, Any] = next((e for e in data.get("services", []) if e.get("code") == code), {})
    return {
        "code": entry.get("code", ""),
        "prefix": entry.get("prefix", ""),
        "name": entry.get("name", ""),
        "name_en": entry.get("name_en", ""),
        "hours": hours_text(entry.get("hours")),
        "daily_cap": entry.get("daily_cap") or "",
        "target_wait_min": entry.get("target_wait_min", 20),
        "same_day": bool(entry.get("same_day")),
        "enabled": entry.get("enabled", True),
    }


def _service_values(new: bool) -> dict[str, Any]:
    f = request.form
    wait = form_int("target_wait_min", "Thời gian chờ mục tiêu", optional=False)
    values: dict[str, Any] = {
        "prefix": (f.get("prefix") or "").strip().upper()[:2],
        "name": (f.get("name") or "").strip()[:120],
        "name_en": (f.get("name_en") or "").strip()[:120],
        "daily_cap": form_int("daily_cap", "Giới hạn số phiếu/ngày"),
        "target_wait_s": (wait or 0) * 60,
        "hours": parse_hours(f.get("hours") or ""),
        "same_day": f.get("same_day") == "on" or None,
        "enabled": f.get("enabled") == "on",
    }
    if new:
        values["code"] = (f.get("code") or "").strip().lower()[:32]
    return values


@bp.route("/admin/sites/<site>/services/new", methods=["GET", "POST"])
@bp.route("/admin/sites/<site>/services/<code>", methods=["GET", "POST"])
@staff_page("admin")
def service_form(site: str, code: str | None = None) -> Any:
    site_cfg = site_or_404(site)
    if code is not None and site_cfg.service(code) is None:
        abort(404)

    def submit(form: dict[str, Any]) -> str:
        form.update(request.form.to_dict())
        form["same_day"] = request.form.get("same_day") == "on"
        form["enabled"] = request.form.get("enabled") == "on"
        values = _service_values(new=code is None)
        if code is None:
            ctx().run(site_setup.add_service, actor(), site, values)
        else:
            ctx().run(site_setup.update_service, actor(), site, code, values)
        return url_for("admin.site_page", site=site, saved=values.get("code", code))

    return form_page(
        "admin/service_form.html", _service_form(site, code), submit, site=site_cfg, code=code
    )


# --- counters ---------------------------------------------------------------------------------


def _counter_services(site_cfg: Site) -> list[str]:
    """The services ticked on the form, in the order typed beside them."""
    chosen: list[tuple[int, int, str]] = []
    for i, svc in enumerate(site_cfg.services):
        raw = (request.form.get(f"order_{svc.code}") or "").strip()
        if request.form.get(f"serve_{svc.code}") != "on":
            continue
        order = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 3 else 999
        chosen.append((order, i, svc.code))
    return [code for _, _, code in sorted(chosen)]


@bp.route("/admin/sites/<site>/counters/new", methods=["GET", "POST"])
@bp.route("/admin/sites/<site>/counters/<int:number>", methods=["GET", "POST"])
@staff_page("admin")
def counter_form(site: str, number: int | None = None) -> Any:
    site_cfg = site_or_404(site)
    counter = site_cfg.counter(number) if number is not None else None
    if number is not None and counter is None:
        abort(404)

    def submit(form: dict[str, Any]) -> str:
        form["name"] = (request.form.get("name") or "").strip()[:120]
        form["services"] = _counter_services(site_cfg)
        values = {"name": form["name"], "services": form["services"]}
        if not form["name"]:
            raise InvalidInput(
                "Tên quầy không được để trống.", en="Name is required.", field="name"
            )
        if number is None:
            form["number"] = request.form.get("number", "")
            values["number"] = form_int("number", "Số quầy", optional=False)
            ctx().run(site_setup.add_counter, actor(), site, values)
        else:
            ctx().run(site_setup.update_counter, actor(), site, number, values)
        return url_for("admin.site_page", site=site)

    form: dict[str, Any] = {
        "number": number or "",
        "name": counter.name if counter else "",
        "services": list(counter.services) if counter else [],
    }
    return form_page("admin/counter_form.html", form, submit, site=site_cfg, number=number)


# --- every document, as YAML ------------------------------------------------------------------


@bp.get("/admin/config")
@staff_page("admin")
def documents() -> Any:
    app = ctx()
    with app.db.read() as s:
        docs = configuration.read_documents(s)
        history = configuration.history(s)
    return render_template(
        "admin/documents.html",
        nav="admin",
        tab="config",
        docs=sorted(docs, key=lambda p: (p != "motcua.yaml", p)),
        history=history,
        version=app.config_version,
        local=lambda at: local(app.clock, at),
    )


@bp.route("/admin/config/<path:path>", methods=["GET", "POST"])
@staff_page("admin")
def document(path: str) -> Any:
    if g.user.site is not None:
        abort(403)  # a document may hold every site
    app = ctx()
    with app.db.read() as s:
        docs = configuration.read_documents(s)
    if path not in docs:
        abort(404)

    def submit(form: dict[str, Any]) -> str:
        form["body"] = (request.form.get("body") or "").replace("\r\n", "\n")
        app.run(site_setup.replace_document, actor(), path, form["body"])
        return url_for("admin.documents", saved=path)

    return form_page("admin/document.html", {"body": docs[path]}, submit, "config", path=path)
