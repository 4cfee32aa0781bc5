"""Printing inside a gevent server (greenlets on monkey-patched sockets): device calls that
block in C code run in an OS thread, and a hung network printer never stalls the event loop.

Each case runs in a fresh interpreter: monkey-patching is for the whole process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("gevent")
ROOT = Path(__file__).resolve().parents[2]

PRELUDE = """
from gevent import monkey

monkey.patch_all()

import socket
import time

import gevent

from printer.port import PrinterError
from printer.spec import parse_printer_uri
from printer.transports import Transport, open_transport
from printer.transports.blocking import gevent_patched, run_blocking

c_sleep = monkey.get_original("time", "sleep")  # blocks the whole OS thread, like pyusb
ticks = []


def ticker():
    while True:
        ticks.append(time.monotonic())
        gevent.sleep(0.01)


def ticks_during(started, ended):
    return sum(1 for t in ticks if started <= t <= ended)


gevent.spawn(ticker)
gevent.sleep(0.05)
assert gevent_patched()
"""


def run(tmp_path: Path, body: str) -> None:
    script = tmp_path / "case.py"
    script.write_text(PRELUDE + textwrap.dedent(body), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith("ok"), out.stdout + out.stderr


def test_blocking_device_calls_leave_the_event_loop_running(tmp_path: Path) -> None:
    run(
        tmp_path,
        """
        started = time.monotonic()
        assert run_blocking(lambda: (c_sleep(0.4), "done")[1], 5) == "done"
        assert ticks_during(started, time.monotonic()) >= 8, "the loop stalled"

        try:
            run_blocking(lambda: c_sleep(2), 0.2)
        except TimeoutError:
            pass
        else:
            raise AssertionError("no time limit")

        class SlowDevice(Transport):  # a USB printer that takes 0.4 s in C code
            kind = "slow"
            blocking_io = True

            def _send(self, data):
                c_sleep(0.4)

        device = SlowDevice(parse_printer_uri("dummy?timeout_s=2"))
        started = time.monotonic()
        device.send(b"job")
        assert ticks_during(started, time.monotonic()) >= 8, "the loop stalled"
        print("ok")
        """,
    )


def test_a_hung_network_printer_fails_without_stalling_the_event_loop(tmp_path: Path) -> None:
    run(
        tmp_path,
        """
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        held = []
        gevent.spawn(lambda: held.append(server.accept()))  # accepts, never reads

        printer = open_transport(
            parse_printer_uri(f"network:127.0.0.1:{server.getsockname()[1]}?timeout_s=0.5")
        )
        started = time.monotonic()
        try:
            printer.send(b"\\x1b@" + b"\\x00" * 40_000)  # a ticket's size
        except PrinterError as e:
            assert "timed out" in str(e) and not e.permanent
        else:
            raise AssertionError("a hung printer was reported as printed")
        took = time.monotonic() - started
        assert took < 5
        assert ticks_during(started, time.monotonic()) >= took * 20, "the loop stalled"
        print("ok")
        """,
    )
