"""Request and response bodies of API v1: they validate input and generate the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class IssueTicketIn(In):
    site: Code
    service: Code
    priority: Code | None = None
    procedure: Code | None = None
    # The citizen's language at the kiosk: the ticket prints in it ("vi" unless "en").
    lang: Literal["vi", "en"] | None = None


class PrintStatus(Out):
    status: Literal["queued", "printed", "failed", "none"]


class TicketOut(Out):
    id: int
    code: str
    number: str
    site: str
    service: str
    priority: str | None
    status: Literal[
        "waiting", "called", "serving", "done", "no_show", "held", "transferred", "cancelled"
    ]
    issued_at: datetime
    called_at: datetime | None
    counter: int | None
    ahead: int
    estimated_wait_s: int
    estimated_wait_min: int  # as citizens see it (0: "very soon"): one rule for paper and pages
    track_url: str
    print: PrintStatus
    service_name: str
    procedure: str | None
    note: str | None


class TrackOut(Out):
    """Public status behind the tracking code: nothing personal, no internal ids."""

    number: str
    site: str
    site_name: str
    service: str
    service_name: str
    status: str
    issued_at: datetime
    called_at: datetime | None
    counter: int | None
    counter_name: str | None
    ahead: int
    estimated_wait_s: int
    estimated_wait_min: int
    can_rate: bool


class SiteOut(Out):
    code: str
    name: str
    address: str
    name_en: str
    guide: bool


class ServiceOut(Out):
    code: str
    prefix: str
    name: str
    name_en: str
    open: bool
    waiting: int
    estimated_wait_s: int
    estimated_wait_min: int
    closed_reason: Literal["closed", "daily_cap_reached"] | None
    reopens_at: datetime | None
    after_cutoff: bool


class CounterOut(Out):
    number: int
    name: str
    services: list[str]
    status: Literal["closed", "idle", "serving", "paused"]
    pause_reason: str | None
    current: str | None


class DisplayOut(Out):
    id: int
    name: str
    counters: list[int]


class PriorityGroupOut(Out):
    code: str
    name: str
    name_en: str


class ActionIn(In):
    """Optional body of an action: ``transfer`` needs ``service``; ``resume`` and ``recall``
    accept ``counter``."""

    service: Code | None = None
    note: Annotated[str, StringConstraints(max_length=500)] | None = None
    counter: Annotated[int, Field(ge=1, le=999)] | None = None


class CallNextIn(In):
    current: Annotated[int, Field(ge=1)] | None


class CallTicketIn(In):
    ticket: Annotated[int, Field(ge=1)]


class PauseIn(In):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class RatingIn(In):
    score: Annotated[int, Field(ge=1, le=10)]
    reasons: Annotated[list[Code], Field(max_length=10)] = []
    comment: Annotated[str, StringConstraints(max_length=500)] | None = None


class RatingOut(Out):
    score: int
    scale: int
    label: str


class TokenIn(In):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[
        str, StringConstraints(min_length=1, max_length=256, strip_whitespace=False)
    ]


class TokenOut(Out):
    token: str
    expires_at: datetime


class CallItem(Out):
    counter: int
    number: str
    service: str
    called_at: datetime


class DisplayStateOut(Out):
    event_id: int
    now_serving: list[CallItem]
    recent: list[CallItem]


class ErrorDetail(Out):
    code: str
    message: str


class ErrorOut(Out):
    error: ErrorDetail
