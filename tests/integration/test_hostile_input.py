"""Hostile input anywhere is a 4xx and leaves the server healthy, on SQLite and PostgreSQL.

The sweep walks the OpenAPI document (every endpoint, every path and query parameter, every
body field) and every page route, as a caller each endpoint lets in, with NUL bytes, ids beyond
64 bits, non-ASCII digits, out-of-range dates, JSON nested thousands deep, oversized bodies and
the like. Nothing may answer 5xx and nothing may write an error (a traceback) to the log."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.settings import REPO_ROOT
from tests.conftest import Actions, app_on, database_url

DEMO = REPO_ROOT / "config"
PROCEDURE = "1.001193"

PATH_VALUES = [
    "%00",
    "a%00b",
    "9223372036854775808",  # 2**63
    "99999999999999999999999999",
    "-1",
    "0",
    "%C2%B2",  # ²
    "%D9%A3",  # Arabic-Indic three
    "%EF%BC%91",  # fullwidth one
    "x" * 300,
    "%C0%80",
    "%E2%80%AE",
    "..%2F..%2Fetc",
    "%25",
    "%FF%FE",
]
QUERY_VALUES = PATH_VALUES + [
    "9999-12-31",
    "0001-01-01",
    "2026-13-45",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "nan",
    "inf",
    "-inf",
    "1e400",
]
FEW_QUERY_VALUES = ["%00", "%C2%B2", "99999999999999999999999999", "9999-12-31", "x" * 300]
EXTRA_QUERY = ("day", "before", "from", "to", "limit", "since", "site", "lang", "next", "token")
FIELD_VALUES: list[Any] = [
    "a\x00b",
    "\x00",
    2**63,
    -(2**63) - 1,
    10**40,
    "x" * 100_000,
    [[[]]],
    {"a": {"b": {}}},
    None,
    True,
    -1,
    1.5,
]


def deep(n: int, kind: str) -> str:
    return ("[" * n + "]" * n) if kind == "list" else ('{"a":' * n + "1" + "}" * n)


RAW_BODIES: list[tuple[str, bytes]] = [
    ("application/json", deep(5000, "list").encode()),
    ("application/json", deep(5000, "dict").encode()),
    ("application/json", deep(40, "list").encode()),
    ("application/json", b'{"username": "a\\u0000", "password": "b\\u0000"}'),
    ("application/json", b'{"site": "hall", "service": "\\u0000"}'),
    ("application/json", b"NaN"),
    ("application/json", b'{"score": NaN}'),
    ("application/json", b'{"score": 1e400}'),
    ("application/json", b'{"ticket": 99999999999999999999999}'),
    ("application/json", b"\xff\xfe\x00"),
    ("application/json", b""),
    ("application/json", b"[]"),
    ("application/json", b'"\\u0000"'),
    ("application/json", b"{" + b'"a":1,' * 40_000 + b'"b":2}'),  # > 256 KiB: 413
    ("text/plain", b"\x00\x01\x02"),
    ("application/x-www-form-urlencoded", b"a=%00&b=%FF"),
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hostile(request: pytest.FixtureRequest, tmp_path: Path, clock: Any) -> Iterator[Actions]:
    url = database_url(request, tmp_path, "h.sqlite3")
    settings = {"public_url": "http://motcua.test", "printer": f"spool:{tmp_path / 'spool'}"}
    with app_on(url, tmp_path, clock, DEMO, secret_key="x", **settings) as app:
        yield Actions(app, app.test_client())


class Cast:
    def __init__(self, a: Actions) -> None:
        self.a = a
        self.tokens = {
            "staff": a.user("root", "admin"),
            "kiosk": a.device("kiosk-hall-1", "kiosk"),
            "display": a.device("tv", "display", display=1),
            "counter": a.device("tab", "counter", counter=1),
            "printer": a.device("kiosk-hall-1-printer", "printer"),
        }
        made = a.issue(self.tokens["staff"], service=self.service(), site="hall")
        assert made.status_code == 201, made.get_json()
        self.ticket = made.get_json()
        self.valid = {
            "site": "hall",
            "counter": "1",
            "display": "1",
            "ticket_id": str(self.ticket["id"]),
            "job_id": "1",
            "number": self.ticket["number"],
            "action": "recall",
            "service": self.service(),
        }

    def service(self) -> str:
        site = self.a.m.config.site("hall")
        assert site is not None
        return site.services[0].code

    def token_for(self, who: list[str]) -> str | None:
        if "anyone" in who:
            return None
        return self.tokens[next(w for w in ("staff", *self.tokens) if w in who)]


def openapi(a: Actions) -> dict[str, Any]:
    doc = a.client.get("/api/v1/openapi.json")
    assert doc.status_code == 200
    return dict(doc.get_json())


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, op


def who_of(op: dict[str, Any]) -> list[str]:
    text = op.get("description", "")
    if "security" not in op:
        return ["anyone"]
    kinds = ["staff", "kiosk", "display", "counter", "printer"]
    found = [k for k in kinds if k in text.lower()]
    return found or ["staff"]


def body_fields(doc: dict[str, Any], op: dict[str, Any]) -> list[str]:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return []
    schema = content["schema"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return list(schema.get("properties", {}))


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    caplog.set_level(logging.WARNING)
    records: list[logging.LogRecord] = []
    yield records
    records.extend(r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info)


def check(resp: Any, what: Any) -> None:
    assert resp.status_code < 500, (what, resp.status_code, resp.get_data(as_text=True)[:300])
    assert b"Traceback" not in resp.get_data(), what
    resp.close()  # a file sent (audio, QR) stays open until then


def test_every_api_endpoint_survives_hostile_input(
    hostile: Actions, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    cast = Cast(hostile)
    doc = openapi(hostile)
    all_ops = list(operations(doc))
    sweeps = [Sweep(cast, doc, method, path, op) for method, path, op in all_ops]
    tried = sum(sweep.run() for sweep in sweeps)
    reached = {(s.method, s.path) for s in sweeps if s.reached}
    assert tried > 1500
    assert len(reached) > 0.8 * len(all_ops), sorted({(m, p) for m, p, _ in all_ops} - reached)
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad[:5]]
    healthy(hostile, cast)


class Sweep:
    """Every hostile value for one operation, as a caller it lets in."""

    def __init__(self, cast: Cast, doc: dict[str, Any], method: str, path: str, op: Any) -> None:
        self.a, self.cast, self.method, self.path = cast.a, cast, method, path
        token = cast.token_for(who_of(op))
        self.headers = self.a.auth(token) if token else {}
        self.params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        self.query = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        self.base = self.url()
        self.fields = body_fields(doc, op)
        self.body: Any = dict.fromkeys(self.fields, "x") if self.fields else None
        self.reached = False  # the plain call found a route (the sweep is not all 404s)
        self.tried = 0

    def url(self, **override: str) -> str:
        values = {n: self.cast.valid.get(n, "x") for n in self.params}
        return self.path.format(**{**values, **override})

    def send(self, url: str, **kw: Any) -> None:
        kw.setdefault("json", self.body)
        kw.setdefault("headers", self.headers)
        resp = self.a.client.open(url, method=self.method, **kw)
        self.tried += 1
        if url == self.base and resp.status_code != 404:
            self.reached = True
        check(resp, (self.method, url, kw.get("json"), kw.get("data", b"")[:60]))

    def run(self) -> int:
        for name in self.params:
            for value in PATH_VALUES:
                self.send(self.url(**{name: value}))
        for name in self.query:
            for value in QUERY_VALUES:
                if name == "wait" and _is_float(value):
                    continue  # a long poll that would honestly wait up to 25 s
                self.send(f"{self.base}?{name}={value}")
        for name in EXTRA_QUERY:  # read by some views without being documented
            for value in FEW_QUERY_VALUES:
                self.send(f"{self.base}?{name}={value}")
        if self.method != "GET":
            for field in self.fields:
                for value in FIELD_VALUES:
                    self.send(self.base, json={**(self.body or {}), field: value})
            for kind, raw in RAW_BODIES:
                self.send(self.base, json=None, data=raw, content_type=kind)
        self.send(self.base, headers={**self.headers, "Idempotency-Key": "k\x00"})
        self.send(self.base, headers={**self.headers, "Accept-Language": "\x00" * 9 + ";q=2"})
        return self.tried


def healthy(a: Actions, cast: Cast) -> None:
    assert a.client.get("/healthz").status_code == 200
    again = a.issue(cast.tokens["staff"], service=cast.service(), site="hall")
    assert again.status_code == 201


def page_rules(a: Actions) -> list[Any]:
    return [
        r
        for r in a.app.url_map.iter_rules()
        if not r.rule.startswith(("/api/", "/static/", "/socket.io"))
    ]


def test_every_page_survives_hostile_input(
    hostile: Actions, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    a = hostile
    cast = Cast(a)
    from tests.integration.test_console import login

    admin = a.app.test_client()
    a.user("pageadmin", "admin")
    csrf = login(admin, "pageadmin")
    tried = 0
    for rule in page_rules(a):
        names = list(rule.arguments)
        valid = {n: cast.valid.get(n, "x") for n in names}
        valid.update(code=cast.ticket["code"]) if "code" in names else None
        valid.update(display_id="1") if "display_id" in names else None
        for client in (a.client, admin):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                urls = []
                for n in names:
                    for value in PATH_VALUES:
                        urls.append(_fill(rule.rule, {**valid, n: value}))
                base = _fill(rule.rule, valid)
                urls += [f"{base}?{n}={v}" for n in EXTRA_QUERY for v in FEW_QUERY_VALUES]
                urls += [f"{base}?{n}={v}" for n in ("day", "before") for v in QUERY_VALUES]
                for url in urls:
                    data = {"csrf_token": csrf} if method == "POST" else None
                    check(client.open(url, method=method, data=data), (method, url))
                    tried += 1
                if method == "POST":
                    for form in (
                        {"username": "root\x00", "password": "x", "csrf_token": csrf},
                        {"username": "root", "password": "\x00", "csrf_token": csrf},
                        {"counter": "hall:%C2%B2", "csrf_token": csrf},
                        {"counter": "hall:99999999999999999999999", "csrf_token": csrf},
                        {"username": "x" * 100_000, "password": "y" * 300_000},
                    ):
                        check(client.open(base, method="POST", data=form), (base, form))
                        tried += 1
    # The counter console's remembered-counter cookie.
    admin.set_cookie("motcua_counter", "hall:²")
    check(admin.get("/counter?pick=1"), "counter cookie")
    assert tried > 1000
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad[:5]]
    healthy(a, cast)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _fill(rule: str, values: dict[str, str]) -> str:
    import re

    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule)


def test_login_form_and_token_with_nul_are_400(hostile: Actions) -> None:
    a = hostile
    a.user("anna", "staff")
    client = a.client
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    form = {"username": "anna\x00", "password": "p", "csrf_token": csrf}
    assert client.post("/login", data=form).status_code == 400
    token = client.post("/api/v1/auth/token", json={"username": "a\x00", "password": "b"})
    assert token.status_code in (400, 422)
    assert client.get("/api/v1/track/%00").status_code in (400, 404)
    assert client.get("/t/abc%00").status_code in (400, 404)


def test_json_limits(hostile: Actions) -> None:
    """The strict parser's edges: depth 32 passes, 33 does not; 2**63-1 passes, 2**63 not."""
    from kiosk.inputs import strict_loads

    assert strict_loads(deep(32, "list")) is not None
    with pytest.raises(ValueError):
        strict_loads(deep(33, "list"))
    assert strict_loads(str(2**63 - 1)) == 2**63 - 1
    for text in (str(2**63), str(-(2**63) - 1), "NaN", "-Infinity", "1e999", '"\\u0000"'):
        with pytest.raises(ValueError):
            strict_loads(text)
    assert strict_loads(json.dumps({"a": "ế"})) == {"a": "ế"}


def nested(n: int) -> Any:
    value: Any = 1
    for _ in range(n):
        value = {"a": value}
    return value


SOCKET_AUTH: list[Any] = [
    None,
    "x",
    [],
    {"token": "\x00"},
    {"token": 2**64},
    {"token": ["a"]},
    {"display": 2**64},
    {"display": -1},
    {"display": "1"},
    {"display": True},
    {"track": "\x00" * 50},
    {"track": "x" * 10_000},
    {"site": {"a": 1}},
    {"token": nested(30)},
]


def test_socket_handlers_survive_hostile_input(
    hostile: Actions, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    a = hostile
    cast = Cast(a)
    sio = a.m.socketio
    for namespace in ("/display", "/live"):
        for auth in SOCKET_AUTH:
            sc = sio.test_client(a.app, namespace=namespace, auth=auth)
            if sc.is_connected(namespace):
                sc.disconnect(namespace=namespace)
    tv = sio.test_client(a.app, namespace="/display", auth={"token": cast.tokens["display"]})
    assert tv.is_connected("/display")
    for payload in (None, "\x00", 2**70, nested(25), [nested(20)] * 3, {"since": 2**70}):
        tv.emit("state", payload, namespace="/display")
        tv.emit("unknown-event", payload, namespace="/display")
    assert tv.is_connected("/display")
    tv.disconnect(namespace="/display")
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad[:5]]
    healthy(a, cast)
