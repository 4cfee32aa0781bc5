"""The publisher: which Socket.IO messages a batch of committed domain events becomes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kiosk.domain.events import DisplayEventAdded, TicketCalled, TicketChanged, TicketIssued
from kiosk.realtime import Publisher
from kiosk.realtime.publisher import PHONE_SLICE

AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


class Recorder:
    """Flask-SocketIO's object as the publisher uses it, and its server's, recording emits."""

    def __init__(self, phones: dict[str, list[str]] | None = None) -> None:
        self.sent: list[tuple[str, str, str]] = []  # (namespace, event, room or sids)

        self.tasks: list[Any] = []  # background tasks, run by the test when it wants
        self.pauses = 0
        self.server = self
        self.manager = self
        self.phones = phones or {"phones:hall": ["p1", "p2"], "phones:annex": ["p3"]}

    def emit(self, event: str, body: Any, *, to: Any, namespace: str, **_: Any) -> None:
        self.sent.append((namespace, event, to if isinstance(to, str) else ",".join(to)))

    def get_participants(self, _namespace: str, room: str) -> list[tuple[str, str]]:
        return [(sid, f"eio-{sid}") for sid in self.phones.get(room, [])]

    def start_background_task(self, fn: Any, *args: Any) -> None:
        self.tasks.append((fn, args))

    def sleep(self, _seconds: float) -> None:
        self.pauses += 1

    def run_tasks(self) -> None:
        tasks, self.tasks = self.tasks, []
        for fn, args in tasks:
            fn(*args)


def publisher(displays: dict[str, tuple[int, ...]]) -> tuple[Publisher, Recorder]:
    sio = Recorder()
    return Publisher(sio, lambda body: body, lambda site: displays.get(site, ())), sio  # type: ignore[arg-type]


def call(site: str, counter: int, *display_ids: int) -> TicketCalled:
    shown = tuple(DisplayEventAdded(d, 7, {"number": "A001"}) for d in display_ids)
    return TicketCalled(1, site, counter, "A001", "cert", False, AT, shown)


def display_messages(sio: Recorder) -> list[tuple[str, str]]:
    return [(event, room) for ns, event, room in sio.sent if ns == "/display"]


def test_an_issue_is_one_queue_notice_to_the_site() -> None:
    pub, sio = publisher({"hall": (1, 2)})
    pub.publish([TicketIssued(1, "hall", "cert", "A001", None)])
    assert display_messages(sio) == [("queue", "site:hall")]
    assert ("/live", "queue", "site:hall") in sio.sent


def test_a_call_seen_by_every_display_needs_no_queue_notice() -> None:
    pub, sio = publisher({"hall": (1, 2)})
    pub.publish([call("hall", 1, 1, 2)])
    assert display_messages(sio) == [("called", "display:1"), ("called", "display:2")]


def test_displays_that_do_not_show_the_counter_still_hear_the_queue_moved() -> None:
    pub, sio = publisher({"hall": (1, 2, 3)})
    pub.publish([call("hall", 1, 1)])
    assert display_messages(sio) == [
        ("called", "display:1"),
        ("queue", "display:2"),
        ("queue", "display:3"),
    ]


def test_a_batch_gives_one_queue_notice_per_site() -> None:
    pub, sio = publisher({"hall": (1,), "annex": (2,)})
    pub.publish(
        [
            TicketChanged(1, "hall", "done", "done", 1),
            TicketChanged(2, "hall", "transfer", "transferred", 1),
            TicketIssued(3, "annex", "help", "H001", None),
        ]
    )
    assert sorted(display_messages(sio)) == [("queue", "site:annex"), ("queue", "site:hall")]
    assert [m for m in sio.sent if m[0] == "/live"] == [
        ("/live", "queue", "site:hall"),
        ("/live", "queue", "site:hall"),
        ("/live", "queue", "site:annex"),
    ]


def test_a_failing_emit_does_not_stop_the_rest() -> None:
    pub, sio = publisher({"hall": (1,)})
    real = sio.emit

    def flaky(event: str, body: Any, *, to: str, namespace: str) -> None:
        if event == "called":
            raise OSError("socket gone")
        real(event, body, to=to, namespace=namespace)

    sio.emit = flaky  # type: ignore[method-assign]
    pub.publish([call("hall", 1, 1), TicketIssued(2, "hall", "cert", "A002", None)])
    assert display_messages(sio) == [("queue", "site:hall")]


def test_phones_hear_of_a_burst_once() -> None:
    pub, sio = publisher({"hall": (1,)})
    for n in range(5):
        pub.publish([TicketIssued(n, "hall", "cert", f"A00{n}", None)])
    pub.publish([TicketIssued(9, "annex", "help", "H001", None)])
    phones = [m for m in sio.sent if m[2].startswith("phones:")]
    assert phones == []  # not before the notice's delay
    sio.run_tasks()
    phones = [m for m in sio.sent if m[2].startswith("p")]
    assert phones == [("/live", "queue", "p1,p2"), ("/live", "queue", "p3")]
    # Each kiosk and console still heard every change.
    assert len([m for m in sio.sent if m == ("/live", "queue", "site:hall")]) == 5
    # After the notice, the next change schedules another one.
    pub.publish([TicketIssued(10, "hall", "cert", "A010", None)])
    sio.run_tasks()
    assert [m for m in sio.sent if m[2] == "p1,p2"] == [("/live", "queue", "p1,p2")] * 2


def test_many_phones_are_told_a_slice_at_a_time() -> None:
    """A thousand phones told at once kept every request waiting for tens of milliseconds:
    they are told PHONE_SLICE at a time, with a pause between."""
    sio = Recorder({"phones:hall": [f"p{n}" for n in range(120)]})
    pub = Publisher(sio, lambda body: body, lambda _site: ())  # type: ignore[arg-type]
    pub.tell_phones("hall")
    sio.run_tasks()
    told = [m[2].split(",") for m in sio.sent]
    assert [len(sids) for sids in told] == [PHONE_SLICE, PHONE_SLICE, 120 - 2 * PHONE_SLICE]
    assert sum(told, []) == [f"p{n}" for n in range(120)]
    assert sio.pauses == 1 + 2  # the notice's delay, then one pause between slices
