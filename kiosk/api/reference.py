"""The HTTP API reference in Markdown, written from the OpenAPI document.

``scripts/interface-docs`` puts it into ``docs/interface.md`` (see :mod:`kiosk.interface_docs`).
"""

from __future__ import annotations

from typing import Any


def render(document: dict[str, Any]) -> str:
    """The endpoint table, then one table of fields per schema the endpoints use."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    lines = [
        "| method and path | who | what | success | errors |",
        "|---|---|---|---|---|",
    ]
    for path, operations in sorted(document["paths"].items()):
        for method, op in sorted(operations.items()):
            lines.append(_endpoint_row(method, path, op))
    lines += ["", "Bodies and answers (a `?` after a name: optional, or may be null):", ""]
    for name in sorted(_used(document, schemas)):
        lines += _schema_section(name, schemas[name])
    return "\n".join(lines).rstrip() + "\n"


def _endpoint_row(method: str, path: str, op: dict[str, Any]) -> str:
    who = op.get("description", "").removeprefix("Who: ").rstrip(".")
    success = []
    errors = []
    for code, answer in op["responses"].items():
        if code.startswith("2"):
            success.append(f"{code} {_answer_type(answer)}".strip())
        else:
            errors.append(code)
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    what = op["summary"]
    if body:
        what += f"; body {_type(body['schema'])}"
    query = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
    shown = path + ("?" + "&".join(f"{q}=" for q in query) if query else "")
    cells = [f"`{method.upper()} {shown}`", who, what, "; ".join(success), ", ".join(errors)]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _answer_type(answer: dict[str, Any]) -> str:
    content = answer.get("content", {})
    if not content:
        return f"({answer.get('description', '').lower()})"
    kind, media = next(iter(content.items()))
    if kind != "application/json":
        return f"`{kind}`"
    schema = media.get("schema", {})
    return "" if schema == {"type": "object"} else _type(schema)


def _used(document: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """Every schema reachable from an endpoint."""
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[-1]
                if name not in seen and name in schemas:
                    seen.add(name)
                    walk(schemas[name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document["paths"])
    return seen


def _schema_section(name: str, schema: dict[str, Any]) -> list[str]:
    out = [
        f"**{name}**" + (f": {_one_line(schema['description'])}" if "description" in schema else "")
    ]
    if "enum" in schema:
        return [*out, "", " · ".join(f"`{v}`" for v in schema["enum"]), ""]
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    if not props:
        return [*out, "", _type(schema), ""]
    out += ["", "| field | type | notes |", "|---|---|---|"]
    for field, spec in props.items():
        optional = field not in required or _nullable(spec)
        notes = _one_line(spec.get("description", ""))
        if "default" in spec and spec["default"] not in (None, [], {}):
            notes = (notes + "; " if notes else "") + f"default `{_literal(spec['default'])}`"
        shown = f"`{field}`" + ("?" if optional else "")
        out.append("| " + " | ".join(_cell(c) for c in (shown, _type(spec), notes)) + " |")
    return [*out, ""]


def _nullable(spec: dict[str, Any]) -> bool:
    return any(alt.get("type") == "null" for alt in spec.get("anyOf", []))


def _type(spec: dict[str, Any]) -> str:
    """A compact type: ``string (1–32)``, ``integer ≥ 1``, ``[Ticket]``, ``"a" | "b"``."""
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in spec:
        alts = [a for a in spec["anyOf"] if a.get("type") != "null"]
        return " | ".join(_type(a) for a in alts) or "null"
    if "enum" in spec:
        return " | ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in spec["enum"])
    if "const" in spec:
        return f'"{spec["const"]}"'
    kind = spec.get("type")
    if kind == "array":
        inner = _type(spec.get("items", {}))
        limit = f" (≤ {spec['maxItems']})" if "maxItems" in spec else ""
        return f"[{inner}]{limit}"
    if kind == "object":
        values = spec.get("additionalProperties")
        if isinstance(values, dict):
            limit = f" (≤ {spec['maxProperties']})" if "maxProperties" in spec else ""
            return f"{{string: {_type(values)}}}{limit}"
        return "object"
    if kind == "string":
        text = "string"
        if spec.get("format") in ("date-time", "date"):
            text = spec["format"]
        elif "pattern" in spec:
            text += f" matching `{spec['pattern']}`"
        return text + _bounds(spec.get("minLength"), spec.get("maxLength"), " chars")
    if kind in ("integer", "number"):
        low = spec.get("minimum", spec.get("exclusiveMinimum"))
        high = spec.get("maximum", spec.get("exclusiveMaximum"))
        return str(kind) + _bounds(low, high, "")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    return str(kind or "any")


def _bounds(low: Any, high: Any, unit: str) -> str:
    if low is not None and high is not None:
        return f" ({low}–{high}{unit})"
    if high is not None:
        return f" (≤ {high}{unit})"
    if low is not None and low != 0:
        return f" (≥ {low}{unit})"
    return ""


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
