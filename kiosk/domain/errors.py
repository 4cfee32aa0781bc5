"""Named domain failures. The errors blueprint maps each ``code`` to an HTTP status."""

from __future__ import annotations

from datetime import datetime
from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, en: str | None = None, **extra: Any) -> None:
        """``message`` is Vietnamese; ``en`` the English text (a generic one if omitted)."""
        super().__init__(message)
        self.message = message
        self.en = en
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class InvalidInput(DomainError):
    code = "invalid_input"


class InvalidTransition(DomainError):
    """The action is impossible from the ticket's current status."""

    code = "invalid_transition"


class Conflict(DomainError):
    code = "conflict"


class ServiceClosed(DomainError):
    code = "service_closed"

    def __init__(self, message: str, reopens_at: datetime | None, en: str | None = None) -> None:
        super().__init__(message, en, reopens_at=reopens_at)
        self.reopens_at = reopens_at


class DailyCapReached(ServiceClosed):
    code = "daily_cap_reached"


class IdempotencyMismatch(DomainError):
    code = "idempotency_key_reused"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int, en: str | None = None) -> None:
        super().__init__(message, en, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s
