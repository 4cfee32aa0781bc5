"""One place that maps failures to responses: the documented JSON error under /api/v1,
a friendly page for people. Never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from kiosk import diskfull
from kiosk.domain import errors as d

log = logging.getLogger(__name__)

STATUS = {
    d.NotFound: 404,
    d.Forbidden: 403,
    d.InvalidInput: 422,
    d.InvalidTransition: 409,
    d.Conflict: 409,
    d.ServiceClosed: 409,
    d.IdempotencyMismatch: 422,
    d.RateLimited: 429,
}
GENERIC_EN = {
    "not_found": "Not found.",
    "forbidden": "Not allowed.",
    "invalid_input": "Invalid input.",
    "invalid_transition": "This action is not possible in the ticket's current state.",
    "conflict": "Conflict with the current state.",
    "service_closed": "The service is closed now.",
    "daily_cap_reached": "No more tickets for this service today.",
    "idempotency_key_reused": "This Idempotency-Key was used with a different request.",
    "rate_limited": "Too many requests; try again later.",
    "unauthorized": "Authentication required.",
    "invalid_credentials": "Wrong username or password.",
}
HTTP_VI = {
    400: "Yêu cầu không hợp lệ.",
    401: "Cần đăng nhập.",
    403: "Không có quyền.",
    404: "Không tìm thấy.",
    405: "Phương thức không được hỗ trợ.",
    413: "Nội dung gửi lên quá lớn.",
    415: "Kiểu nội dung không được hỗ trợ.",
    429: "Quá nhiều yêu cầu.",
    500: "Lỗi hệ thống, xin thử lại.",
    503: "Hệ thống tạm thời không phục vụ được, xin thử lại sau.",
}


def wants_english() -> bool:
    best = request.accept_languages.best_match(["vi", "en"])
    return best == "en" or request.args.get("lang") == "en"


def status_of(exc: d.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return {"unauthorized": 401, "invalid_credentials": 401}.get(exc.code, 400)


def error_body(code: str, vi: str, en: str | None, **extra: Any) -> dict[str, Any]:
    message = (en or GENERIC_EN.get(code, vi)) if wants_english() else vi
    return {"error": {"code": code, "message": message, **extra}}


def route_of_request() -> str:
    """The matched route's pattern (``/t/<code>``), never the values in the path."""
    rule = request.url_rule
    return rule.rule if rule is not None else "(no route)"


def _is_api() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(d.DomainError)
    def domain_error(exc: d.DomainError) -> Any:
        status = status_of(exc)
        extra = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in exc.extra.items()
            if v is not None
        }
        if "reopens_at" in exc.extra and exc.extra["reopens_at"] is not None:
            from kiosk.domain.clock import local
            from kiosk.services import ctx

            extra["reopens_at"] = local(ctx().clock, exc.extra["reopens_at"]).isoformat()
        if _is_api() or request.accept_mimetypes.best == "application/json":
            resp = jsonify(error_body(exc.code, exc.message, exc.en, **extra))
            resp.status_code = status
            if status == 429 and "retry_after_s" in exc.extra:
                resp.headers["Retry-After"] = str(exc.extra["retry_after_s"])
            if status == 401:
                resp.headers["WWW-Authenticate"] = "Bearer"
            return resp
        return _page(status, exc.en if wants_english() else exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if _is_api():
            code = (exc.name or "error").lower().replace(" ", "_")
            resp = jsonify(error_body(code, HTTP_VI.get(status, exc.name or "Lỗi"), f"{exc.name}."))
            resp.status_code = status
            if status == 405 and isinstance(exc.get_response(), Response):
                allow = exc.get_response().headers.get("Allow")
                if allow:
                    resp.headers["Allow"] = allow
            return resp
        return _page(status, exc.name if wants_english() else HTTP_VI.get(status, exc.name))

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError) -> Any:
        if exc.connection_invalidated:
            # The server cut the connection (a PostgreSQL restart): SQLAlchemy has dropped
            # the pool's connections, and a retry a moment later gets a fresh one.
            log.warning("database connection lost on %s %s", request.method, route_of_request())
            return _unavailable(
                "database_unavailable",
                "Mất kết nối cơ sở dữ liệu, xin thử lại.",
                "The database connection was lost; please try again.",
                retry_after_s=1,
            )
        if not diskfull.is_storage_failure(exc):
            return unexpected(exc)
        diskfull.note_failure(exc, f"{request.method} {route_of_request()}")
        return _unavailable(
            "storage_unavailable",
            "Hệ thống tạm thời không lưu được dữ liệu, xin thử lại sau.",
            "The system cannot save data right now; please try again later.",
            retry_after_s=60,
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        # The route, not the path: paths carry tracking codes and enrollment tokens.
        log.exception("unhandled error on %s %s", request.method, route_of_request())
        if _is_api():
            resp = jsonify(
                error_body("internal_error", HTTP_VI[500], "Internal error; please try again.")
            )
            resp.status_code = 500
            return resp
        return _page(500, HTTP_VI[500])


def _unavailable(code: str, vi: str, en: str, *, retry_after_s: int) -> Any:
    """503 with ``Retry-After``: JSON for the API, a page for people."""
    if _is_api():
        resp = jsonify(error_body(code, vi, en))
        resp.status_code = 503
        resp.headers["Retry-After"] = str(retry_after_s)
        return resp
    return _page(503, en if wants_english() else vi)


def _page(status: int, message: str | None) -> Any:
    try:
        return render_template("errors/error.html", status=status, message=message), status
    except Exception:  # the error page itself must not fail
        return Response(f"{status} {message}", status=status, mimetype="text/plain")
