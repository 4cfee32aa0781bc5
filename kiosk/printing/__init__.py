"""Printing on the application side: which printer each kiosk uses (`routing`), what a job
prints (`slips`, from a ticket and the configuration), jobs to bytes and pictures (`render`),
and the print worker beside the server (`worker`). The print queue's rules live in
``kiosk.domain.printjobs``; the printer library itself (layout, ESC/POS, transports) is
``printer/``, which knows nothing of tickets.
"""

from kiosk.printing.routing import (
    AGENT,
    DEFAULT_RENDER,
    check_printers,
    printer_key,
    printer_keys,
    printer_uri,
    server_printers,
    spec_for,
)

__all__ = [
    "AGENT",
    "DEFAULT_RENDER",
    "check_printers",
    "printer_key",
    "printer_keys",
    "printer_uri",
    "server_printers",
    "spec_for",
]
