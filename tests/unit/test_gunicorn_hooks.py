"""What each gunicorn worker of ``motcua serve`` sets up once the application is loaded.

Runs in a fresh interpreter: the collector's settings and gevent's configuration are for the
whole process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import gc
import json

import gevent

from kiosk import gunicorn_hooks

closed = []


class Realtime:
    def close_all(self):
        closed.append(True)


class App:
    extensions = {"motcua": type("Core", (), {"realtime": Realtime()})()}


class Worker:
    wsgi = App()
    alive = True


worker = Worker()
objects = len(gc.get_objects())
gunicorn_hooks.post_worker_init(worker)
frozen = gc.get_freeze_count()
gevent.sleep(0.3)
open_after_wait = not closed
worker.alive = False  # what gunicorn does when the worker is told to stop
gevent.sleep(0.5)
print(json.dumps({
    "objects": objects,
    "frozen": frozen,
    "threshold": gc.get_threshold(),
    "tree": gevent.config.track_greenlet_tree,
    "open_while_alive": open_after_wait,
    "closed_on_stop": closed == [True],
}))
"""


def run_worker_init() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_worker_init_takes_the_loaded_application_out_of_the_collectors_walks() -> None:
    result = run_worker_init()
    # What was loaded before the hook is frozen: a full collection no longer walks it.
    assert isinstance(result["objects"], int) and isinstance(result["frozen"], int)
    assert result["frozen"] >= result["objects"] * 0.9
    # Young collections every 10,000 allocations, not 700: fewer short-lived objects promoted
    # to the oldest generation, so fewer full collections with thousands of connections.
    assert result["threshold"] == [10_000, 10, 10]
    # Greenlets do not keep the stack that spawned them.
    assert result["tree"] is False


def test_worker_closes_its_socketio_connections_once_told_to_stop() -> None:
    result = run_worker_init()
    assert result["open_while_alive"] is True
    assert result["closed_on_stop"] is True
