"""API clients exchange a username and password for a bearer token."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from kiosk.api import endpoint, schemas
from kiosk.domain import access, accounts
from kiosk.domain.clock import local
from kiosk.domain.errors import DomainError, RateLimited
from kiosk.services import ctx


class BadCredentials(DomainError):
    code = "invalid_credentials"


@endpoint(
    "/auth/token",
    "POST",
    summary="Get a user token (429 after 10 failures in 15 min)",
    body=schemas.TokenIn,
    response=schemas.TokenOut,
    errors=(401, 422, 429),
)
def issue_token(body: schemas.TokenIn) -> Any:
    app = ctx()
    address = request.remote_addr or "?"
    now = app.clock.now()
    with app.db.transaction() as s:
        # Throttled, failed and successful attempts are all audited (access.sign_in).
        result = access.sign_in(s, body.username, body.password, address, now, via="token")
        if result.row is not None:
            token, expires = accounts.issue_user_token(s, result.row, now)
    # The failure and audit rows are committed before answering.
    if result.outcome == "throttled":
        raise RateLimited(
            "Đăng nhập sai quá nhiều lần, xin thử lại sau 15 phút.",
            900,
            en="Too many failed attempts; try again in 15 minutes.",
        )
    if result.row is None:
        raise BadCredentials("Sai tên đăng nhập hoặc mật khẩu.", en="Wrong username or password.")
    return jsonify({"token": token, "expires_at": local(app.clock, expires).isoformat()})
