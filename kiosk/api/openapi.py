"""The OpenAPI 3.1 document, generated from the endpoint registry and its pydantic models."""

from __future__ import annotations

import typing
from functools import cache
from typing import Any

from flask import jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from kiosk.api import ENDPOINTS, Endpoint, endpoint, schemas

WHO_TEXT = {
    "anyone": "anyone",
    "staff": "staff (user token or session)",
    "kiosk": "kiosk device",
    "display": "display device",
    "counter": "counter (rating) device",
    "printer": "printer agent device",
}
REASONS = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict with the current state",
    422: "Invalid input",
    429: "Too many requests",
}


def _models(e: Endpoint) -> list[type[BaseModel]]:
    found = [e.body] if e.body else []
    resp = e.response
    if isinstance(resp, type) and issubclass(resp, BaseModel):
        found.append(resp)
    elif typing.get_origin(resp) is list:
        found.append(typing.get_args(resp)[0])
    return found


@cache
def build_document() -> dict[str, Any]:
    models = {m for e in ENDPOINTS for m in _models(e)} | {schemas.ErrorOut}
    _, defs = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for e in ENDPOINTS:
        paths.setdefault("/api/v1" + e.path, {})[e.method.lower()] = _operation(e)
    return {
        "openapi": "3.1.0",
        "info": {"title": "motcua API", "version": "1"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _ref(model: Any) -> dict[str, Any]:
    if typing.get_origin(model) is list:
        return {"type": "array", "items": _ref(typing.get_args(model)[0])}
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(e: Endpoint) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": e.summary,
        "description": "Who: " + ", ".join(WHO_TEXT[w] for w in e.who) + ".",
        "operationId": f"{e.method.lower()}_{e.path.strip('/').replace('/', '_')}".replace("{", "")
        .replace("}", "")
        .replace("-", "_")
        .replace(".", "_"),
        "parameters": [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if conv == "int" else "string"},
            }
            for name, conv in e.params.items()
        ]
        + [
            {"name": q, "in": "query", "required": False, "schema": {"type": "string"}}
            for q in e.query
        ],
        "responses": {},
    }
    if "anyone" not in e.who:
        op["security"] = [{"bearer": []}]
    if e.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(e.body)}},
        }
    if e.response == "binary":
        content = {e.content_type: {"schema": {"type": "string", "format": "binary"}}}
    elif e.response is not None:
        content = {"application/json": {"schema": _ref(e.response)}}
    else:
        content = {"application/json": {"schema": {"type": "object"}}}
    op["responses"][str(e.status)] = {"description": "Success", "content": content}
    if e.path.endswith("call-next"):
        op["responses"]["204"] = {"description": "Nothing waits for this counter"}
    for code in e.errors:
        op["responses"][str(code)] = {
            "description": REASONS.get(code, "Error"),
            "content": {"application/json": {"schema": _ref(schemas.ErrorOut)}},
        }
    return op


@endpoint("/openapi.json", "GET", summary="This document")
def openapi_document() -> Any:
    return jsonify(build_document())
