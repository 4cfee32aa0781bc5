"""``/admin`` forms for what used to need the raw configuration editor: a display (counters
shown, notice, layout, volume), a kiosk's printer, the rating scale and reasons, the ticket
header lines and the announcement templates. Each goes through :func:`form_page` and one use
case of :mod:`kiosk.domain.settings_setup`; kiosks, displays and consoles take the change up at
once (the ``config`` push)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import abort, g, request, url_for

from display.announce import AnnouncementTemplate, announcement_text, spoken_words
from kiosk.config import Site
from kiosk.domain import settings_setup
from kiosk.domain.errors import InvalidInput
from kiosk.printing.routing import AGENT, spec_for
from kiosk.services import ctx
from kiosk.views.accounts import staff_page
from kiosk.views.admin import bp
from kiosk.views.admin_setup import actor, form_int, form_page, form_text, site_or_404

PRINTER_KINDS = ("none", "spool", "network", "usb", "serial", "file", "cups", "agent")
PRINTER_MODES = ("", "full", "compact")
LEVELS = (5, 4, 3, 2, 1)  # the rating form's rows, best first
REASON_ROWS_FREE = 2  # empty rows offered for new reasons
SAMPLE = ("A012", 3)  # the call the announcement form previews


# --- displays ---------------------------------------------------------------------------------


@bp.route("/admin/sites/<site>/displays/<int:display_id>", methods=["GET", "POST"])
@staff_page("admin")
def display_form(site: str, display_id: int) -> Any:
    site_cfg, display = site_entry_or_404(site, "displays", "id", display_id)

    def submit(form: dict[str, Any]) -> str:
        ticked = [c.number for c in site_cfg.counters if request.form.get(f"show_{c.number}")]
        shown = list(display.counters)
        form.update(
            name=form_text("name", 120),
            notice=form_text("notice", settings_setup.MAX_NOTICE + 1),
            layout=form_text("layout", 16),
            volume=form_text("volume", 8),
            # The board keeps its order; newly ticked counters come after, in the site's order.
            counters=sorted(ticked, key=lambda n: shown.index(n) if n in shown else len(shown)),
        )
        volume = form_int("volume", "Âm lượng (%)")
        values = {k: form[k] for k in ("name", "notice", "layout", "counters")}
        values["volume"] = None if volume is None else volume / 100
        ctx().run(settings_setup.update_display, actor(), site, display_id, values)
        return url_for("admin.site_page", site=site, saved=f"display-{display_id}")

    form = {
        "name": display.name,
        "counters": list(display.counters),
        "notice": display.notice,
        "layout": display.layout,
        "volume": "" if display.volume is None else round(display.volume * 100),
    }
    return form_page("admin/display_form.html", form, submit, site=site_cfg, display=display)


# --- kiosks and their printers ----------------------------------------------------------------


def printer_fields(uri: str) -> dict[str, str]:
    """A printer setting as the form's fields: kind, target, profile, mode, other options."""
    head, _, query = uri.partition("?")
    kind, _, target = head.partition(":")
    options = dict(parse_qsl(query))
    return {
        "kind": kind if kind in PRINTER_KINDS or kind == "dummy" else "none",
        "target": target,
        "profile": options.pop("profile", ""),
        "mode": options.pop("mode", ""),
        "options": urlencode(options),
    }


def printer_uri(fields: dict[str, str]) -> str:
    """The printer setting the form describes; raises InvalidInput naming the field."""
    kind = fields["kind"]
    if kind == "none":
        return "none"
    if kind not in PRINTER_KINDS and kind != "dummy":
        raise InvalidInput("Loại máy in không hợp lệ.", en="Unknown printer kind.", field="kind")
    if kind != "dummy" and not fields["target"]:
        raise InvalidInput(
            "Cần địa chỉ máy in (thư mục, máy chủ, thiết bị…).",
            en="The printer's address (folder, host, device…) is required.",
            field="target",
        )
    query = [(k, fields[k]) for k in ("profile", "mode") if fields[k]]
    try:
        query += parse_qsl(fields["options"], strict_parsing=bool(fields["options"]))
    except ValueError:
        raise InvalidInput(
            "Tùy chọn khác cần dạng khóa=giá_trị&khóa=giá_trị.",
            en="Other options take the form key=value&key=value.",
            field="options",
        ) from None
    base = kind if kind == "dummy" else f"{kind}:{fields['target']}"
    uri = base + (f"?{urlencode(query)}" if query else "")
    # The address alone first: when it passes, the options are to blame.
    for candidate in (base, uri):
        problem = _printer_problem(candidate)
        if problem:
            field = "target" if candidate == base else "options"
            raise InvalidInput(
                f"Cài đặt máy in không dùng được: {problem}",
                en=f"This printer setting cannot be used: {problem}",
                field="profile" if field == "options" and "profile" in problem else field,
            )
    if kind == "agent" and not uri[len(AGENT) :].partition("?")[0].strip():
        raise InvalidInput("Cần tên máy in.", en="The printer's name is required.", field="target")
    return uri


def _printer_problem(uri: str) -> str:
    """Why the server cannot use printer setting ``uri`` ("" when it can)."""
    try:
        spec_for(uri, ctx().settings.instance)
    except ValueError as exc:
        return str(exc)
    return ""


@bp.route("/admin/sites/<site>/kiosks/<name>", methods=["GET", "POST"])
@staff_page("admin")
def kiosk_form(site: str, name: str) -> Any:
    site_cfg, kiosk = site_entry_or_404(site, "kiosks", "name", name)

    def submit(form: dict[str, Any]) -> str:
        form.update({k: form_text(k) for k in ("kind", "target", "profile", "mode", "options")})
        uri = printer_uri(form)
        ctx().run(settings_setup.update_kiosk, actor(), site, name, uri)
        return url_for("admin.site_page", site=site, saved=f"kiosk-{name}")

    return form_page(
        "admin/kiosk_form.html",
        printer_fields(kiosk.printer),
        submit,
        site=site_cfg,
        kiosk=kiosk,
        kinds=PRINTER_KINDS,
        modes=PRINTER_MODES,
        overridden=bool(ctx().settings.printer),
    )


# --- organisation-wide settings ---------------------------------------------------------------


def site_entry_or_404(site: str, kind: str, key: str, value: Any) -> tuple[Site, Any]:
    """The site and its entry of list ``kind`` (displays, kiosks) whose ``key`` is ``value``."""
    site_cfg = site_or_404(site)
    found = next((e for e in getattr(site_cfg, kind) if getattr(e, key) == value), None)
    if found is None:
        abort(404)
    return site_cfg, found


def _all_sites() -> None:
    if g.user.site is not None:
        abort(403)  # motcua.yaml holds every site's settings


@bp.route("/admin/settings/rating", methods=["GET", "POST"])
@staff_page("admin")
def rating_form() -> Any:
    _all_sites()
    rating = ctx().config.settings.rating

    def submit(form: dict[str, Any]) -> str:
        # One row per level, 5 (best) down to 1; a scale of N levels fills levels 1..N.
        form["labels"] = {n: (form_text(f"vi_{n}", 60), form_text(f"en_{n}", 60)) for n in LEVELS}
        count = len(form["reasons"])
        form["reasons"] = [
            {k: form_text(f"reason_{k}_{i}", 80) for k in ("code", "vi", "en")}
            for i in range(count)
        ]
        form["negative_below"] = form_text("negative_below", 2)
        form["show_seconds"] = form_text("show_seconds", 4)
        filled = [n for n in LEVELS if any(form["labels"][n])]
        if filled != list(range(len(filled), 0, -1)) or not all(
            form["labels"][n][0] for n in filled
        ):
            raise InvalidInput(
                "Mỗi mức cần tên tiếng Việt, từ mức 1 lên, không bỏ trống ở giữa.",
                en="Each level needs a Vietnamese name, from level 1 up, with no gap.",
                field="labels",
            )
        labels = [form["labels"][n] for n in filled]
        values = {
            "labels": labels,
            "reasons": [r for r in form["reasons"] if any(r.values())],
            "negative_below": form_int("negative_below", "Mức chưa hài lòng", optional=False),
            "show_seconds": form_int("show_seconds", "Thời gian hiện", optional=False),
        }
        ctx().run(settings_setup.update_rating, actor(), values)
        return url_for("admin.documents", saved="rating")

    form = {
        "labels": {
            n: (lab.vi, lab.en) if (lab := rating.labels.get(n)) else ("", "") for n in LEVELS
        },
        "reasons": [{"code": r.code, "vi": r.vi, "en": r.en} for r in rating.reasons]
        + [{"code": "", "vi": "", "en": ""}] * REASON_ROWS_FREE,
        "negative_below": rating.negative_below,
        "show_seconds": rating.show_seconds,
    }
    return form_page("admin/rating_form.html", form, submit, "config")


@bp.route("/admin/settings/ticket-header", methods=["GET", "POST"])
@staff_page("admin")
def ticket_header_form() -> Any:
    _all_sites()
    org = ctx().config.settings.organisation
    rows = settings_setup.MAX_HEADER_LINES

    def submit(form: dict[str, Any]) -> str:
        form["lines"] = [form_text(f"line_{i}", 120) for i in range(rows)]
        ctx().run(settings_setup.update_ticket_header, actor(), form["lines"])
        return url_for("admin.documents", saved="ticket_header")

    lines = list(org.ticket_header)[:rows]
    form = {"lines": lines + [""] * (rows - len(lines))}
    return form_page("admin/ticket_header_form.html", form, submit, "config", org=org)


def _preview(form: dict[str, Any]) -> dict[str, str] | None:
    """What a call would show and say with the form's sentences, or None if they cannot be
    said (the use case then names the problem)."""
    try:
        tpl = AnnouncementTemplate(vi=form["vi"], en=form["en"] or None, repeat=1)
        out = {
            "vi": announcement_text(*SAMPLE, tpl, "vi"),
            "said": " · ".join(spoken_words(*SAMPLE, tpl, "vi")),
        }
        if form["en"]:
            out["en"] = announcement_text(*SAMPLE, tpl, "en")
        return out
    except (ValueError, KeyError, IndexError):
        return None


@bp.route("/admin/settings/announcement", methods=["GET", "POST"])
@staff_page("admin")
def announcement_form() -> Any:
    _all_sites()
    a = ctx().config.settings.announcement
    form: dict[str, Any] = {"vi": a.vi, "en": a.en, "repeat": a.repeat, "english": a.english}

    def submit(form: dict[str, Any]) -> str | None:
        form.update(
            vi=form_text("vi"), en=form_text("en"), english=request.form.get("english") == "on"
        )
        form["repeat"] = form_text("repeat", 2)
        form["preview"] = _preview(form)
        values = {**form, "repeat": form_int("repeat", "Số lần đọc", optional=False)}
        if request.form.get("preview"):
            return None
        ctx().run(settings_setup.update_announcement, actor(), values)
        return url_for("admin.documents", saved="announcement")

    form["preview"] = _preview(form)
    return form_page("admin/announcement_form.html", form, submit, "config", sample=SAMPLE)
