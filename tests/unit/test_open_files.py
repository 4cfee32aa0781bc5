"""``motcua serve`` raises its soft limit on open files to what its connections need, up to
the hard limit, and says so when the hard limit is too low (``kiosk.server``). Run in a fresh
interpreter: the limits are the process's own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, resource, sys
from kiosk.server import raise_open_files_limit
soft, hard = (int(x) for x in sys.argv[1:3])
resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
warning = raise_open_files_limit(int(sys.argv[3]))
print(json.dumps([resource.getrlimit(resource.RLIMIT_NOFILE)[0], warning]))
"""


def _run(soft: int, hard: int, connections: int) -> tuple[int, str | None]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(soft), str(hard), str(connections)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        timeout=60,
    )
    limit, warning = json.loads(done.stdout)
    return limit, warning


def test_the_soft_limit_rises_to_what_the_connections_need() -> None:
    assert _run(1024, 4096, 2000) == (3024, None)


def test_a_hard_limit_too_low_is_reached_and_reported() -> None:
    limit, warning = _run(1024, 2048, 2000)
    assert limit == 2048
    assert warning is not None
    assert "2048" in warning and "MOTCUA_MAX_CONNECTIONS=2000" in warning


def test_a_soft_limit_high_enough_is_left_alone() -> None:
    assert _run(4000, 4096, 100) == (4000, None)
