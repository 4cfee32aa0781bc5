"""Admins' changes to displays, kiosks and the organisation-wide texts: the rating scale and
reasons, the ticket header lines and the announcement templates.

Each use case goes through :func:`kiosk.domain.site_setup.edit`, the one path that edits a
document of the live configuration, validates it all and stores it with an audit entry. The
mistakes a form can make get their own message in both languages, naming the field.
"""

from __future__ import annotations

import re
import string
from typing import Any

import yaml
from sqlalchemy.orm import Session

from kiosk.config import MAIN_FILE, Config
from kiosk.domain.clock import Clock
from kiosk.domain.errors import Forbidden, InvalidInput
from kiosk.domain.site_setup import Documents, edit, edit_site, entry
from kiosk.domain.tickets import Actor

LAYOUTS = ("hall", "counter")
MAX_NOTICE = 300
MAX_HEADER_LINES = 4
MAX_HEADER_CHARS = 64
PLACEHOLDERS = ("number", "counter")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # as kiosk.config.Code


def _invalid(field: str, vi: str, en: str) -> InvalidInput:
    return InvalidInput(vi, en=en, field=field)


def _required(values: dict[str, Any], key: str, vi: str, en: str) -> str:
    text = str(values.get(key) or "").strip()
    if not text:
        raise _invalid(key, f"{vi} không được để trống.", f"{en} is required.")
    return text


# --- displays and kiosks (a site's document) --------------------------------------------------


def _check_display(data: dict[str, Any], values: dict[str, Any]) -> None:
    _required(values, "name", "Tên màn hình", "The display's name")
    counters = values.get("counters") or []
    if not counters:
        raise _invalid(
            "counters",
            "Màn hình phải hiển thị ít nhất một quầy.",
            "A display shows at least one counter.",
        )
    known = {e.get("number") for e in data.get("counters") or []}
    unknown = [n for n in counters if n not in known]
    if unknown:
        raise _invalid(
            "counters",
            f"Không có quầy số {unknown[0]} tại điểm này.",
            f"No counter {unknown[0]} at this site.",
        )
    layout = values.get("layout", "hall")
    if layout not in LAYOUTS:
        raise _invalid("layout", "Bố cục không hợp lệ.", "Unknown layout.")
    if layout == "counter" and len(counters) != 1:
        raise _invalid(
            "counters",
            "Bố cục «một quầy» hiển thị đúng một quầy: chọn một quầy.",
            "The one-counter layout shows exactly one counter: tick one.",
        )
    volume = values.get("volume")
    if volume is not None and not 0 <= volume <= 1:
        raise _invalid(
            "volume", "Âm lượng phải từ 0 đến 100%.", "The volume is between 0 and 100%."
        )
    if len(values.get("notice") or "") > MAX_NOTICE:
        raise _invalid(
            "notice",
            f"Thông báo dài quá {MAX_NOTICE} ký tự.",
            f"The notice is longer than {MAX_NOTICE} characters.",
        )


def update_display(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    site: str,
    display_id: int,
    values: dict[str, Any],
) -> tuple[dict[str, Any], list[Any]]:
    """Change a display's name, counters shown (in order), notice, layout (hall or counter) and
    volume (0..1, None: the layout's default). Raises NotFound, InvalidInput, ConfigInvalid."""

    def change(data: dict[str, Any]) -> dict[str, Any]:
        found = entry(data, "displays", "id", display_id)
        _check_display(data, values)
        found["name"] = values["name"].strip()
        found["counters"] = list(values["counters"])
        _set(found, "notice", (values.get("notice") or "").strip(), "")
        _set(found, "layout", values.get("layout", "hall"), "hall")
        _set(found, "volume", values.get("volume"), None)
        return found

    return edit_site(
        s, cfg, clock, actor, site, change, "display_changed",
        target=f"{site}/displays/{display_id}", fields=sorted(values),
    )  # fmt: skip


def update_kiosk(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    site: str,
    name: str,
    printer: str,
) -> tuple[dict[str, Any], list[Any]]:
    """Set which printer kiosk ``name`` prints on (a printer setting the caller has parsed;
    ``none``: it prints nothing). Raises NotFound, InvalidInput, ConfigInvalid."""

    def change(data: dict[str, Any]) -> dict[str, Any]:
        found = entry(data, "kiosks", "name", name)
        found["printer"] = _required({"printer": printer}, "printer", "Máy in", "The printer")
        return found

    return edit_site(
        s, cfg, clock, actor, site, change, "kiosk_changed", target=f"{site}/kiosks/{name}"
    )


def _set(entry: dict[str, Any], key: str, value: Any, default: Any) -> None:
    """Write ``value``, or leave the key out when it is the default (files stay as written)."""
    if value == default:
        entry.pop(key, None)
    else:
        entry[key] = value


# --- organisation-wide settings (motcua.yaml) -------------------------------------------------


def _edit_main(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    section: str,
    change: Any,
    action: str,
) -> tuple[dict[str, Any], list[Any]]:
    """:func:`edit` on one section of ``motcua.yaml``; only an admin of every site may."""
    if actor.site is not None:
        raise Forbidden(
            "Chỉ quản trị viên toàn hệ thống được sửa cài đặt chung.",
            en="Only an admin of every site may change the common settings.",
        )

    def find(docs: Documents) -> tuple[str, dict[str, Any]]:
        return MAIN_FILE, yaml.safe_load(docs[MAIN_FILE]) or {}

    def section_change(data: dict[str, Any]) -> dict[str, Any]:
        part = data.get(section)
        if not isinstance(part, dict):
            part = data[section] = {}
        change(part)
        return part

    return edit(s, cfg, clock, actor, find, section_change, action, target=f"{MAIN_FILE}/{section}")


def update_rating(
    s: Session, cfg: Config, clock: Clock, actor: Actor, values: dict[str, Any]
) -> tuple[dict[str, Any], list[Any]]:
    """Replace the rating scale: ``labels`` is a list of ``(vi, en)`` from the best level down
    (3 to 5 of them), ``reasons`` a list of ``{code, vi, en}``, ``negative_below`` the first
    level that is not negative, ``show_seconds`` how long the rating screen stays. Raises
    InvalidInput, Forbidden, ConfigInvalid."""
    labels = values["labels"]
    if not 3 <= len(labels) <= 5:
        raise _invalid(
            "labels",
            "Thang đánh giá cần từ 3 đến 5 mức, mỗi mức có tên tiếng Việt.",
            "The scale needs 3 to 5 levels, each with a Vietnamese name.",
        )
    scale = len(labels)
    below = values["negative_below"]
    if not 2 <= below <= scale:
        raise _invalid(
            "negative_below",
            f"Mức «chưa hài lòng» phải từ 2 đến {scale}.",
            f"The negative threshold is between 2 and {scale}.",
        )
    if not 5 <= values["show_seconds"] <= 300:
        raise _invalid(
            "show_seconds",
            "Màn hình đánh giá hiện từ 5 đến 300 giây.",
            "The rating screen stays 5 to 300 seconds.",
        )
    codes = [r["code"] for r in values["reasons"]]
    for r in values["reasons"]:
        if not CODE.match(r["code"]) or not r["vi"]:
            raise _invalid(
                "reasons",
                "Mỗi lý do cần mã (chữ thường, không dấu) và tên tiếng Việt.",
                "Each reason needs a code (lower case, no accents) and a Vietnamese name.",
            )
    if len(set(codes)) != len(codes):
        raise _invalid("reasons", "Hai lý do trùng mã.", "Two reasons have the same code.")

    def change(rating: dict[str, Any]) -> None:
        rating["labels"] = {
            scale - i: {"vi": vi, **({"en": en} if en else {})} for i, (vi, en) in enumerate(labels)
        }
        rating["negative_below"] = below
        rating["reasons"] = [
            {"code": r["code"], "vi": r["vi"], **({"en": r["en"]} if r["en"] else {})}
            for r in values["reasons"]
        ]
        rating["show_seconds"] = values["show_seconds"]

    return _edit_main(s, cfg, clock, actor, "rating", change, "rating_changed")


def update_ticket_header(
    s: Session, cfg: Config, clock: Clock, actor: Actor, lines: list[str]
) -> tuple[dict[str, Any], list[Any]]:
    """Replace the lines printed at the top of every ticket (up to four; none is allowed).
    Raises InvalidInput, Forbidden, ConfigInvalid."""
    lines = [line.strip() for line in lines if line.strip()]
    if len(lines) > MAX_HEADER_LINES:
        raise _invalid(
            "ticket_header",
            f"Đầu phiếu có tối đa {MAX_HEADER_LINES} dòng.",
            f"The header has at most {MAX_HEADER_LINES} lines.",
        )
    long = next((line for line in lines if len(line) > MAX_HEADER_CHARS), None)
    if long is not None:
        raise _invalid(
            "ticket_header",
            f"Dòng «{long[:20]}…» dài quá {MAX_HEADER_CHARS} ký tự: giấy in không đủ rộng.",
            f"Line '{long[:20]}…' is longer than {MAX_HEADER_CHARS} characters: too wide.",
        )

    def change(org: dict[str, Any]) -> None:
        org["ticket_header"] = lines

    return _edit_main(s, cfg, clock, actor, "organisation", change, "ticket_header_changed")


def _check_template(field: str, text: str, *, needs_number: bool) -> None:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        names = ["{"]
    bad = next((n for n in names if n not in PLACEHOLDERS), None)
    if bad is not None:
        raise _invalid(
            field,
            f"Chỉ dùng được {{number}} và {{counter}} trong câu, không dùng «{{{bad}}}».",
            f"Only {{number}} and {{counter}} may be used, not '{{{bad}}}'.",
        )
    if needs_number and "number" not in names:
        raise _invalid(
            field,
            "Câu mời phải có {number} (số thứ tự được đọc ở đó).",
            "The sentence needs {number} (where the ticket number is read).",
        )


def update_announcement(
    s: Session, cfg: Config, clock: Clock, actor: Actor, values: dict[str, Any]
) -> tuple[dict[str, Any], list[Any]]:
    """Change the call sentences (``vi``, ``en`` with ``{number}`` and ``{counter}``), how often
    a call is said (``repeat``, 1 to 3) and whether the English sentence follows (``english``).
    Raises InvalidInput, Forbidden, ConfigInvalid."""
    vi = _required(values, "vi", "Câu mời tiếng Việt", "The Vietnamese sentence")
    en = str(values.get("en") or "").strip()
    _check_template("vi", vi, needs_number=True)
    _check_template("en", en, needs_number=bool(en))
    if values.get("english") and not en:
        raise _invalid(
            "en",
            "Muốn đọc cả tiếng Anh thì cần câu tiếng Anh.",
            "Reading in English needs the English sentence.",
        )
    if not 1 <= values.get("repeat", 2) <= 3:
        raise _invalid("repeat", "Số lần đọc từ 1 đến 3.", "Read 1 to 3 times.")

    def change(announcement: dict[str, Any]) -> None:
        announcement.update(vi=vi, repeat=values.get("repeat", 2), english=bool(values["english"]))
        _set(announcement, "en", en, "")

    return _edit_main(s, cfg, clock, actor, "announcement", change, "announcement_changed")
