"""Property: whatever arrives and whenever counters call, the priority policy holds.

* strict: no ordinary ticket is called while a priority ticket waits;
* interleave 1-in-N: while a priority ticket waits, at most N-1 ordinary calls in a row;
* first-in first-out within each class; every ticket is called exactly once.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.config import PriorityPolicy, load_config
from kiosk.db import Database
from kiosk.domain import calling
from kiosk.domain.clock import FixedClock
from kiosk.domain.tickets import Actor, issue_ticket
from kiosk.models import Base
from tests.conftest import CAST, at

CFG = load_config(CAST)
STAFF = Actor(role="staff")
steps = st.lists(st.sampled_from(["normal", "priority", "call"]), min_size=1, max_size=40)


def run(policy: PriorityPolicy, script: list[str]) -> None:
    cfg = CFG.model_copy(
        update={"sites": tuple(s.model_copy(update={"priority_policy": policy}) for s in CFG.sites)}
    )
    clock = FixedClock(at("2026-11-25 09:00"))
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'p.sqlite3'}")
        Base.metadata.create_all(db.engine)
        waiting: dict[str, list[int]] = {"normal": [], "priority": []}
        run_of_normal = 0
        called: list[int] = []
        try:
            for step in script:
                clock.advance(seconds=1)
                with db.transaction() as s:
                    if step != "call":
                        t, _ = issue_ticket(
                            s,
                            cfg,
                            clock,
                            STAFF,
                            site="hall",
                            service="cert",
                            priority="elderly" if step == "priority" else None,
                        )
                        waiting[step].append(t.id)
                        continue
                    t, _ = calling.call_next(s, cfg, clock, STAFF, "hall", 1)
                if t is None:
                    assert not waiting["normal"] and not waiting["priority"]
                    continue
                klass = "priority" if t.priority else "normal"
                assert t.id == waiting[klass][0], "FIFO within a class"
                priority_was_waiting = bool(waiting["priority"])
                waiting[klass].pop(0)
                called.append(t.id)
                if klass == "priority":
                    run_of_normal = 0
                    continue
                if priority_was_waiting:
                    if policy.mode == "strict":
                        raise AssertionError("ordinary call while a priority ticket waited")
                    run_of_normal += 1
                    assert run_of_normal <= policy.every - 1
                else:
                    run_of_normal = min(run_of_normal + 1, policy.every)
            assert len(called) == len(set(called))
        finally:
            db.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_strict_policy(script: list[str]) -> None:
    run(PriorityPolicy(mode="strict"), script)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps, st.integers(min_value=2, max_value=4))
def test_interleave_policy(script: list[str], every: int) -> None:
    run(PriorityPolicy(mode="interleave", every=every), script)
