"""HTTP API v1. Every endpoint is declared with :func:`endpoint`, which validates the body
with the same pydantic model the OpenAPI document is generated from. Under test, every answer
with the declared status is checked against the declared response model too, so the document
cannot drift from what the views really send."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, request
from pydantic import BaseModel, TypeAdapter, ValidationError

from kiosk.auth import Caller, current_caller
from kiosk.domain.errors import DomainError, Forbidden, InvalidInput

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Unauthorized(DomainError):
    code = "unauthorized"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # OpenAPI style: /tickets/{ticket_id}
    summary: str
    who: tuple[str, ...]
    body: type[BaseModel] | None
    response: Any
    status: int
    errors: tuple[int, ...]
    params: dict[str, str] = field(default_factory=dict)
    query: tuple[str, ...] = ()
    content_type: str = "application/json"


ENDPOINTS: list[Endpoint] = []
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def endpoint(
    rule: str,
    method: str,
    *,
    summary: str,
    who: Iterable[str] = ("anyone",),
    body: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    errors: Iterable[int] = (),
    query: Iterable[str] = (),
    content_type: str = "application/json",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view. ``who`` lists the callers allowed in: ``anyone``, ``staff`` (any user),
    or a device kind (``kiosk``, ``display``, ``counter``, ``printer``); the view refines the
    check (site, bound display, issuing kiosk). With ``body`` the view gets ``body=model``."""
    who = tuple(who)
    params = {name: conv or "string" for conv, name in _CONVERTER.findall(rule)}
    path = _CONVERTER.sub(r"{\2}", rule)
    ENDPOINTS.append(
        Endpoint(
            method,
            path,
            summary,
            who,
            body,
            response,
            status,
            tuple(errors),
            params,
            tuple(query),
            content_type,
        )
    )

    declared = TypeAdapter(response) if response is not None else None

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            if "anyone" not in who:
                kwargs["caller"] = require(who)
            if body is not None:
                kwargs["body"] = parse_body(body)
            result = view(**kwargs)
            if declared is not None and current_app.testing:
                result = _check_response(result, declared, status)
            return result

        bp.add_url_rule(rule, view.__name__, wrapper, methods=[method])
        return wrapper

    return decorate


def _check_response(result: Any, declared: TypeAdapter[Any], status: int) -> Any:
    """The answer as Flask sends it; raises pydantic's ValidationError (a failing test) when a
    JSON answer with the declared status does not match the declared model."""
    resp = current_app.make_response(result)
    if resp.status_code == status and resp.is_json:
        declared.validate_python(resp.get_json())
    return resp


def require(who: tuple[str, ...]) -> Caller:
    caller = current_caller()
    if caller is None:
        raise Unauthorized("Cần đăng nhập hoặc mã thiết bị hợp lệ.", en="Authentication required.")
    if caller.user is not None and "staff" in who:
        return caller
    if caller.device is not None and caller.device.kind in who:
        return caller
    raise Forbidden("Không có quyền thực hiện thao tác này.", en="Not allowed for this caller.")


def parse_body(model: type[BaseModel]) -> BaseModel:
    data = request.get_json(silent=True)
    if data is None:
        raise InvalidInput(
            "Nội dung yêu cầu phải là JSON.", en="The request body must be JSON.", field=None
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        raise InvalidInput(
            f"Trường '{loc}' không hợp lệ: {err['msg']}.",
            en=f"Field '{loc}' is invalid: {err['msg']}.",
            field=loc,
        ) from None


from kiosk.api import (  # noqa: E402,F401
    admin_config,
    auth_token,
    console,
    counters,
    guide,
    openapi,
    printing,
    procedures,
    reports,
    sites,
    tickets,
)
