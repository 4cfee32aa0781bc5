"""Admins saving at the same time: no change is lost and versions never collide (SQLite's
single writer; a table lock on PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from kiosk.config import read_documents
from kiosk.db import Database
from kiosk.domain import configuration, site_setup
from kiosk.domain.clock import FixedClock
from kiosk.domain.tickets import Actor
from tests.conftest import CAST

ADMIN = Actor(role="admin")


def test_concurrent_changes_all_land(any_db: Database, clock: FixedClock) -> None:
    with any_db.transaction() as s:
        configuration.seed(s, datetime.now(UTC), read_documents(CAST), CAST)
        cfg = configuration.build(configuration.read_documents(s), CAST).config
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def add(i: int) -> None:
        start.wait()
        try:
            with any_db.transaction() as s:
                site_setup.add_service(
                    s,
                    cfg,
                    clock,
                    ADMIN,
                    "hall",
                    {"code": f"svc{i}", "prefix": "CDEFGH"[i], "name": f"Dịch vụ {i}"},
                )
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with any_db.read() as s:
        assert configuration.live_version(s) == 7
        live = configuration.build(configuration.read_documents(s), CAST).config
    assert {f"svc{i}" for i in range(6)} <= {x.code for x in live.site("hall").services}
