"""A hand-computed day and a half at the test hall, played through the API, for the report
tests: a ticket issued before midnight and called after, a transfer, a recall, a requeue, a
hold, a cancellation, one ticket still waiting, two ratings and a pause. Every expected figure
below is worked out by hand in the comments (times local, target wait 20 min = 1200 s)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Actions, at

D1, D2 = "2026-11-24", "2026-11-25"


def play(a: Actions, clock: Any) -> dict[str, int]:
    """Run the story; returns the ticket ids by name (T1…T7)."""
    kiosk = a.device("kiosk-1", "kiosk")
    anna = a.user("anna", "staff", site="hall")
    binh = a.user("binh", "staff", site="hall")
    tab = a.device("tab-1", "counter", counter=1)
    ids: dict[str, int] = {}

    def to(when: str) -> None:
        clock.set(at(when))

    def issue(name: str, service: str = "cert", **body: Any) -> None:
        reply = a.issue(kiosk, service=service, **body)
        assert reply.status_code == 201, reply.get_json()
        ids[name] = reply.get_json()["id"]

    def ok(reply: Any) -> None:
        assert reply.status_code in (200, 201, 204), reply.get_json()

    def post(token: str, path: str, body: Any) -> None:
        ok(a.client.post(path, json=body, headers=a.auth(token)))

    # T1: issued 23:50 on D1, called out of turn at 00:10 on D2 (wait 1200, within target),
    # done 00:15 (service 300). Counts on D1, its business day.
    to(f"{D1} 23:50")
    issue("T1")
    to(f"{D2} 00:10")
    post(anna, "/api/v1/counters/hall/1/call", {"ticket": ids["T1"]})
    to(f"{D2} 00:15")
    ok(a.act(anna, ids["T1"], "done"))
    # T2: cert 09:00, called 09:05 at counter 1 (wait 300), transferred to civil 09:10, called
    # by binh at counter 2 09:12, done 09:20: service 09:05→09:20 = 900; counter 2, binh.
    to(f"{D2} 09:00")
    issue("T2")
    to(f"{D2} 09:05")
    ok(a.call_next(anna, counter=1))
    to(f"{D2} 09:10")
    ok(a.act(anna, ids["T2"], "transfer", {"service": "civil"}))
    to(f"{D2} 09:12")
    ok(a.call_next(binh, counter=2))
    to(f"{D2} 09:20")
    ok(a.act(binh, ids["T2"], "done"))
    # T3: civil 09:30, called 09:40 (wait 600), recalled 09:41, no-show 09:43; counter 1, anna.
    to(f"{D2} 09:30")
    issue("T3", "civil")
    to(f"{D2} 09:40")
    ok(a.call_next(anna, counter=1))
    to(f"{D2} 09:41")
    ok(a.act(anna, ids["T3"], "recall"))
    to(f"{D2} 09:43")
    ok(a.act(anna, ids["T3"], "no-show"))
    # T4: cert 10:00, called by binh 10:30 (wait 1800, late), requeued 10:32, called again by
    # anna 10:40, done 10:50: service 10:30→10:50 = 1200; counter 1, anna; rated 4.
    to(f"{D2} 10:00")
    issue("T4")
    to(f"{D2} 10:30")
    ok(a.call_next(binh, counter=2))
    to(f"{D2} 10:32")
    ok(a.act(binh, ids["T4"], "requeue"))
    to(f"{D2} 10:40")
    ok(a.call_next(anna, counter=1))
    to(f"{D2} 10:50")
    ok(a.act(anna, ids["T4"], "done"))
    post(tab, f"/api/v1/tickets/{ids['T4']}/rating", {"score": 4})
    # T5: cert, elderly, 11:00; called 11:05 (wait 300), held 11:06, resumed 11:20, done 11:30:
    # service 11:05→11:30 = 1500; counter 1, anna; rated 2 for attitude and long wait.
    to(f"{D2} 11:00")
    issue("T5", priority="elderly")
    to(f"{D2} 11:05")
    ok(a.call_next(anna, counter=1))
    to(f"{D2} 11:06")
    ok(a.act(anna, ids["T5"], "hold"))
    to(f"{D2} 11:20")
    ok(a.act(anna, ids["T5"], "resume", {"counter": 1}))
    to(f"{D2} 11:30")
    ok(a.act(anna, ids["T5"], "done"))
    post(
        tab,
        f"/api/v1/tickets/{ids['T5']}/rating",
        {"score": 2, "reasons": ["attitude", "long_wait"]},
    )
    # Counter 1 pauses 11:31–11:39 (480 s).
    to(f"{D2} 11:31")
    post(anna, "/api/v1/counters/hall/1/pause", {"reason": "Nghỉ giải lao"})
    to(f"{D2} 11:39")
    post(anna, "/api/v1/counters/hall/1/pause", {"reason": None})
    # T6 civil 11:40 still waiting; T7 cert 11:45 cancelled 11:50.
    to(f"{D2} 11:40")
    issue("T6", "civil")
    to(f"{D2} 11:45")
    issue("T7")
    to(f"{D2} 11:50")
    ok(a.act(anna, ids["T7"], "cancel"))
    to(f"{D2} 12:00")
    return ids


def figures(
    issued: int,
    served: int = 0,
    no_show: int = 0,
    cancelled: int = 0,
    transferred: int = 0,
    wait: tuple[float | None, ...] = (None, None, None),
    service: tuple[float | None, ...] = (None, None, None),
    level: float | None = None,
    scores: dict[str, int] | None = None,
) -> dict[str, Any]:
    by_score = {"1": 0, "2": 0, "3": 0, "4": 0, **(scores or {})}
    rated = sum(by_score.values())
    avg = round(sum(int(k) * n for k, n in by_score.items()) / rated, 2) if rated else None
    return {
        "issued": issued,
        "served": served,
        "no_show": no_show,
        "cancelled": cancelled,
        "transferred": transferred,
        "wait_s": dict(zip(("avg", "median", "p90"), wait, strict=True)),
        "service_s": dict(zip(("avg", "median", "p90"), service, strict=True)),
        "service_level": level,
        "ratings": {"count": rated, "avg": avg, "by_score": by_score},
    }


# waits 1200, 300, 600, 1800, 300 → sorted 300 300 600 1200 1800: mean 840, median 600,
# p90 = the 5th of 5 (nearest rank) 1800; within 1200 s: 4 of 5. Services 300, 900, 1200,
# 1500: mean 975, median (900+1200)/2, p90 = 4th of 4.
TOTALS = figures(
    7, 4, 1, 1, 1, (840.0, 600.0, 1800.0), (975.0, 1050.0, 1500.0), 0.8, {"2": 1, "4": 1}
)
BY_COUNTER = {
    # T1, T3, T4, T5: waits 1200, 600, 1800, 300; services 300, 1200, 1500.
    1: figures(
        4, 3, 1, 0, 0, (975.0, 900.0, 1800.0), (1000.0, 1200.0, 1500.0), 0.75, {"2": 1, "4": 1}
    ),
    2: figures(1, 1, 0, 0, 1, (300.0, 300.0, 300.0), (900.0, 900.0, 900.0), 1.0),  # T2
    None: figures(2, 0, 0, 1),  # T6 waiting, T7 cancelled: never called
}
BY_OFFICER = {"anna": BY_COUNTER[1], "binh": BY_COUNTER[2], None: BY_COUNTER[None]}
BY_DAY = {
    D1: figures(1, 1, 0, 0, 0, (1200.0, 1200.0, 1200.0), (300.0, 300.0, 300.0), 1.0),
    # T2…T7: waits 300 600 1800 300 → mean 750, median 450, p90 1800; services 900 1200 1500.
    D2: figures(
        6, 3, 1, 1, 1, (750.0, 450.0, 1800.0), (1200.0, 1200.0, 1500.0), 0.75, {"2": 1, "4": 1}
    ),
}
BY_SERVICE = {
    # T1 T2 T4 T5 T7 (as issued; T2 moved to civil but counts where it was issued).
    "cert": figures(
        5, 4, 0, 1, 1, (900.0, 750.0, 1800.0), (975.0, 1050.0, 1500.0), 0.75, {"2": 1, "4": 1}
    ),
    "civil": figures(2, 0, 1, 0, 0, (600.0, 600.0, 600.0), level=1.0),  # T3, T6
}
BY_PRIORITY = {
    None: figures(6, 3, 1, 1, 1, (975.0, 900.0, 1800.0), (800.0, 900.0, 1200.0), 0.75, {"4": 1}),
    "elderly": figures(
        1, 1, 0, 0, 0, (300.0, 300.0, 300.0), (1500.0, 1500.0, 1500.0), 1.0, {"2": 1}
    ),
}
# By local hour of issue: 09 T2 T3, 10 T4, 11 T5 T6 T7, 23 T1 (12…22 empty rows).
HOUR_ISSUED = {9: 2, 10: 1, 11: 3, 23: 1}
