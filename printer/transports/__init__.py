"""The transports behind the printer port, one module per medium as in python-escpos:
``network``, ``usb``, ``serial``, ``file``, ``cups``, plus ``spool`` (each job as one file in a
folder) and ``dummy`` (keeps the bytes, for tests).

`open_transport(spec)` gives the transport for a `PrinterSpec`; its ``send(data)`` returns once
the printer took the job, or raises `PrinterError(permanent=...)`.
"""

from __future__ import annotations

from printer.port import PrinterError, PrinterState
from printer.spec import PrinterSpec
from printer.transports.base import Transport
from printer.transports.cups import CupsTransport
from printer.transports.dummy import DummyTransport
from printer.transports.file import FileTransport
from printer.transports.network import NetworkTransport
from printer.transports.serial import SerialTransport
from printer.transports.spool import SPOOL_SUFFIX, SpoolTransport
from printer.transports.status import parse_online, parse_paper
from printer.transports.usb import UsbTransport

TRANSPORT_CLASSES: dict[str, type[Transport]] = {
    "dummy": DummyTransport,
    "spool": SpoolTransport,
    "network": NetworkTransport,
    "usb": UsbTransport,
    "serial": SerialTransport,
    "file": FileTransport,
    "cups": CupsTransport,
}


def open_transport(spec: PrinterSpec) -> Transport:
    """The transport for ``spec``. Connects to nothing yet.

    Raises PrinterError(permanent=True) when the medium cannot work on this installation
    (e.g. the library for USB, serial or CUPS is missing).
    """
    return TRANSPORT_CLASSES[spec.transport](spec)


__all__ = [
    "SPOOL_SUFFIX",
    "TRANSPORT_CLASSES",
    "CupsTransport",
    "DummyTransport",
    "FileTransport",
    "NetworkTransport",
    "PrinterError",
    "PrinterState",
    "SerialTransport",
    "SpoolTransport",
    "Transport",
    "UsbTransport",
    "open_transport",
    "parse_online",
    "parse_paper",
]
