"""The SQLite writer queue serves writers in arrival order (a plain ``threading.Lock`` lets
late comers barge in, which leaves some requests waiting many turns)."""

from __future__ import annotations

import threading
import time

from kiosk.db import FairLock


def test_waiters_get_the_lock_in_arrival_order() -> None:
    lock = FairLock()
    order: list[int] = []
    lock.acquire()
    threads = []
    for i in range(8):
        t = threading.Thread(target=lambda i=i: (lock.acquire(), order.append(i), lock.release()))
        t.start()
        threads.append(t)
        deadline = time.monotonic() + 5
        while len(lock._waiters) < i + 1 and time.monotonic() < deadline:
            time.sleep(0.001)  # queued before the next one comes
    # A newcomer while the others wait gets in line behind them, not ahead.
    late = threading.Thread(target=lambda: (lock.acquire(), order.append(99), lock.release()))
    late.start()
    while len(lock._waiters) < 9:
        time.sleep(0.001)
    lock.release()
    for t in [*threads, late]:
        t.join(5)
    assert order == [*range(8), 99]
    with lock:  # free again
        assert lock._held


def test_exclusive_under_contention() -> None:
    lock = FairLock()
    inside = 0
    worst = 0

    def work() -> None:
        nonlocal inside, worst
        for _ in range(200):
            with lock:
                inside += 1
                worst = max(worst, inside)
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert worst == 1
