"""The online-submission guide's own rules (docs/domain.md, "Online filing").

Where the catalogue comes from; which service a volunteer call or an in-person ticket goes to;
who may apply and what to scan, in plain words; the printed checklist (reference only, never
anything like form 01); anonymous usage counts and the anti-hoarding rule of remote tickets.
No Flask. Functions that touch the database take a session and never commit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.config import Config, Service, Site
from kiosk.domain.catalogue import (
    Catalogue,
    Checklist,
    ChecklistDocument,
    Procedure,
    load_catalogue,
    procedure_url,
)
from kiosk.domain.errors import Conflict, Forbidden, NotFound, RateLimited
from kiosk.models import Ticket, UsageCount

PROCEDURES_FILE = "procedures.yaml"
# The counter group of online-submission help: a volunteer call is a ticket for
# the site's service of this group.
HELP_GROUP = "HOTRO"
# A document whose id starts with this is the declaration form: online it is the portal's
# e-form, filled in on the phone, so it is never scanned.
E_FORM_PREFIX = "to_khai"
Event = Literal["viewed", "printed", "help", "hall_ticket"]
EVENTS: tuple[Event, ...] = ("viewed", "printed", "help", "hall_ticket")


def load_procedures(folder: Path) -> Catalogue | None:
    """The catalogue in ``folder/procedures.yaml``, or None when the folder has none (the guide
    then says that no procedures are configured). Raises CatalogueError for a bad file."""
    path = Path(folder) / PROCEDURES_FILE
    if not path.exists():
        return None
    return load_catalogue(path)


# --- where to go -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A service that handles a procedure in person. ``remote``: a kiosk of another site may
    issue a ticket for it from the guide."""

    site: Site
    service: Service
    remote: bool


def volunteer_service(site: Site) -> Service | None:
    """The service a "call a volunteer" ticket is for at ``site``: its online-help service."""
    return next((s for s in site.services if s.counter_group == HELP_GROUP), None)


def needs_visit(procedure: Procedure) -> bool:
    """True when the citizen may have to go to a counter: not fully online and a counter
    channel exists (một phần, trực tiếp, or not yet classified)."""
    return procedure.online_class != "toan_trinh" and "truc_tiep" in procedure.channels


def can_file_online(procedure: Procedure) -> bool:
    return "truc_tuyen" in procedure.channels and procedure.online_class != "truc_tiep"


def in_person_places(cfg: Config, procedure: Procedure, here: str | None) -> list[Place]:
    """Services whose counter group is the procedure's, in site order; none for an online-only
    procedure. ``here`` is the asking kiosk's site (its own services are never "remote")."""
    if not needs_visit(procedure):
        return []
    return [
        Place(site, service, remote=site.remote_tickets and site.code != here)
        for site in cfg.sites
        for service in site.services
        if service.counter_group == procedure.counter_group
    ]


def ticket_place(cfg: Config, procedure: Procedure, here: str, site: str | None) -> Place:
    """Where a guide ticket for ``procedure`` goes: the kiosk's own site if it serves it, else
    a site that takes remote tickets (``site`` picks one). Raises NotFound or Forbidden."""
    places = [
        p
        for p in in_person_places(cfg, procedure, here)
        if (site is None or p.site.code == site) and (p.remote or p.site.code == here)
    ]
    if places:
        return next((p for p in places if p.site.code == here), places[0])
    raise Forbidden(
        "Không lấy được số từ xa cho thủ tục này.",
        en="No remote ticket can be issued for this procedure.",
    )


def check_remote_allowed(
    s: Session,
    *,
    device_id: int,
    here: str,
    now: datetime,
    gap_s: int,
    session_used: bool,
) -> None:
    """The anti-hoarding rule of remote tickets: one per guide session, and at most one per
    kiosk every ``gap_s`` seconds. Raises Conflict or RateLimited (with the seconds left)."""
    if session_used:
        raise Conflict(
            "Mỗi lượt sử dụng chỉ lấy được một số tại trụ sở.",
            en="Only one hall ticket per guide session.",
        )
    last = s.scalar(
        select(func.max(Ticket.issued_at)).where(
            Ticket.kiosk_device_id == device_id, Ticket.site != here
        )
    )
    if last is None or gap_s <= 0:
        return
    wait = (last + timedelta(seconds=gap_s) - now).total_seconds()
    if wait > 0:
        raise RateLimited(
            "Máy vừa lấy số tại trụ sở. Xin thử lại sau ít phút.",
            retry_after_s=math.ceil(wait),
            en="This kiosk has just issued a hall ticket. Please try again in a few minutes.",
        )


# --- the procedure in plain words ------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """Who may use the procedure: the wizard question whose other answer stops it."""

    question: str
    ask_vi: str
    ask_en: str
    answer: bool


def conditions(procedure: Procedure) -> list[Condition]:
    """Each wizard question with a stopping branch, with the answer the procedure needs."""
    found = []
    for q in procedure.wizard:
        if q.if_no.stop != q.if_yes.stop:
            found.append(Condition(q.id, q.ask_vi, q.ask_en, answer=q.if_no.stop))
    return found


def to_upload(
    procedure: Procedure, documents: Iterable[ChecklistDocument]
) -> list[ChecklistDocument]:
    """The papers to photograph or scan when filing online: every paper handed in (original or
    copy) except the declaration form, which is the portal's e-form. None for a procedure that
    cannot be filed online."""
    if not can_file_online(procedure):
        return []
    return [d for d in documents if d.original + d.copy > 0 and not d.id.startswith(E_FORM_PREFIX)]


def code_url(catalogue: Catalogue, code: str) -> str:
    """The portal page of ``code``, also for a suggested procedure outside the catalogue."""
    procedure = catalogue.get(code)
    if procedure is not None:
        return procedure_url(catalogue, procedure)
    return catalogue.meta.dvcqg_url_template.replace("{code}", code)


def format_vnd(amount: int) -> str:
    """``5000`` → ``"5.000 đ"`` (Vietnamese digit grouping)."""
    return f"{amount:,}".replace(",", ".") + "\u00a0đ"


# --- the printed checklist --------------------------------------------------------------------

_PRINT = {
    "vi": {
        "title": "GIẤY TỜ CẦN CHUẨN BỊ",
        "code": "Mã thủ tục",
        "original": "bản chính",
        "copy": "bản sao",
        "show_id": "Mang theo giấy tờ tùy thân (CCCD hoặc hộ chiếu) để xuất trình.",
        "upload": "(*) Nộp trực tuyến: chụp ảnh rõ nét, đủ 4 góc, hoặc scan giấy tờ này.",
        "fee": "Lệ phí dự kiến: {fee} (tham khảo)",
        "free": "Lệ phí dự kiến: miễn phí (tham khảo)",
        "fee_unknown": "Lệ phí: xem tại dichvucong.gov.vn hoặc hỏi cán bộ.",
        "fee_inputs": " – {pages} trang × {copies} bản",
        "exempt": "Miễn lệ phí cho: {groups}.",
        "online": {
            "toan_trinh": "Có thể nộp trực tuyến toàn trình tại dichvucong.gov.vn.",
            "mot_phan": "Nộp trực tuyến một phần: vẫn cần mang bản chính hoặc đến trụ sở.",
            "truc_tiep": "Thủ tục làm trực tiếp tại quầy.",
            None: "Hỏi cán bộ về cách nộp trực tuyến.",
        },
        "qr": "Quét mã để mở thủ tục trên dichvucong.gov.vn",
        "never": "Không đưa mật khẩu VNeID cho bất kỳ ai.",
    },
    "en": {
        "title": "PAPERS TO PREPARE",
        "code": "Procedure code",
        "original": "original",
        "copy": "copy",
        "show_id": "Bring an ID paper (citizen ID card or passport) to show.",
        "upload": "(*) To file online: photograph this paper sharply, all 4 corners, or scan it.",
        "fee": "Estimated fee: {fee} (for reference)",
        "free": "Estimated fee: free (for reference)",
        "fee_unknown": "Fee: see dichvucong.gov.vn or ask the staff.",
        "fee_inputs": " – {pages} pages × {copies} copies",
        "exempt": "No fee for: {groups}.",
        "online": {
            "toan_trinh": "Can be filed fully online on dichvucong.gov.vn.",
            "mot_phan": "Partly online: the originals or a visit are still needed.",
            "truc_tiep": "Done in person at the counter.",
            None: "Ask the staff about filing online.",
        },
        "qr": "Scan to open the procedure on dichvucong.gov.vn",
        "never": "Never give your VNeID password to anyone.",
    },
}


def _counts(d: ChecklistDocument, words: dict[str, Any]) -> str:
    parts = []
    if d.original:
        parts.append(f"{d.original} {words['original']}")
    if d.copy:
        parts.append(f"{d.copy} {words['copy']}")
    return f" ({', '.join(parts)})" if parts else ""


def _note(vi: str, en_text: str, kind: str, en: bool) -> str:
    if not en:
        return vi
    # A "case" note's English is only the paper's name (see catalogue Note).
    return f"Only in some cases (the staff will say): {en_text}" if kind == "case" else en_text


def checklist_document(
    catalogue: Catalogue,
    procedure: Procedure,
    result: Checklist,
    *,
    header_lines: tuple[str, ...],
    lang: Literal["vi", "en"] = "vi",
    pages: int | None = None,
    copies: int | None = None,
) -> dict[str, Any]:
    """The print-job payload (DocumentSlip fields) of a personal checklist.

    Reference only: the footer is the catalogue's "not a receipt" line, and nothing on it looks
    like form 01 (no receipt or appointment wording, no time limit, no signature, no dossier
    code, nothing personal). The unverified label is printed while the entry is unverified."""
    w = _PRINT[lang]
    en = lang == "en"
    name = procedure.name_en if en else procedure.name_vi
    paragraphs = [w["online"][procedure.online_class]]
    if result.fee_vnd is None:
        paragraphs.append(w["fee_unknown"])
    elif result.fee_vnd == 0:
        paragraphs.append(w["free"])
    else:
        line = w["fee"].format(fee=format_vnd(result.fee_vnd))
        if "pages" in result.fee_inputs and pages is not None:
            line += w["fee_inputs"].format(pages=pages, copies=copies or 1)
        paragraphs.append(line)
    if procedure.present_id:
        paragraphs.append(w["show_id"])
    uploads = {d.id for d in to_upload(procedure, result.documents)}
    bullets = [
        (d.name_en if en else d.name_vi) + _counts(d, w) + (" (*)" if d.id in uploads else "")
        for d in result.documents
    ]
    notes = [_note(n.vi, n.en, n.kind, en) for n in result.notes]
    if result.fee_exemptions and result.fee_vnd:
        groups = ", ".join(g.name_en if en else g.name_vi for g in result.fee_exemptions)
        notes.append(w["exempt"].format(groups=groups))
    if uploads:
        notes.append(w["upload"])
    notes.append(w["never"])
    if not procedure.verified:
        notes.append(catalogue.meta.unverified_label_vi)
    return {
        "procedure": procedure.code,
        "title": w["title"],
        "subtitle": f"{name} – {w['code']} {procedure.code}",
        "paragraphs": paragraphs,
        "bullets": bullets,
        "notes": notes,
        "header_lines": list(header_lines),
        "qr_url": procedure_url(catalogue, procedure),
        "qr_caption": w["qr"],
        "footer": catalogue.meta.checklist_footer_vi,
    }


# --- anonymous usage counts ------------------------------------------------------------------


def record_usage(
    s: Session, day: date, site: str, event: Event, procedure: str | None = None
) -> None:
    """Add one to today's count of ``event`` at ``site`` (for ``procedure``, if any).

    A conditional UPDATE first; the first event of its kind in a day inserts the row, inside a
    savepoint so that a concurrent insert (PostgreSQL) falls back to the UPDATE."""
    if event not in EVENTS:
        raise ValueError(f"unknown usage event {event!r}")
    key = (
        UsageCount.day == day,
        UsageCount.site == site,
        UsageCount.event == event,
        UsageCount.procedure == (procedure or ""),
    )
    bump = update(UsageCount).where(*key).values(count=UsageCount.count + 1)
    bump = bump.execution_options(synchronize_session=False)
    if s.execute(bump).rowcount:  # type: ignore[attr-defined]
        return
    try:
        with s.begin_nested():
            s.add(UsageCount(day=day, site=site, event=event, procedure=procedure or "", count=1))
    except IntegrityError:
        s.execute(bump)


@dataclass(frozen=True)
class Usage:
    day: date
    site: str
    event: str
    procedure: str | None
    count: int


def usage_counts(s: Session, since: date, until: date, site: str | None = None) -> list[Usage]:
    """Counts of each day in [since, until], oldest first (for reports)."""
    query = select(UsageCount).where(UsageCount.day >= since, UsageCount.day <= until)
    if site is not None:
        query = query.where(UsageCount.site == site)
    rows = s.scalars(query.order_by(UsageCount.day, UsageCount.site, UsageCount.event))
    return [Usage(r.day, r.site, r.event, r.procedure or None, r.count) for r in rows]


def popular(s: Session, site: str, since: date, limit: int) -> list[str]:
    """Procedure codes most viewed at ``site`` since ``since``, most first."""
    total = func.sum(UsageCount.count)
    rows = s.execute(
        select(UsageCount.procedure, total)
        .where(
            UsageCount.site == site,
            UsageCount.event == "viewed",
            UsageCount.day >= since,
            UsageCount.procedure != "",
        )
        .group_by(UsageCount.procedure)
        .order_by(total.desc(), UsageCount.procedure)
        .limit(limit)
    )
    return [code for code, _ in rows]


def home_procedures(catalogue: Catalogue, viewed: list[str], count: int) -> list[Procedure]:
    """What the guide's first screen offers: the most viewed, then the catalogue's order."""
    chosen: list[Procedure] = []
    for code in viewed:
        procedure = catalogue.get(code)
        if procedure is not None and procedure not in chosen:
            chosen.append(procedure)
    for procedure in catalogue.procedures:
        if len(chosen) >= count:
            break
        if procedure not in chosen:
            chosen.append(procedure)
    return chosen[:count]


def must_find(catalogue: Catalogue | None, code: str) -> tuple[Catalogue, Procedure]:
    """The catalogue and the procedure ``code`` (or an alt code). Raises NotFound."""
    procedure = catalogue.get(code) if catalogue is not None else None
    if catalogue is None or procedure is None:
        raise NotFound(
            f"Không có thủ tục {code[:32]!r} trong danh mục.",
            en=f"No procedure {code[:32]!r} in the catalogue.",
            what="procedure",
        )
    return catalogue, procedure
