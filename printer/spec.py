"""Which printer, how to reach it, and how to encode for it: `PrinterSpec` and its URI form.

The URI form is what ``MOTCUA_PRINTER``, the kiosk config and the CLI carry::

    spool:DIR                 each job as one file in DIR
    dummy                     keep the bytes in memory (tests)
    network:HOST[:PORT]       raw TCP, port 9100 by default; IPv6 as network:[::1]:9100
    usb:VID:PID               hex ids, e.g. usb:0x04b8:0x0202
    serial:DEVICE[:BAUD]      e.g. serial:/dev/ttyUSB0:115200 (9600 by default)
    file:PATH                 a device file such as /dev/usb/lp0
    cups:QUEUE                a raw CUPS queue (needs pycups)

Any of them may end with ``?key=value&...`` to set the other fields, e.g.
``network:10.0.0.7?profile=POS-5890&mode=compact&timeout_s=3``.

``status`` says whether a job counts as printed only once the printer answers a real-time
status query (``DLE EOT``) sent after it: ``on`` (the model answers them), ``off`` (it does not),
or ``auto`` (the default: required once the printer has answered one). It applies to the
transports that can read replies: network, usb and serial.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import parse_qsl

Mode = Literal["full", "compact"]
Impl = Literal["bitImageRaster", "graphics", "bitImageColumn"]
Cut = Literal["full", "partial", "none"]
StatusQuery = Literal["auto", "on", "off"]
ParamValue = str | int  # a transport parameter: a folder, host, port, device, id, baud rate…

MODES: tuple[str, ...] = ("full", "compact")
IMPLS: tuple[str, ...] = ("bitImageRaster", "graphics", "bitImageColumn")
CUTS: tuple[str, ...] = ("full", "partial", "none")
STATUS_QUERIES: tuple[str, ...] = ("auto", "on", "off")

# transport -> the params it requires
TRANSPORTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "spool": ("dir",),
        "dummy": (),
        "network": ("host", "port"),
        "usb": ("vendor_id", "product_id"),
        "serial": ("device", "baudrate"),
        "file": ("path",),
        "cups": ("queue",),
    }
)

DEFAULT_NETWORK_PORT = 9100
DEFAULT_BAUDRATE = 9600


@dataclass(frozen=True)
class PrinterSpec:
    """A printer: its transport and parameters, its escpos profile and how jobs are encoded.

    ``width_px=None`` means the profile's media width. ``timeout_s`` bounds connecting, a status
    query, and each send (plus the time the bytes need on a slow link). ``fragment_height`` is
    the most rows one raster command carries (the encoder never sends a multiple of 48, which
    some cheap printers misprint). Raises ValueError on an impossible combination.
    """

    transport: str
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    profile: str = "TM-T20II"
    width_px: int | None = None
    mode: Mode = "full"
    impl: Impl = "bitImageRaster"
    fragment_height: int = 255
    cut: Cut = "partial"
    timeout_s: float = 4.0
    status: StatusQuery = "auto"

    def __post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ValueError(
                f"unknown printer transport {self.transport!r} "
                f"(expected one of: {', '.join(TRANSPORTS)})"
            )
        params = MappingProxyType(dict(self.params))
        object.__setattr__(self, "params", params)
        missing = [k for k in TRANSPORTS[self.transport] if k not in params]
        if missing:
            raise ValueError(f"{self.transport} printer needs {', '.join(missing)}")
        _check_choice("mode", self.mode, MODES)
        _check_choice("impl", self.impl, IMPLS)
        _check_choice("cut", self.cut, CUTS)
        _check_choice("status", self.status, STATUS_QUERIES)
        if not self.profile:
            raise ValueError("printer profile must not be empty")
        if self.width_px is not None and not 64 <= self.width_px <= 4096:
            raise ValueError(f"width_px must be between 64 and 4096, not {self.width_px}")
        if not 1 <= self.fragment_height <= 4095:
            raise ValueError(
                f"fragment_height must be between 1 and 4095, not {self.fragment_height}"
            )
        if not 0 < self.timeout_s <= 120:
            raise ValueError(f"timeout_s must be > 0 and <= 120, not {self.timeout_s}")

    # MappingProxyType is neither hashable nor picklable: supply both for the whole spec.
    def __hash__(self) -> int:
        return hash(tuple(self._items()))

    def __reduce__(self) -> tuple[Any, ...]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["params"] = dict(self.params)
        return (_rebuild, (values,))

    def _items(self) -> Iterator[Any]:
        for f in fields(self):
            value = getattr(self, f.name)
            yield tuple(sorted(value.items())) if f.name == "params" else value

    @property
    def uri(self) -> str:
        """This spec in the URI form `parse_printer_uri` reads back to an equal spec."""
        return format_printer_uri(self)


def _rebuild(values: dict[str, Any]) -> PrinterSpec:
    return PrinterSpec(**values)


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"printer {name} must be one of {', '.join(allowed)}, not {value!r}")


_OPTION_TYPES: Mapping[str, type] = MappingProxyType(
    {
        "profile": str,
        "width_px": int,
        "mode": str,
        "impl": str,
        "fragment_height": int,
        "cut": str,
        "timeout_s": float,
        "status": str,
    }
)
_HOST_RE = re.compile(r"^[A-Za-z0-9._-]+$")
_CUPS_QUEUE_RE = re.compile(r"^[^\s/#]+$")
_FORMS = (
    "spool:DIR, dummy, network:HOST[:PORT], usb:VID:PID, serial:DEVICE[:BAUD], "
    "file:PATH or cups:QUEUE"
)


def parse_printer_uri(s: str) -> PrinterSpec:
    """Parse a printer URI (see the module docstring) into a `PrinterSpec`.

    Raises ValueError with a one-line message naming the problem.
    """
    text = s.strip()
    if not text:
        raise ValueError(f"empty printer setting (expected {_FORMS})")
    target, _, query = text.partition("?")
    kind, colon, rest = target.partition(":")
    kind = kind.lower()
    if kind not in TRANSPORTS:
        raise ValueError(f"unknown printer {text!r} (expected {_FORMS})")
    if kind == "dummy":
        if colon:
            raise ValueError(f"printer {text!r}: 'dummy' takes no argument")
        params: dict[str, ParamValue] = {}
    else:
        if not rest:
            raise ValueError(f"printer {text!r}: missing argument (expected {_FORMS})")
        params = _PARSERS[kind](text, rest)
    options = _parse_options(text, query)
    try:
        return PrinterSpec(transport=kind, params=params, **options)
    except ValueError as e:
        raise ValueError(f"printer {text!r}: {e}") from None


def _parse_options(text: str, query: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if not query:
        return options
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise ValueError(f"printer {text!r}: malformed options after '?'") from None
    for key, raw in pairs:
        kind = _OPTION_TYPES.get(key)
        if kind is None:
            raise ValueError(
                f"printer {text!r}: unknown option {key!r} (expected {', '.join(_OPTION_TYPES)})"
            )
        if key in options:
            raise ValueError(f"printer {text!r}: option {key!r} given twice")
        try:
            options[key] = kind(raw)
        except ValueError:
            raise ValueError(f"printer {text!r}: option {key}={raw!r} is not valid") from None
    return options


def _parse_spool(text: str, rest: str) -> dict[str, ParamValue]:
    return {"dir": rest}


def _parse_network(text: str, rest: str) -> dict[str, ParamValue]:
    if rest.startswith("["):
        host, bracket, tail = rest[1:].partition("]")
        if not bracket or not host or (tail and not tail.startswith(":")):
            raise ValueError(f"printer {text!r}: malformed IPv6 address (use network:[ADDR]:PORT)")
        port_text = tail[1:] if tail else ""
    else:
        if rest.count(":") > 1:
            raise ValueError(f"printer {text!r}: write IPv6 addresses in brackets, network:[ADDR]")
        host, _, port_text = rest.partition(":")
        if not _HOST_RE.match(host):
            raise ValueError(f"printer {text!r}: {host!r} is not a valid host name or address")
    port = DEFAULT_NETWORK_PORT
    if port_text or rest.endswith(":"):
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError(f"printer {text!r}: port must be a number from 1 to 65535")
        port = int(port_text)
    return {"host": host, "port": port}


def _parse_usb(text: str, rest: str) -> dict[str, ParamValue]:
    parts = rest.split(":")
    if len(parts) != 2:
        raise ValueError(f"printer {text!r}: expected usb:VID:PID, e.g. usb:0x04b8:0x0202")
    ids = []
    for part in parts:
        digits = part[2:] if part.lower().startswith("0x") else part
        if not re.fullmatch(r"[0-9A-Fa-f]{1,4}", digits):
            raise ValueError(f"printer {text!r}: {part!r} is not a hex USB id (0x0000-0xffff)")
        ids.append(int(digits, 16))
    return {"vendor_id": ids[0], "product_id": ids[1]}


def _parse_serial(text: str, rest: str) -> dict[str, ParamValue]:
    device, colon, baud_text = rest.rpartition(":")
    if not colon or not baud_text.isdigit():
        # No baud rate given, or the last colon belongs to the device name.
        device, baud_text = rest, ""
    if not device:
        raise ValueError(f"printer {text!r}: missing serial device (serial:DEVICE[:BAUD])")
    baudrate = int(baud_text) if baud_text else DEFAULT_BAUDRATE
    if not 300 <= baudrate <= 4_000_000:
        raise ValueError(f"printer {text!r}: baud rate {baudrate} is out of range")
    return {"device": device, "baudrate": baudrate}


def _parse_file(text: str, rest: str) -> dict[str, ParamValue]:
    return {"path": rest}


def _parse_cups(text: str, rest: str) -> dict[str, ParamValue]:
    if not _CUPS_QUEUE_RE.match(rest):
        raise ValueError(f"printer {text!r}: {rest!r} is not a valid CUPS queue name")
    return {"queue": rest}


_PARSERS = {
    "spool": _parse_spool,
    "network": _parse_network,
    "usb": _parse_usb,
    "serial": _parse_serial,
    "file": _parse_file,
    "cups": _parse_cups,
}


def format_printer_uri(spec: PrinterSpec) -> str:
    """The URI form of ``spec``; options equal to their defaults are left out."""
    p = spec.params
    if spec.transport == "dummy":
        target = "dummy"
    elif spec.transport == "spool":
        target = f"spool:{p['dir']}"
    elif spec.transport == "network":
        host = str(p["host"])
        host = f"[{host}]" if ":" in host else host
        target = f"network:{host}:{p['port']}"
    elif spec.transport == "usb":
        target = f"usb:{p['vendor_id']:#06x}:{p['product_id']:#06x}"
    elif spec.transport == "serial":
        target = f"serial:{p['device']}:{p['baudrate']}"
    elif spec.transport == "file":
        target = f"file:{p['path']}"
    else:
        target = f"cups:{p['queue']}"
    defaults = PrinterSpec("dummy")
    options = [
        f"{name}={getattr(spec, name)}"
        for name in _OPTION_TYPES
        if getattr(spec, name) != getattr(defaults, name)
    ]
    return target + ("?" + "&".join(options) if options else "")
