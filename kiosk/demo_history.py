"""``motcua demo --history DAYS``: past business days of realistic traffic for every demo
site, so that reports and benchmarks have something to show.

Each site's day is simulated, not drawn at random figure by figure: citizens arrive with peaks
at opening and after lunch, each counter calls the next ticket of the services it serves as
soon as it is free, service times spread around each service's usual time, and some tickets
are recalled, missed (no-show), transferred to another service or still waiting at closing
(cancelled, as the housekeeping does overnight). About a third of the citizens served rate the
service, lower when they waited long, sometimes with reasons; counters take a short break;
support points count their guide's use. Rows are written in bulk (a few statements per day),
so a year of three sites (≈ 220,000 tickets) takes well under a few minutes.

Days already holding tickets for a site are left as they are, so running it again adds
nothing twice; today and the numbering of today's queue are never touched. Sundays, the
configured holidays and weekdays a site's hours keep it closed are skipped; the simulated
office day is 07:30–11:30 and 13:30–17:00 (Saturday mornings only), whatever the demo's
round-the-clock hours say."""

from __future__ import annotations

import heapq
import json
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, text

from kiosk.config import Config, Site
from kiosk.domain import accounts
from kiosk.domain.clock import business_day
from kiosk.domain.numbering import format_number
from kiosk.domain.report_summary import summarise, unsummarised
from kiosk.models import AuditEntry, Rating, Ticket, TicketEvent, TicketNumber, UsageCount, User
from kiosk.services import Services

# Tickets on a full weekday; Saturday gets half. Calibrated so that 365 business days of the
# three demo sites make about 220,000 tickets.
VOLUME = {"hall": 460, "ct1a": 115, "ct1b2": 82}
DEFAULT_VOLUME = 80
MORNING = (time(7, 30), time(11, 30))
AFTERNOON = (time(13, 30), time(17, 0))
# Arrival weight of each half hour of a session, first slot first: a rush at opening.
SESSION_SHAPE = (3.0, 2.6, 2.0, 1.6, 1.3, 1.0, 0.8, 0.5)
MEAN_SERVICE_S = 300
P_NO_SHOW, P_RECALL, P_TRANSFER, P_PRIORITY, P_RATED = 0.04, 0.08, 0.03, 0.05, 0.35
PAUSE_REASONS = ("Nghỉ giải lao", "Họp giao ban", "Xử lý hồ sơ tồn")
GUIDE_EVENTS = {"viewed": 60, "printed": 14, "help": 6, "hall_ticket": 3}


def history_days(site: Site, cfg: Config, today: date, count: int) -> list[date]:
    """The ``count`` business days before ``today`` (newest first), skipping Sundays,
    holidays and weekdays on which the site's hours keep it closed."""
    from kiosk.config import WEEKDAYS

    holidays = set(cfg.settings.holidays)
    days: list[date] = []
    day = today
    while len(days) < count:
        day -= timedelta(days=1)
        weekday = WEEKDAYS[day.weekday()]
        if weekday == "sun" or day in holidays or not site.hours.get(weekday):
            continue
        days.append(day)
    return days


@dataclass
class CounterClock:
    number: int
    services: tuple[str, ...]
    officer: int
    free_at: datetime
    pause: tuple[datetime, int] | None  # (not before, seconds)
    pauses: list[tuple[datetime, datetime, str]] = field(default_factory=list)


class DaySimulator:
    """One site's business day as rows to insert (see the module docstring)."""

    def __init__(self, cfg: Config, site: Site, day: date, officers: dict[int, int]) -> None:
        self.cfg, self.site, self.day, self.officers = cfg, site, day, officers
        self.rng = random.Random(f"{site.code}-{day.isoformat()}")

    def _at(self, tz: Any, t: time) -> datetime:
        return datetime.combine(self.day, t, tz).astimezone(UTC)

    def arrivals(self, tz: Any) -> list[datetime]:
        saturday = self.day.weekday() == 5
        volume = VOLUME.get(self.site.code, DEFAULT_VOLUME) // (2 if saturday else 1)
        sessions = [MORNING] if saturday else [MORNING, AFTERNOON]
        slots: list[tuple[datetime, float]] = []
        for start, end in sessions:
            begin, stop = self._at(tz, start), self._at(tz, end)
            for i, weight in enumerate(SESSION_SHAPE):
                at = begin + timedelta(minutes=30 * i)
                if at < stop:
                    slots.append((at, weight))
        n = max(1, round(self.rng.gauss(volume, volume * 0.12)))
        picked = self.rng.choices(slots, weights=[w for _, w in slots], k=n)
        return sorted(at + timedelta(seconds=self.rng.uniform(0, 1800)) for at, _ in picked)

    def service_time(self, code: str) -> int:
        svc = self.site.service(code)
        mean = (svc.default_service_time_s if svc else None) or MEAN_SERVICE_S
        return max(45, int(self.rng.lognormvariate(0, 0.45) * mean))

    def run(self, tz: Any) -> dict[str, list[dict[str, Any]]]:
        rng = self.rng
        services = [s.code for s in self.site.services]
        weights = [1.5 if i < 2 else 1.0 for i in range(len(services))]  # the busiest two
        groups = [g.code for g in self.cfg.settings.priority.groups]
        close = self._at(tz, AFTERNOON[1] if self.day.weekday() != 5 else MORNING[1])
        counters = []
        for c in self.site.counters:
            pause = None
            if rng.random() < 0.4:
                pause = (self._at(tz, time(14, 30)) + timedelta(minutes=rng.randint(0, 90)), 900)
            start = self._at(tz, MORNING[0])
            counters.append(
                CounterClock(c.number, c.services, self.officers[c.number], start, pause)
            )
        tickets: list[dict[str, Any]] = []
        seq: dict[str, int] = {}
        queue: list[tuple[datetime, int, dict[str, Any]]] = []
        for at in self.arrivals(tz):
            code = rng.choices(services, weights=weights)[0]
            seq[code] = seq.get(code, 0) + 1
            prefix = self.site.service(code).prefix  # type: ignore[union-attr]
            t = {
                "code": secrets.token_urlsafe(12),
                "site": self.site.code,
                "service": code,
                "origin_service": code,
                "business_day": self.day,
                "seq": seq[code],
                "number": format_number(prefix, seq[code]),
                "priority": rng.choice(groups) if groups and rng.random() < P_PRIORITY else None,
                "issued_at": at,
                "order_at": at,
                "print_status": "printed",
                "recalls": 0,
                "transfers": 0,
                "_events": [("issued", at, None, None, None)],
            }
            tickets.append(t)
            heapq.heappush(queue, (at, len(tickets), t))
        while queue:
            ready, _, t = heapq.heappop(queue)
            able = [c for c in counters if t["service"] in c.services]
            counter = min(able, key=lambda c: (self._free(c), c.number))
            call = max(ready, self._free(counter)) + timedelta(seconds=rng.randint(5, 40))
            self._take_pause(counter, call)
            if call > close + timedelta(minutes=30):
                t.update(status="cancelled", finished_at=close + timedelta(hours=8))
                t["_events"].append(("expired", t["finished_at"], None, None, None))
                continue
            self._serve(t, counter, call, services, queue)
        counter_rows = [c for c in counters if c.pauses]
        return {
            "tickets": tickets,
            "pauses": [(c.number, p) for c in counter_rows for p in c.pauses],
        }

    @staticmethod
    def _free(c: CounterClock) -> datetime:
        if c.pause is not None and c.free_at >= c.pause[0]:
            return c.free_at + timedelta(seconds=c.pause[1])
        return c.free_at

    def _take_pause(self, c: CounterClock, call: datetime) -> None:
        if c.pause is not None and c.free_at >= c.pause[0]:
            reason = self.rng.choice(PAUSE_REASONS)
            c.pauses.append((c.free_at, c.free_at + timedelta(seconds=c.pause[1]), reason))
            c.pause = None

    def _serve(self, t: dict[str, Any], c: CounterClock, call: datetime, services: list[str],
               queue: list[Any]) -> None:  # fmt: skip
        rng = self.rng
        ev = t["_events"]
        t.setdefault("first_called_at", call)
        t.update(called_at=call, counter=c.number, last_counter=c.number, officer_id=c.officer)
        ev.append(("called", call, c.number, c.officer, None))
        now = call
        if rng.random() < P_RECALL or rng.random() < P_NO_SHOW:
            now += timedelta(seconds=rng.randint(30, 90))
            t["recalls"] += 1
            ev.append(("recalled", now, c.number, c.officer, None))
        if rng.random() < P_NO_SHOW:
            now += timedelta(seconds=rng.randint(30, 90))
            t.update(status="no_show", finished_at=now)
            ev.append(("no_show", now, c.number, c.officer, None))
            c.free_at = now
            return
        start = now + timedelta(seconds=rng.randint(10, 60))
        t["started_at"] = start
        ev.append(("started", start, c.number, c.officer, None))
        if t["transfers"] == 0 and len(services) > 1 and rng.random() < P_TRANSFER:
            moved = start + timedelta(seconds=rng.randint(60, 240))
            target = rng.choice([s for s in services if s != t["service"]])
            data = {"from_service": t["service"], "to_service": target}
            ev.append(("transferred", moved, c.number, c.officer, data))
            t.update(service=target, transfers=1, counter=None, started_at=None)
            c.free_at = moved
            heapq.heappush(queue, (moved, id(t), t))
            return
        done = start + timedelta(seconds=self.service_time(t["service"]))
        t.update(status="done", finished_at=done)
        ev.append(("done", done, c.number, c.officer, None))
        c.free_at = done


def _rating(cfg: Config, rng: random.Random, t: dict[str, Any], target_s: int) -> dict[str, Any]:
    scale = cfg.settings.rating
    late = (t["first_called_at"] - t["issued_at"]).total_seconds() > target_s
    top = scale.scale
    scores = list(range(1, top + 1))
    # Mostly satisfied; flatter after a long wait.
    share = [(k - 1) / (top - 1) for k in scores]
    weights = [3 + 5 * x for x in share] if late else [1 + 19 * x * x for x in share]
    score = rng.choices(scores, weights=weights)[0]
    reasons: list[str] = []
    codes = [r.code for r in scale.reasons]
    if score < scale.negative_below and codes:
        if late and "long_wait" in codes:
            reasons.append("long_wait")
        extra = rng.choices(codes, k=1)[0]
        if extra not in reasons and rng.random() < 0.6:
            reasons.append(extra)
    return {
        "ticket_id": t["id"],
        "score": score,
        "scale": top,
        "label": scale.labels[score].vi,
        "reasons": reasons,
        "comment": None,
        "site": t["site"],
        "service": t["service"],
        "counter": t["last_counter"],
        "officer_id": t["officer_id"],
        "source": rng.choice(("counter", "counter", "phone")),
        "at": t["finished_at"] + timedelta(seconds=rng.randint(5, 120)),
    }


def _officers(core: Services) -> dict[str, dict[int, int]]:
    """One officer per counter of every site (the demo's own staff first, then history-only
    accounts named ``lichsu-<site>-<n>``, which cannot sign in with a known password)."""
    wanted = {"hall": {1: "canbo1", 2: "canbo2"}, "ct1a": {1: "ct1a"}}
    out: dict[str, dict[int, int]] = {}
    now = core.clock.now()
    with core.db.transaction() as s:
        for site in core.config.sites:
            out[site.code] = {}
            for c in site.counters:
                name = wanted.get(site.code, {}).get(c.number, f"lichsu-{site.code}-{c.number}")
                uid = s.scalar(select(User.id).where(User.username == name))
                if uid is None:
                    user = accounts.add_user(
                        s, core.config, now, name, "staff", secrets.token_urlsafe(24), site.code
                    )
                    uid = user.id
                out[site.code][c.number] = uid
    return out


TICKET_COLUMNS = [c.name for c in Ticket.__table__.columns if c.name != "id"]


def fill_history(core: Services, days: int) -> Iterator[str]:
    """Fill ``days`` past business days of every site; yields one progress line per site."""
    cfg, tz = core.config, core.clock.tz
    today = business_day(core.clock)
    officers = _officers(core)
    for site in cfg.sites:
        wanted = history_days(site, cfg, today, days)
        with core.db.read() as s:
            have = set(
                s.scalars(
                    select(Ticket.business_day)
                    .where(Ticket.site == site.code, Ticket.business_day.in_(wanted))
                    .distinct()
                )
            )
            counted = set(
                s.scalars(
                    select(UsageCount.day)
                    .where(UsageCount.site == site.code, UsageCount.day.in_(wanted))
                    .distinct()
                )
            )
        todo = sorted(d for d in wanted if d not in have)
        made = 0
        for chunk in range(0, len(todo), 20):
            batch = todo[chunk : chunk + 20]
            made += _write_days(core, site, batch, officers[site.code], tz, counted)
        if wanted:
            # Leave the report summary complete (the first report would otherwise do it).
            with core.db.transaction() as s:
                closed = unsummarised(s, core.clock, site, min(wanted), max(wanted))
                summarise(s, core.clock, site, closed)
        yield (
            f"{site.code}: {made} tickets over {len(todo)} business days"
            + (f" ({len(have)} days already had tickets, kept)" if have else "")
        )


def _write_days(
    core: Services,
    site: Site,
    days: list[date],
    officers: dict[int, int],
    tz: Any,
    counted: set[date],
) -> int:
    """Simulate and insert ``days`` in one transaction; guide counts only on days without
    any (``counted``). Returns how many tickets were written."""
    cfg = core.config
    targets = {s.code: s.target_wait_min * 60 for s in site.services}
    with core.db.transaction() as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("LOCK TABLE tickets IN EXCLUSIVE MODE"))  # ids below are ours
        next_id = (s.scalar(select(func.max(Ticket.id))) or 0) + 1
        tickets, events, ratings, numbers, audits, usage = [], [], [], [], [], []
        for day in days:
            sim = DaySimulator(cfg, site, day, officers)
            out = sim.run(tz)
            last: dict[str, int] = {}
            for t in out["tickets"]:
                t["id"] = next_id
                next_id += 1
                last[t["origin_service"]] = max(last.get(t["origin_service"], 0), t["seq"])
                for kind, at, counter, user, data in t.pop("_events"):
                    events.append(
                        {"ticket_id": t["id"], "kind": kind, "at": at, "site": site.code,
                         "counter": counter, "user_id": user, "device_id": None, "data": data}
                    )  # fmt: skip
                row = {c: t.get(c) for c in TICKET_COLUMNS}
                row["id"] = t["id"]
                tickets.append(row)
                if t.get("status") == "done" and sim.rng.random() < P_RATED:
                    ratings.append(_rating(cfg, sim.rng, t, targets.get(t["origin_service"], 1200)))
            numbers += [
                {"site": site.code, "service": code, "business_day": day, "last_seq": n,
                 "waiting": 0, "priority_waiting": 0}
                for code, n in last.items()
            ]  # fmt: skip
            for number, (start, end, reason) in out["pauses"]:
                audits.append(_audit("counter_paused", start, site.code, number, reason))
                audits.append(_audit("counter_resumed", end, site.code, number, None))
            if site.guide and day not in counted:
                for event, mean in GUIDE_EVENTS.items():
                    usage.append(
                        {"day": day, "site": site.code, "event": event, "procedure": "",
                         "count": max(0, round(sim.rng.gauss(mean, mean * 0.3)))}
                    )  # fmt: skip
        for table, rows in (
            (Ticket, tickets),
            (TicketEvent, events),
            (Rating, ratings),
            (TicketNumber, numbers),
            (AuditEntry, audits),
            (UsageCount, usage),
        ):
            _bulk(s, table.__tablename__, rows)
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), :n)"),
                      {"n": next_id - 1})  # fmt: skip
    return len(tickets)


def _bulk(s: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """One executemany straight to the driver. Hand-written because SQLAlchemy's per-value
    type processing took most of the time of a year's fill; values are converted here the
    way the column types would store them (naive UTC instants, ISO dates on SQLite, JSON)."""
    if not rows:
        return
    sqlite = s.get_bind().dialect.name == "sqlite"
    columns = list(rows[0])
    mark = "?" if sqlite else "%s"

    def value(v: Any) -> Any:
        if isinstance(v, datetime):
            v = v.astimezone(UTC).replace(tzinfo=None)
            return v.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else v
        if isinstance(v, date) and sqlite:
            return v.isoformat()
        if isinstance(v, (dict, list)):
            return json.dumps(v, ensure_ascii=False)
        return v

    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    s.connection().exec_driver_sql(sql, [tuple(value(r[c]) for c in columns) for r in rows])


def _audit(action: str, at: datetime, site: str, counter: int, reason: str | None) -> dict:
    return {
        "at": at,
        "action": action,
        "site": site,
        "ticket_id": None,
        "counter": counter,
        "user_id": None,
        "device_id": None,
        "address": None,
        "details": {"reason": reason},
    }
