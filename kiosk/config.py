"""Load and validate the `config/` folder once, into frozen objects.

Layout of the folder:

* ``motcua.yaml`` — organisation, priority groups and policy, rating scale, calling, announcement;
* ``sites/*.yaml`` — one file per site: services, counters, displays, kiosks and their printers;
* ``procedures.yaml`` — the procedure catalogue (loaded by :mod:`kiosk.catalogue`).

Any problem raises :class:`ConfigError` whose message names the file, the entry and the field.
Nothing here reads configuration at import time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {"daily": WEEKDAYS, "weekdays": WEEKDAYS[:5], "weekend": WEEKDAYS[5:]}
_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class ConfigError(Exception):
    """The configuration is invalid; the message names file, entry and field."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class Interval(_Frozen):
    """An opening interval inside one local day; ``end`` may be 24:00."""

    start: time
    end_minute: int  # minutes after midnight, 1..1440

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute


def _parse_hours(value: Any) -> dict[str, tuple[Interval, ...]]:
    if not isinstance(value, Mapping):
        raise ValueError(
            "must map days (mon..sun, mon-fri, daily, weekdays) to lists of 'HH:MM-HH:MM'"
        )
    week: dict[str, tuple[Interval, ...]] = {d: () for d in WEEKDAYS}
    for key, intervals in value.items():
        days = _expand_days(str(key))
        if not isinstance(intervals, list):
            raise ValueError(f"{key}: expected a list of 'HH:MM-HH:MM'")
        parsed = tuple(sorted((_parse_interval(str(i)) for i in intervals), key=lambda i: i.start))
        for prev, nxt in zip(parsed, parsed[1:], strict=False):
            if nxt.start_minute < prev.end_minute:
                raise ValueError(f"{key}: intervals overlap")
        for d in days:
            week[d] = parsed
    return week


def _expand_days(key: str) -> tuple[str, ...]:
    key = key.strip().lower()
    if key in _DAY_ALIASES:
        return _DAY_ALIASES[key]
    if "-" in key:
        a, _, b = key.partition("-")
        if a in WEEKDAYS and b in WEEKDAYS and WEEKDAYS.index(a) <= WEEKDAYS.index(b):
            return WEEKDAYS[WEEKDAYS.index(a) : WEEKDAYS.index(b) + 1]
    if key in WEEKDAYS:
        return (key,)
    raise ValueError(f"unknown day {key!r} (use mon..sun, a range like mon-fri, daily or weekdays)")


def _parse_interval(text: str) -> Interval:
    m = _INTERVAL.match(text.strip())
    if not m:
        raise ValueError(f"bad interval {text!r}, expected 'HH:MM-HH:MM'")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 1440 or end <= start:
        raise ValueError(f"bad interval {text!r}")
    return Interval(start=time(h1, m1), end_minute=end)


class Service(_Frozen):
    code: Code
    prefix: Annotated[str, Field(pattern=r"^[A-Z]$")]
    name: str
    name_en: str = ""
    field: str = ""
    counter_group: str | None = None
    hours: Mapping[str, tuple[Interval, ...]] | None = None
    daily_cap: Annotated[int, Field(ge=1)] | None = None
    target_wait_min: Annotated[int, Field(ge=1)] = 20
    same_day: bool = False
    default_service_time_s: Annotated[int, Field(ge=10)] | None = None
    # A disabled service stays configured (history refers to it) but is not offered.
    enabled: bool = True

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, v: Any) -> Any:
        return None if v is None else _parse_hours(v)


class Counter(_Frozen):
    number: Annotated[int, Field(ge=1, le=999)]
    name: str
    services: tuple[Code, ...] = Field(min_length=1)


class Display(_Frozen):
    id: Annotated[int, Field(ge=1)]
    name: str
    counters: tuple[int, ...] = Field(min_length=1)
    notice: str = ""
    # hall: the whole board; counter: one counter's number, full screen (lists one counter).
    layout: Literal["hall", "counter"] = "hall"
    # Announcement volume 0..1; unset: 1 on a hall display, 0 (silent) on a counter display.
    volume: Annotated[float, Field(ge=0, le=1)] | None = None

    @model_validator(mode="after")
    def _one_counter(self) -> Display:
        if self.layout == "counter" and len(self.counters) != 1:
            raise ValueError("counters: a display with layout 'counter' lists exactly one counter")
        return self


class Kiosk(_Frozen):
    name: str
    printer: str = "none"


class PriorityPolicy(_Frozen):
    mode: Literal["strict", "interleave"] = "interleave"
    every: Annotated[int, Field(ge=2, le=20)] = 3


class Site(_Frozen):
    code: Code
    order: int = 100  # position in lists (the hall first)
    name: str
    name_en: str = ""
    address: str = ""
    header_lines: tuple[str, ...] = ()
    hours: Mapping[str, tuple[Interval, ...]]
    guide: bool = False
    # The guide at another site's kiosk (a support point) may issue tickets here, one per
    # guide session and at most one per kiosk every `kiosk.remote_ticket_gap_s` seconds.
    remote_tickets: bool = False
    # After a service, the kiosk offers that service's procedures from the catalogue (optional:
    # "Bỏ qua" takes the number at once) so the counter knows what the citizen came for.
    kiosk_procedures: bool = False
    read_aloud: bool = False  # the kiosk says the issued number ("Số thứ tự của công dân là …")
    priority_policy: PriorityPolicy | None = None
    services: tuple[Service, ...] = Field(min_length=1)
    counters: tuple[Counter, ...] = Field(min_length=1)
    displays: tuple[Display, ...] = ()
    kiosks: tuple[Kiosk, ...] = ()

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, v: Any) -> Any:
        return _parse_hours(v)

    @model_validator(mode="after")
    def _check_references(self) -> Site:
        _unique(self.services, "code", "services")
        _unique(self.services, "prefix", "services")
        _unique(self.counters, "number", "counters")
        codes = {s.code for s in self.services}
        numbers = {c.number for c in self.counters}
        for i, c in enumerate(self.counters):
            for code in c.services:
                if code not in codes:
                    raise ValueError(
                        f"counters[{i}] (number {c.number}).services: unknown service {code!r}"
                    )
            if len(set(c.services)) != len(c.services):
                raise ValueError(f"counters[{i}] (number {c.number}).services: listed twice")
        for i, d in enumerate(self.displays):
            for n in d.counters:
                if n not in numbers:
                    raise ValueError(f"displays[{i}] (id {d.id}).counters: unknown counter {n}")
        # A service no counter serves yet is allowed: an admin adds the service first and then
        # a counter for it. It is offered, and waits are unknown until a counter serves it;
        # `motcua check` and /admin point it out.
        return self

    def service(self, code: str) -> Service | None:
        return next((s for s in self.services if s.code == code), None)

    def counter(self, number: int) -> Counter | None:
        return next((c for c in self.counters if c.number == number), None)

    def hours_of(self, service: Service) -> Mapping[str, tuple[Interval, ...]]:
        return service.hours if service.hours is not None else self.hours

    def counters_serving(self, service_code: str) -> tuple[Counter, ...]:
        return tuple(c for c in self.counters if service_code in c.services)


def _unique(items: tuple[Any, ...], attr: str, where: str) -> None:
    seen: set[Any] = set()
    for i, item in enumerate(items):
        v = getattr(item, attr)
        if v in seen:
            raise ValueError(f"{where}[{i}].{attr}: {v!r} is used twice")
        seen.add(v)


class Organisation(_Frozen):
    name: str
    name_en: str = ""
    ticket_header: tuple[str, ...] = ()
    hotlines: tuple[Mapping[str, str], ...] = ()
    # What a citizen picks on dichvucong.gov.vn for this office (the guide names them).
    portal_province: str = ""
    portal_agency: str = ""


class PriorityGroup(_Frozen):
    code: Code
    name: str
    name_en: str = ""


class Priority(_Frozen):
    groups: tuple[PriorityGroup, ...] = ()
    policy: PriorityPolicy = PriorityPolicy()
    kiosk: Literal["self", "confirm", "off"] = "self"

    @field_validator("kiosk", mode="before")
    @classmethod
    def _yaml_off(cls, v: Any) -> Any:
        return "off" if v is False else v  # YAML reads a bare `off` as false

    @model_validator(mode="after")
    def _unique_groups(self) -> Priority:
        _unique(self.groups, "code", "groups")
        return self

    def group(self, code: str) -> PriorityGroup | None:
        return next((g for g in self.groups if g.code == code), None)


class Label(_Frozen):
    vi: str
    en: str = ""


class Reason(_Frozen):
    code: Code
    vi: str
    en: str = ""


class Rating(_Frozen):
    labels: Mapping[int, Label]
    negative_below: int = 3
    reasons: tuple[Reason, ...] = ()
    show_seconds: Annotated[int, Field(ge=5, le=300)] = 30

    @model_validator(mode="after")
    def _scale(self) -> Rating:
        n = len(self.labels)
        if not 3 <= n <= 5 or sorted(self.labels) != list(range(1, n + 1)):
            raise ValueError(
                "labels: the scale needs 3 to 5 levels numbered 1..N (higher is better)"
            )
        return self

    @property
    def scale(self) -> int:
        return len(self.labels)


class Calling(_Frozen):
    no_show_after_recalls: Annotated[int, Field(ge=1, le=10)] = 3
    recent_calls_shown: Annotated[int, Field(ge=1, le=30)] = 8


class Announcement(_Frozen):
    vi: str = "Xin mời công dân có số thứ tự {number} đến quầy số {counter}"
    en: str = "Ticket number {number}, please go to counter {counter}"
    repeat: Annotated[int, Field(ge=1, le=3)] = 2
    english: bool = False
    # Local times ("HH:MM-HH:MM") when displays show calls without playing them.
    quiet_hours: tuple[str, ...] = ()

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for text in v:
            _parse_interval(text)
        return v


class Estimates(_Frozen):
    default_service_time_s: Annotated[int, Field(ge=10)] = 300
    history: Annotated[int, Field(ge=1, le=500)] = 20


class KioskSettings(_Frozen):
    tickets_per_minute: Annotated[int, Field(ge=1)] = 30
    return_home_s: Annotated[int, Field(ge=5, le=600)] = 20
    # A half-done flow (priority choice, an error message, English) goes home after this idle time.
    idle_reset_s: Annotated[int, Field(ge=5, le=600)] = 45
    # The online-submission guide ends its session (wiping what was typed) after this idle time.
    guide_idle_s: Annotated[int, Field(ge=15, le=1800)] = 150
    remote_ticket_gap_s: Annotated[int, Field(ge=0, le=86400)] = 300


class Settings(_Frozen):
    organisation: Organisation
    same_day_cutoff: time = time(15, 0)
    holidays: tuple[date, ...] = ()
    priority: Priority = Priority()
    rating: Rating
    calling: Calling = Calling()
    announcement: Announcement = Announcement()
    estimates: Estimates = Estimates()
    kiosk: KioskSettings = KioskSettings()


class Config(_Frozen):
    """The whole validated configuration. Build it with :func:`load_config`."""

    folder: Path
    settings: Settings
    sites: tuple[Site, ...]

    def site(self, code: str) -> Site | None:
        return next((s for s in self.sites if s.code == code), None)

    def display(self, display_id: int) -> tuple[Site, Display] | None:
        for site in self.sites:
            for d in site.displays:
                if d.id == display_id:
                    return site, d
        return None

    def display_ids(self, site_code: str) -> tuple[int, ...]:
        site = self.site(site_code)
        return tuple(d.id for d in site.displays) if site is not None else ()

    def policy_for(self, site: Site) -> PriorityPolicy:
        return site.priority_policy or self.settings.priority.policy

    def kiosk(self, name: str) -> tuple[Site, Kiosk] | None:
        for site in self.sites:
            for k in site.kiosks:
                if k.name == name:
                    return site, k
        return None


MAIN_FILE = "motcua.yaml"
SITES_DIR = "sites"
PROCEDURES_FILE = "procedures.yaml"


def read_documents(folder: str | Path) -> dict[str, str]:
    """The configuration files of ``folder`` as ``{relative path: text}``: ``motcua.yaml``,
    ``sites/*.yaml`` and ``procedures.yaml`` when present. Raises ConfigError for a missing
    or unreadable file."""
    folder = Path(folder)
    docs: dict[str, str] = {}
    paths = [folder / MAIN_FILE, *sorted((folder / SITES_DIR).glob("*.yaml"))]
    if (folder / PROCEDURES_FILE).exists():
        paths.append(folder / PROCEDURES_FILE)
    for path in paths:
        try:
            docs[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{path}: file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the file: {exc}") from None
    return docs


def load_config(folder: str | Path) -> Config:
    """Read and validate ``folder``; raise :class:`ConfigError` naming file, entry and field."""
    folder = Path(folder)
    if not (folder / MAIN_FILE).exists():
        raise ConfigError(f"{folder / MAIN_FILE}: file not found")
    return config_from_documents(read_documents(folder), folder)


def config_from_documents(docs: Mapping[str, str], folder: str | Path) -> Config:
    """Validate configuration documents (``{relative path: YAML text}``, the layout of the
    config folder) into a :class:`Config`. The one loader for files and for the configuration
    kept in the database; errors name ``folder/path``, the entry and the field."""
    folder = Path(folder)
    if MAIN_FILE not in docs:
        raise ConfigError(f"{folder / MAIN_FILE}: file not found")
    main = folder / MAIN_FILE
    settings = _validate(Settings, _parse_yaml(docs[MAIN_FILE], main), main)
    site_paths = sorted(p for p in docs if p.startswith(f"{SITES_DIR}/") and p.endswith(".yaml"))
    if not site_paths:
        raise ConfigError(f"{folder / SITES_DIR}: no site files (*.yaml)")
    files = [folder / p for p in site_paths]
    sites = tuple(
        _validate(Site, _parse_yaml(docs[p], f), f) for p, f in zip(site_paths, files, strict=True)
    )
    _check_across_sites(sites, files)
    sites = tuple(sorted(sites, key=lambda s: (s.order, s.code)))
    return Config(folder=folder, settings=settings, sites=sites)


def _check_across_sites(sites: tuple[Site, ...], files: list[Path]) -> None:
    seen_sites: dict[str, Path] = {}
    seen_displays: dict[int, Path] = {}
    seen_kiosks: dict[str, Path] = {}
    for site, path in zip(sites, files, strict=True):
        if site.code in seen_sites:
            raise ConfigError(
                f"{path}: code: site {site.code!r} is also in {seen_sites[site.code]}"
            )
        seen_sites[site.code] = path
        for i, d in enumerate(site.displays):
            if d.id in seen_displays:
                raise ConfigError(
                    f"{path}: displays[{i}].id: display id {d.id} is also in {seen_displays[d.id]}"
                )
            seen_displays[d.id] = path
        for i, k in enumerate(site.kiosks):
            if k.name in seen_kiosks:
                raise ConfigError(
                    f"{path}: kiosks[{i}].name: {k.name!r} is also in {seen_kiosks[k.name]}"
                )
            seen_kiosks[k.name] = path


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(
            f"{path}:{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _validate(model: type[_Frozen], data: Any, path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = _describe_loc(data, err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{path}: {where}: {msg}" if where else f"{path}: {msg}") from None


def _describe_loc(data: Any, loc: tuple[Any, ...]) -> str:
    """Turn a pydantic location into ``services[2] (code 'A').prefix``."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            if isinstance(node, list) and key < len(node):
                node = node[key]
                if isinstance(node, dict):
                    for ident in ("code", "number", "id", "name"):
                        if ident in node:
                            label += f" ({ident} {node[ident]!r})"
                            break
            parts.append(label)
        else:
            if str(key).startswith("function-") or str(key) in {
                "json-or-python[json=..., python=...]"
            }:
                continue
            parts.append(("." if parts else "") + str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts)
