"""Shared fixtures: the named cast (tests/cast), a fixed clock, fresh databases and apps."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kiosk.config import Config, load_config
from kiosk.db import Database
from kiosk.domain.clock import FixedClock
from kiosk.models import Base

CAST = Path(__file__).parent / "cast"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PG_ADMIN_URL = os.environ.get(
    "MOTCUA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def at(text: str) -> datetime:
    """A local (Asia/Ho_Chi_Minh) instant: ``at("2026-11-25 09:00")``."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def cast() -> Config:
    return load_config(CAST)


@pytest.fixture
def clock() -> FixedClock:
    # A Wednesday morning.
    return FixedClock(at("2026-11-25 09:00"))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=2
        ):
            return True
    except Exception:
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database on 127.0.0.1, dropped afterwards."""
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL on 127.0.0.1:5432 is required in CI")
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    import psycopg

    name = f"motcua_test_{uuid.uuid4().hex[:10]}"
    admin = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_url")
    database = Database(url)
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def app(tmp_path: Path, clock: FixedClock) -> Iterator[Any]:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    with app_on(url, tmp_path, clock, CAST, public_url="http://motcua.test") as application:
        yield application


@contextmanager
def app_on(url: str, tmp_path: Path, clock: Any, config: Path, **settings: Any) -> Iterator[Any]:
    """A test app on database ``url``, migrated and with ``config`` loaded (``settings`` add to
    or override the test settings); its database is disposed of afterwards."""
    from kiosk import create_app
    from kiosk.dbsetup import load_config as load_rows
    from kiosk.dbsetup import upgrade

    application = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(config),
            "database_url": url,
            "secret_key": "test-secret",
            "clock": clock,
            "testing": True,
            **settings,
        }
    )
    m = application.extensions["motcua"]
    upgrade(m.db)
    load_rows(m.db, m.config)
    try:
        yield application
    finally:
        m.db.dispose()


def database_url(request: pytest.FixtureRequest, tmp_path: Path, name: str) -> str:
    """The URL for a fixture parametrised with "sqlite" / "postgresql": a SQLite file called
    ``name`` in ``tmp_path``, or the test's private PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / name}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


class Actions:
    """Make users, devices and tokens; issue and call tickets through the API."""

    def __init__(self, app: Any, client: Any) -> None:
        self.app = app
        self.client = client
        self.m = app.extensions["motcua"]

    def user(
        self,
        name: str = "staff1",
        role: str = "staff",
        site: str | None = None,
        password: str = "correct-horse",
    ) -> str:
        from kiosk.domain import accounts

        with self.m.db.transaction() as s:
            user = accounts.add_user(
                s, self.m.config, self.m.clock.now(), name, role, password, site
            )
            token, _ = accounts.issue_user_token(s, user, self.m.clock.now())
        return token

    def device(
        self,
        name: str,
        kind: str,
        site: str = "hall",
        display: int | None = None,
        counter: int | None = None,
    ) -> str:
        from kiosk.domain import accounts

        with self.m.db.transaction() as s:
            _, token = accounts.add_device(
                s, self.m.config, self.m.clock.now(), name, kind, site, display, counter
            )
        return token

    @staticmethod
    def auth(token: str, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **headers}

    def issue(self, token: str, service: str = "cert", site: str = "hall", **body: Any) -> Any:
        return self.client.post(
            "/api/v1/tickets",
            json={"site": site, "service": service, **body},
            headers=self.auth(token),
        )

    def call_next(self, token: str, counter: int = 1, site: str = "hall") -> Any:
        return self.client.post(
            f"/api/v1/counters/{site}/{counter}/call-next", headers=self.auth(token)
        )

    def act(self, token: str, ticket_id: int, action: str, body: Any = None) -> Any:
        return self.client.post(
            f"/api/v1/tickets/{ticket_id}/{action}", json=body, headers=self.auth(token)
        )


@pytest.fixture
def actions(app: Any, client: Any) -> Actions:
    return Actions(app, client)
