"""Which printer a kiosk's jobs go to, and with which settings.

Printer settings are URIs (see ``printer.spec``): ``MOTCUA_PRINTER`` overrides every kiosk's;
otherwise each kiosk in ``config/sites/*.yaml`` names its own. ``agent:NAME[?options]`` means
a print agent (``motcua print-agent``) running on the kiosk PC, logged in as the printer device
NAME, fetches the jobs; the options say how to encode for its printer.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from kiosk.config import Config
from kiosk.domain.errors import InvalidInput
from kiosk.settings import Settings
from printer.spec import PrinterSpec, parse_printer_uri

log = logging.getLogger(__name__)
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


def printer_keys(cfg: Config, settings: Settings) -> set[str]:
    """Every printer key of the configuration."""
    keys = (printer_key(cfg, settings, k.name) for site in cfg.sites for k in site.kiosks)
    return {k for k in keys if k}


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
    """Fail start-up with a clear message when a printer setting cannot be parsed; warn when
    tickets may print no tracking QR code for want of ``MOTCUA_PUBLIC_URL``."""
    from kiosk.printing.slips import public_url_problem

    problem = public_url_problem(settings.public_url)
    if problem:
        log.warning("%s", problem)
    uris = [settings.printer] if settings.printer else []
    uris += [k.printer for s in cfg.sites for k in s.kiosks if k.printer != "none"]
    for uri in uris:
        try:
            spec_for(uri, settings.instance)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="printer") from None
