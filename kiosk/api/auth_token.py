"""API clients exchange a username and password for a bearer token."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from kiosk.api import endpoint, schemas
from kiosk.auth import sign_in
from kiosk.domain import accounts
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
    now = app.clock.now()
    # Throttled, failed and successful attempts are all audited (kiosk.auth.sign_in).
    result, issued = sign_in(
        body.username,
        body.password,
        via="token",
        then=lambda s, user: accounts.issue_user_token(s, user, now),
    )
    if result.outcome == "throttled":
        raise RateLimited(
            "Đăng nhập sai quá nhiều lần, xin thử lại sau 15 phút.",
            retry_after_s=900,
            en="Too many failed attempts; try again in 15 minutes.",
        )
    if issued is None:
        raise BadCredentials("Sai tên đăng nhập hoặc mật khẩu.", en="Wrong username or password.")
    token, expires = issued
    return jsonify({"token": token, "expires_at": local(app.clock, expires).isoformat()})
