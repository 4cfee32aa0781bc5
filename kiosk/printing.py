"""Glue between tickets and printers: which printer a kiosk's jobs go to, with which settings,
and the printed slip built from a ticket and the configuration.

Printer settings are URIs (see ``printer.spec``): ``MOTCUA_PRINTER`` overrides every kiosk's;
otherwise each kiosk in ``config/sites/*.yaml`` names its own. ``agent:NAME[?options]`` means
a print agent (``motcua print-agent``) running on the kiosk PC, logged in as the printer device
NAME, fetches the jobs; the options say how to encode for its printer.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from kiosk.config import Config
from kiosk.domain.clock import Clock, local
from kiosk.domain.errors import InvalidInput
from kiosk.domain.printjobs import last_printed_bytes
from kiosk.domain.queue import Estimator, ahead_of
from kiosk.models import Ticket
from kiosk.settings import Settings
from printer.layout import TicketSlip
from printer.spec import PrinterSpec, parse_printer_uri

DEFAULT_RENDER = "dummy?profile=TM-T20II"
AGENT = "agent:"


def printer_key(cfg: Config, settings: Settings, kiosk_name: str) -> str | None:
    """The name a kiosk's print jobs are queued under, or None when it prints nothing."""
    if settings.printer:
        return kiosk_name
    found = cfg.kiosk(kiosk_name)
    if found is None or found[1].printer == "none":
        return None
    uri = found[1].printer
    if uri.startswith(AGENT):
        return uri[len(AGENT) :].partition("?")[0]
    return kiosk_name


def printer_uri(cfg: Config, settings: Settings, key: str) -> str:
    """The configured URI behind a printer key (agent printers keep their ``agent:`` form)."""
    if settings.printer:
        return settings.printer
    for site in cfg.sites:
        for k in site.kiosks:
            uri = k.printer
            if k.name == key or (
                uri.startswith(AGENT) and uri[len(AGENT) :].partition("?")[0] == key
            ):
                return uri
    return DEFAULT_RENDER


def spec_for(uri: str, instance: Path) -> PrinterSpec:
    """Parse ``uri``; an ``agent:`` URI gives only encoding options; a relative spool folder is
    taken inside the instance folder. Raises ValueError naming the problem."""
    if uri.startswith(AGENT):
        _, _, query = uri.partition("?")
        return parse_printer_uri("dummy" + (f"?{query}" if query else ""))
    spec = parse_printer_uri(uri)
    if spec.transport == "spool" and not Path(spec.params["dir"]).is_absolute():
        params = dict(spec.params)
        params["dir"] = str(instance / spec.params["dir"])
        spec = dataclasses.replace(spec, params=params)
    return spec


def server_printers(cfg: Config, settings: Settings) -> dict[str | None, PrinterSpec]:
    """Printers the server drives itself, by key (``None``: every key, when ``MOTCUA_PRINTER``
    overrides all). Agent printers are left to their agents."""
    if settings.printer:
        return {None: spec_for(settings.printer, settings.instance)}
    out: dict[str | None, PrinterSpec] = {}
    for site in cfg.sites:
        for k in site.kiosks:
            if k.printer != "none" and not k.printer.startswith(AGENT):
                out[k.name] = spec_for(k.printer, settings.instance)
    return out


def check_printers(cfg: Config, settings: Settings) -> None:
    """Fail start-up with a clear message when a printer setting cannot be parsed."""
    uris = [settings.printer] if settings.printer else []
    uris += [k.printer for s in cfg.sites for k in s.kiosks if k.printer != "none"]
    for uri in uris:
        try:
            spec_for(uri, settings.instance)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="printer") from None


def ticket_slip(
    s: Session, cfg: Config, clock: Clock, est: Estimator, ticket: Ticket, base_url: str
) -> TicketSlip:
    site = cfg.site(ticket.site)
    assert site is not None
    service = site.service(ticket.service)
    assert service is not None
    org = cfg.settings.organisation
    ahead = ahead_of(s, ticket)
    group = cfg.settings.priority.group(ticket.priority) if ticket.priority else None
    return TicketSlip(
        header_lines=tuple(org.ticket_header) or (org.name,),
        site_name=site.name,
        number=ticket.number,
        service_vi=service.name,
        service_en=service.name_en or None,
        issued_at=local(clock, ticket.issued_at),
        ahead=ahead,
        estimated_wait_s=est.wait_s(s, site, service, ahead),
        counters=tuple(c.name for c in site.counters_serving(service.code)),
        track_url=f"{base_url}/t/{ticket.code}",
        priority_label=f"ƯU TIÊN – {group.name}" if group else None,
        procedure=ticket.procedure,
    )


def ticket_bytes(s: Session, app: Any, ticket: Ticket, base_url: str) -> bytes:
    """The bytes the ticket was printed with, or would be printed with now."""
    from printer.escpos_bytes import render_escpos

    printed = last_printed_bytes(s, ticket.id)
    if printed is not None:
        return printed
    slip = ticket_slip(s, app.config, app.clock, app.estimator, ticket, base_url)
    return render_escpos(slip, _render_spec(s, app, ticket))


def ticket_png(s: Session, app: Any, ticket: Ticket, base_url: str) -> bytes:
    from printer.escpos_bytes import render_preview

    slip = ticket_slip(s, app.config, app.clock, app.estimator, ticket, base_url)
    image = render_preview(slip, _render_spec(s, app, ticket))
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _render_spec(s: Session, app: Any, ticket: Ticket) -> PrinterSpec:
    from kiosk.models import Device

    device = s.get(Device, ticket.kiosk_device_id) if ticket.kiosk_device_id else None
    key = printer_key(app.config, app.settings, device.name) if device is not None else None
    uri = printer_uri(app.config, app.settings, key) if key else DEFAULT_RENDER
    return spec_for(uri, app.settings.instance)
