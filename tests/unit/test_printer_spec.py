"""PrinterSpec and the printer URI (MOTCUA_PRINTER, kiosk config, CLI)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from printer.spec import PrinterSpec, format_printer_uri, parse_printer_uri


@pytest.mark.parametrize(
    ("uri", "transport", "params"),
    [
        ("spool:/var/spool/motcua", "spool", {"dir": "/var/spool/motcua"}),
        ("spool:var/jobs", "spool", {"dir": "var/jobs"}),
        ("dummy", "dummy", {}),
        ("  dummy  ", "dummy", {}),
        ("network:10.0.0.7", "network", {"host": "10.0.0.7", "port": 9100}),
        ("network:printer-1.local:9101", "network", {"host": "printer-1.local", "port": 9101}),
        ("network:[fe80::1]:9100", "network", {"host": "fe80::1", "port": 9100}),
        ("network:[::1]", "network", {"host": "::1", "port": 9100}),
        ("usb:0x04b8:0x0202", "usb", {"vendor_id": 0x04B8, "product_id": 0x0202}),
        ("usb:04B8:202", "usb", {"vendor_id": 0x04B8, "product_id": 0x0202}),
        ("serial:/dev/ttyUSB0", "serial", {"device": "/dev/ttyUSB0", "baudrate": 9600}),
        ("serial:/dev/ttyS1:115200", "serial", {"device": "/dev/ttyS1", "baudrate": 115200}),
        ("serial:COM3:19200", "serial", {"device": "COM3", "baudrate": 19200}),
        ("file:/dev/usb/lp0", "file", {"path": "/dev/usb/lp0"}),
        ("cups:TM-T20II", "cups", {"queue": "TM-T20II"}),
        ("NETWORK:10.0.0.7", "network", {"host": "10.0.0.7", "port": 9100}),
    ],
)
def test_parse_forms(uri: str, transport: str, params: dict[str, object]) -> None:
    spec = parse_printer_uri(uri)
    assert spec.transport == transport
    assert dict(spec.params) == params
    assert spec == PrinterSpec(transport, params)  # every other field at its default


def test_defaults() -> None:
    spec = parse_printer_uri("dummy")
    assert (spec.profile, spec.width_px, spec.mode, spec.impl) == (
        "TM-T20II",
        None,
        "full",
        "bitImageRaster",
    )
    assert (spec.fragment_height, spec.cut, spec.timeout_s) == (255, "partial", 4.0)
    assert spec.status == "auto"


def test_options_after_question_mark() -> None:
    spec = parse_printer_uri(
        "network:10.0.0.7?profile=POS-5890&mode=compact&impl=graphics&fragment_height=255"
        "&cut=none&timeout_s=2.5&width_px=384"
    )
    assert spec.profile == "POS-5890"
    assert spec.mode == "compact"
    assert spec.impl == "graphics"
    assert spec.fragment_height == 255
    assert spec.cut == "none"
    assert spec.timeout_s == 2.5
    assert spec.width_px == 384


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("", "empty printer setting"),
        ("lpt1", "unknown printer"),
        ("ftp://x", "unknown printer"),
        ("dummy:x", "takes no argument"),
        ("spool:", "missing argument"),
        ("network:", "missing argument"),
        ("network:host:0", "port must be"),
        ("network:host:70000", "port must be"),
        ("network:host:http", "port must be"),
        ("network:host:", "port must be"),
        ("network:fe80::1", "IPv6 addresses in brackets"),
        ("network:[fe80::1", "malformed IPv6"),
        ("network:bad host", "not a valid host"),
        ("usb:04b8", "expected usb:VID:PID"),
        ("usb:0x4b8g:0x0202", "not a hex USB id"),
        ("usb:0x104b8:0x0202", "not a hex USB id"),
        ("serial:/dev/ttyS0:10", "baud rate 10 is out of range"),
        ("cups:bad/queue", "not a valid CUPS queue"),
        ("dummy?mode=fast", "mode must be one of"),
        ("dummy?impl=escpos", "impl must be one of"),
        ("dummy?cut=half", "cut must be one of"),
        ("dummy?timeout_s=0", "timeout_s must be"),
        ("dummy?timeout_s=soon", "timeout_s='soon' is not valid"),
        ("dummy?fragment_height=0", "fragment_height must be"),
        ("dummy?status=maybe", "status must be one of auto, on, off"),
        ("dummy?width_px=20", "width_px must be"),
        ("dummy?colour=red", "unknown option 'colour'"),
        ("dummy?mode=full&mode=compact", "given twice"),
        ("dummy?mode", "malformed options"),
    ],
)
def test_bad_uris_raise_one_line_value_error(uri: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_printer_uri(uri)
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_spec_validates_direct_construction() -> None:
    with pytest.raises(ValueError, match="network printer needs host, port"):
        PrinterSpec("network", {})
    with pytest.raises(ValueError, match="unknown printer transport 'lpt'"):
        PrinterSpec("lpt")


def test_spec_is_frozen_hashable_and_picklable() -> None:
    params = {"host": "10.0.0.7", "port": 9100}
    spec = PrinterSpec("network", params)
    params["port"] = 1  # the spec took a copy
    assert spec.params["port"] == 9100
    with pytest.raises(TypeError):
        spec.params["port"] = 1  # type: ignore[index]
    with pytest.raises(AttributeError):
        spec.mode = "compact"  # type: ignore[misc]
    assert hash(spec) == hash(parse_printer_uri("network:10.0.0.7:9100"))
    assert len({spec, parse_printer_uri("network:10.0.0.7")}) == 1
    assert pickle.loads(pickle.dumps(spec)) == spec


uris = st.one_of(
    st.just("dummy"),
    st.from_regex(r"spool:/[a-z0-9_/.-]{1,20}", fullmatch=True),
    st.builds(
        "network:{}:{}".format,
        st.from_regex(r"[a-z0-9][a-z0-9.-]{0,15}", fullmatch=True),
        st.integers(1, 65535),
    ),
    st.builds("usb:{:#06x}:{:#06x}".format, st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)),
    st.builds(
        "serial:/dev/tty{}:{}".format, st.sampled_from(["S0", "USB1"]), st.integers(300, 921600)
    ),
    st.from_regex(r"file:/dev/usb/lp[0-9]", fullmatch=True),
    st.from_regex(r"cups:[A-Za-z0-9_-]{1,12}", fullmatch=True),
)
options = st.fixed_dictionaries(
    {},
    optional={
        "mode": st.sampled_from(["full", "compact"]),
        "profile": st.sampled_from(["TM-T20II", "POS-5890", "TM-T88V"]),
        "cut": st.sampled_from(["full", "partial", "none"]),
        "fragment_height": st.integers(1, 4095),
        "timeout_s": st.floats(0.1, 60, allow_nan=False),
        "status": st.sampled_from(["auto", "on", "off"]),
    },
)


@given(uris, options)
def test_format_round_trips(uri: str, opts: dict[str, object]) -> None:
    spec = PrinterSpec(**{**_fields(parse_printer_uri(uri)), **opts})  # type: ignore[arg-type]
    assert parse_printer_uri(format_printer_uri(spec)) == spec
    assert parse_printer_uri(spec.uri) == spec


def _fields(spec: PrinterSpec) -> dict[str, object]:
    return {"transport": spec.transport, "params": dict(spec.params)}
