"""Hostile input stops here, before any view or query sees it.

* JSON bodies (every ``request.get_json``) are parsed by :class:`StrictJSONProvider`: nesting
  deeper than :data:`MAX_JSON_DEPTH`, NUL characters, integers beyond 64 bits and
  ``NaN``/``Infinity`` are refused as malformed JSON (400, or 422 where a view reads the body
  leniently) instead of reaching the database or blowing Python's stack;
* Socket.IO packets are decoded the same way (:class:`SocketPacket`);
* URL converters: ``<int:…>`` takes ASCII digits up to 2⁶³−1 and plain ``<name>`` segments hold
  no control characters and at most 200 characters; anything else is simply not a route (404);
* :func:`refuse_nul` (before every request): a NUL anywhere in the path, the query string, a
  form field or a header is a 400. PostgreSQL cannot store NUL in text at all, and no honest
  client sends one;
* views read typed query values with :func:`arg_int` and :func:`parse_date` /
  :func:`parse_datetime` (ASCII digits, bounded ranges, years 2000–2199).
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from typing import Any

import socketio.packet
from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter, UnicodeConverter

from kiosk.domain.errors import InvalidInput

MAX_JSON_DEPTH = 32
INT64_MAX = 2**63 - 1
FIRST_YEAR, LAST_YEAR = 2000, 2199  # wide enough for any business day, far from overflow
_DIGITS = re.compile(r"[0-9]{1,19}")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def strict_loads(text: str | bytes) -> Any:
    """``json.loads`` that raises ValueError for what :mod:`kiosk.inputs` refuses."""
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:  # the C scanner recurses per level
        raise ValueError("JSON nested too deeply") from None
    _check(data)
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _check(data: Any) -> None:
    # Iterative: the depth limit is what protects every recursive consumer downstream.
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError("NUL in a string")
        elif isinstance(value, bool) or value is None or isinstance(value, float):
            continue
        elif isinstance(value, int):
            if not -INT64_MAX - 1 <= value <= INT64_MAX:
                raise ValueError("integer beyond 64 bits")
        elif isinstance(value, (list, dict)):
            if depth > MAX_JSON_DEPTH:
                raise ValueError("JSON nested too deeply")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and "\x00" in key:
                    raise ValueError("NUL in a key")
                stack.append((item, depth + 1))


class _SocketJSON:
    """The JSON of Socket.IO packets: :func:`strict_loads`, and a payload it refuses becomes
    :data:`REFUSED_PAYLOAD` instead of an exception (which Socket.IO would log with its
    traceback): as a connect packet's ``auth`` it is no credential (refused), as an event it
    names an event nobody handles (ignored)."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: str | bytes, **_: Any) -> Any:
        try:
            return strict_loads(text)
        except ValueError:
            return list(REFUSED_PAYLOAD)


REFUSED_PAYLOAD = ("refused-payload",)


class SocketPacket(socketio.packet.Packet):
    """Socket.IO's packet with :class:`_SocketJSON` (set as the server's ``packet_class``)."""

    json = _SocketJSON


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON with :func:`strict_loads` for everything it decodes."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s)


class Int64Converter(IntegerConverter):
    """``<int:…>``: ASCII digits only (``\\d`` would take any script's digits), at most 2⁶³−1."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT64_MAX)
        super().__init__(map, *args, **kwargs)


class SegmentConverter(UnicodeConverter):
    """The default ``<name>`` converter without control characters (NUL included)."""

    def __init__(self, map: Any, minlength: int = 1, maxlength: int = 200) -> None:
        super().__init__(map, minlength=minlength, maxlength=maxlength)
        self.regex = f"[^/\\x00-\\x1f\\x7f]{{{minlength},{maxlength}}}"


def refuse_nul() -> None:
    """400 for a NUL in the path, query, form fields or headers (see the module docstring)."""
    environ = request.environ
    if "\x00" in environ.get("PATH_INFO", "") or _nul_in_query(environ.get("QUERY_STRING", "")):
        abort(400)
    # The headers straight from the WSGI environ (HTTP_*, CONTENT_TYPE, CONTENT_LENGTH):
    # what request.headers would list, without building its view on every request.
    if any(
        "\x00" in value
        for key, value in environ.items()
        if key.startswith(_HEADER_KEYS) and isinstance(value, str)
    ):
        abort(400)
    if environ.get("CONTENT_TYPE") and request.mimetype in _FORMS:
        for key, value in request.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


_HEADER_KEYS = ("HTTP_", "CONTENT_TYPE", "CONTENT_LENGTH")


def _nul_in_query(query: str) -> bool:
    return "%00" in query or "\x00" in query


def arg_int(name: str, default: int, lo: int, hi: int) -> int:
    """The query parameter ``name`` as an int within lo…hi (ASCII digits), else InvalidInput."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not _DIGITS.fullmatch(raw) or not lo <= int(raw) <= hi:
        raise InvalidInput(
            f"'{name}' phải là số từ {lo} đến {hi}.",
            en=f"'{name}' must be a number from {lo} to {hi}.",
            field=name,
        )
    return int(raw)


def parse_date(text: str | None) -> date | None:
    """An ISO date of a plausible year (2000–2199), else None."""
    try:
        found = date.fromisoformat(text or "")
    except ValueError:
        return None
    return found if FIRST_YEAR <= found.year <= LAST_YEAR else None


def parse_datetime(text: str | None) -> datetime | None:
    """An ISO instant with its UTC offset, of a plausible year, else None."""
    try:
        found = datetime.fromisoformat(text or "")
    except ValueError:
        return None
    if found.tzinfo is None or not FIRST_YEAR <= found.year <= LAST_YEAR:
        return None
    return found


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: rules pick their converters when added."""
    app.json = StrictJSONProvider(app)
    app.url_map.converters["int"] = Int64Converter
    app.url_map.converters["default"] = SegmentConverter
    app.url_map.converters["string"] = SegmentConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul)
