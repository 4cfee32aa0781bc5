"""What a print job prints: the ticket slip built from a ticket and the configuration, and the
reference documents (checklists) from their stored fields.

The ticket speaks the language the citizen chose at the kiosk (stored with the job), names the
procedure rather than its code, rounds the wait with the one rule citizens see everywhere
(`kiosk.domain.waits`), and carries a tracking QR code only when a phone can open its address.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from kiosk.catalogue import Catalogue
from kiosk.config import Config, Site
from kiosk.domain.clock import Clock, local
from kiosk.domain.queue import Estimator, ahead_of
from kiosk.domain.waits import wait_minutes
from kiosk.models import Ticket
from kiosk.settings import Settings
from printer.layout import DocumentSlip, TicketSlip

Language = Literal["vi", "en"]
DOCUMENT_FIELDS = (
    "title",
    "subtitle",
    "paragraphs",
    "bullets",
    "notes",
    "header_lines",
    "qr_url",
    "qr_caption",
    "footer",
)
LIST_FIELDS = ("paragraphs", "bullets", "notes", "header_lines")


class PrintContext(Protocol):
    """The services a slip is built from (the app's `Services` has them all)."""

    config: Config
    clock: Clock
    estimator: Estimator
    settings: Settings
    catalogue: Catalogue | None


def language_of(params: dict[str, Any] | None) -> Language:
    """The language stored with a print job ("vi" unless the citizen chose English)."""
    return "en" if (params or {}).get("lang") == "en" else "vi"


def printable_base(url: str | None) -> str | None:
    """``url`` if a phone could open it, else None: never a loopback or unspecified address
    (``localhost``, ``127.x``, ``::1``, ``0.0.0.0``) nor a malformed one."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return url  # a name: the operator's choice
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_unspecified:
        return None
    return url


def _priority(cfg: Config, ticket: Ticket, english: bool) -> tuple[str | None, str | None]:
    """The priority mark and group printed on the ticket, or (None, None)."""
    code = ticket.priority or ticket.priority_requested
    group = cfg.settings.priority.group(code) if code else None
    if group is None:
        return None, None
    name = (group.name_en or group.name) if english else group.name
    if ticket.priority:
        return ("PRIORITY" if english else "ƯU TIÊN"), name
    # Asked for at the kiosk, not yet confirmed by staff: the citizen shows the ticket.
    return ("PRIORITY REQUESTED" if english else "ĐỀ NGHỊ ƯU TIÊN"), name


def _procedure_name(catalogue: Catalogue | None, code: str | None, english: bool) -> str | None:
    if not code or catalogue is None:
        return None
    found = catalogue.get(code)
    if found is None:
        return None  # never print a bare code
    return (found.name_en or found.name_vi) if english else found.name_vi


def _counters(site: Site, service: str, english: bool) -> tuple[str, ...]:
    counters = site.counters_serving(service)
    if english:
        return tuple(f"Counter {c.number}" for c in counters)
    return tuple(c.name for c in counters)


def ticket_slip(
    s: Session, app: PrintContext, ticket: Ticket, base_url: str | None, language: Language
) -> TicketSlip:
    """The slip of ``ticket`` as printed now (people ahead and the wait of this moment)."""
    cfg = app.config
    site = cfg.site(ticket.site)
    assert site is not None
    service = site.service(ticket.service)
    assert service is not None
    english = language == "en"
    org = cfg.settings.organisation
    ahead = ahead_of(s, ticket)
    waiting = ticket.status in ("waiting", "transferred")
    base = printable_base(base_url)
    mark, group = _priority(cfg, ticket, english)
    return TicketSlip(
        header_lines=tuple(org.ticket_header) or (org.name,),
        site_name=(site.name_en or site.name) if english else site.name,
        number=ticket.number,
        service_vi=service.name,
        service_en=service.name_en or None,
        language="en" if english else "vi",
        issued_at=local(app.clock, ticket.issued_at),
        ahead=ahead,
        wait_minutes=wait_minutes(app.estimator.wait_s(s, site, service, ahead)) if waiting else 0,
        counters=_counters(site, service.code, english),
        track_url=f"{base}/t/{ticket.code}" if base else None,
        priority_label=mark,
        priority_group=group,
        procedure=_procedure_name(app.catalogue, ticket.procedure, english),
        cutoff=cfg.settings.same_day_cutoff if service.same_day else None,
    )


def document_slip(params: dict[str, Any], app: PrintContext) -> DocumentSlip:
    """A reference document from the fields stored with its job."""
    fields: dict[str, Any] = {k: params[k] for k in DOCUMENT_FIELDS if k in params}
    for k in LIST_FIELDS:
        if k in fields:
            fields[k] = tuple(fields[k])
    return DocumentSlip(printed_at=local(app.clock), **fields)


def public_url_problem(public_url: str | None) -> str | None:
    """Why tickets may print no tracking QR code, or None when ``MOTCUA_PUBLIC_URL`` is fine."""
    if not public_url:
        return (
            "MOTCUA_PUBLIC_URL is not set: tickets carry the address the kiosk used, and none "
            "when that is a loopback address (localhost, 127.x, ::1); set it to the address "
            "phones reach, e.g. https://motcua.example.vn"
        )
    if printable_base(public_url) is None:
        return (
            f"MOTCUA_PUBLIC_URL {public_url!r} is a loopback address no phone can open: tickets "
            "print no tracking QR code"
        )
    return None
