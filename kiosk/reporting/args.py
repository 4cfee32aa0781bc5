"""A report's query from URL parameters, for the API and the ``/reports`` page alike."""

from __future__ import annotations

import re
from datetime import date

from werkzeug.datastructures import MultiDict

from kiosk.domain.errors import InvalidInput
from kiosk.domain.reports import Filters, ReportQuery, period
from kiosk.inputs import parse_date

PERIODS = ("day", "week", "month", "quarter", "year", "custom")
_COUNTER = re.compile(r"[0-9]{1,4}")
_TEXT = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _date(args: MultiDict[str, str], name: str) -> date:
    found = parse_date(args.get(name))
    if found is None:
        raise InvalidInput(
            f"'{name}' phải là một ngày dạng YYYY-MM-DD (năm 2000–2199).",
            en=f"'{name}' must be a date YYYY-MM-DD (years 2000 to 2199).",
            field=name,
        )
    return found


def _text(args: MultiDict[str, str], name: str) -> str | None:
    raw = args.get(name) or None
    if raw is not None and not _TEXT.fullmatch(raw):
        raise InvalidInput(f"'{name}' không hợp lệ.", en=f"'{name}' is invalid.", field=name)
    return raw


def filters(args: MultiDict[str, str]) -> Filters:
    """The optional filters; InvalidInput for a malformed one (unknown codes are checked
    against the configuration by the report itself)."""
    raw = args.get("counter") or None
    if raw is not None and not _COUNTER.fullmatch(raw):
        raise InvalidInput("'counter' phải là số quầy.", en="'counter' must be a number.")
    return Filters(
        service=_text(args, "service"),
        counter=int(raw) if raw is not None else None,
        officer=_text(args, "officer"),
        priority=_text(args, "priority"),
    )


def api_query(args: MultiDict[str, str]) -> ReportQuery:
    """``site``, ``from``, ``to`` (required), ``by`` (default ``service``) and the filters."""
    site = _text(args, "site")
    if site is None:
        raise InvalidInput("Thiếu 'site'.", en="'site' is required.", field="site")
    return ReportQuery(
        site, _date(args, "from"), _date(args, "to"), args.get("by", "service"), filters(args)
    )


def page_query(args: MultiDict[str, str], site: str, today: date) -> tuple[str, ReportQuery]:
    """The page's period (``period`` and ``date``, or ``from``/``to`` when custom) and
    filters; the default is this month. Returns (period, query)."""
    kind = args.get("period") or "month"
    if kind not in PERIODS:
        raise InvalidInput("Kỳ báo cáo không hợp lệ.", en="Unknown period.", field="period")
    if kind == "custom":
        start, end = _date(args, "from"), _date(args, "to")
    else:
        anchor = _date(args, "date") if args.get("date") else today
        start, end = period(kind, anchor)
    by = args.get("by", "service")
    return kind, ReportQuery(site, start, end, by, filters(args))
