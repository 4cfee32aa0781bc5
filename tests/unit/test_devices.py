"""Device credentials through the domain functions: enrollment links (single use, 24 h), the
demo's reusable links, one-click enrollment, and revocation. A real SQLite database and a
fixed clock."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.config import Config
from kiosk.db import Database
from kiosk.domain import accounts, devices
from kiosk.domain.clock import FixedClock
from kiosk.domain.devices import EnrollmentRefused
from kiosk.domain.errors import Forbidden, InvalidInput, NotFound
from kiosk.domain.events import CredentialsRevoked
from kiosk.domain.tickets import Actor
from kiosk.models import AuditEntry

ADMIN = Actor(user_id=1, role="admin")


@pytest.fixture
def kiosk(db: Database, cast: Config, clock: FixedClock) -> str:
    """Device ``kiosk-1`` at the hall (and user 1, an admin); returns the device's token."""
    with db.transaction() as s:
        accounts.add_user(s, cast, clock.now(), "boss", "admin", "long-password")
        _, token = accounts.add_device(s, cast, clock.now(), "kiosk-1", "kiosk", "hall")
    return token


def link(db: Database, cast: Config, clock: FixedClock, name: str = "kiosk-1") -> str:
    with db.transaction() as s:
        return devices.issue_link(s, cast, clock.now(), name).secret


def enroll(db: Database, clock: FixedClock, secret: str) -> devices.Enrollment:
    with db.transaction() as s:
        return devices.enroll_with_link(s, clock.now(), secret, "10.0.0.7")


def resolves(db: Database, clock: FixedClock, token: str) -> bool:
    with db.read() as s:
        return accounts.resolve_token(s, token, clock.now()) is not None


def refusal(db: Database, clock: FixedClock, secret: str) -> str:
    with pytest.raises(EnrollmentRefused) as caught:
        enroll(db, clock, secret)
    return caught.value.reason


def test_a_link_enrolls_one_browser_once(
    db: Database, cast: Config, clock: FixedClock, kiosk: str
) -> None:
    secret = link(db, cast, clock)
    assert secret != kiosk and secret.startswith("e_") and len(secret) > 40
    done = enroll(db, clock, secret)
    assert done.device.name == "kiosk-1" and done.device.kind == "kiosk"
    assert done.token not in (secret, kiosk)  # the browser's own credential
    assert resolves(db, clock, done.token)
    assert not resolves(db, clock, secret)  # a link is never a bearer token
    assert refusal(db, clock, secret) == "used"
    assert refusal(db, clock, "e_" + "x" * 43) == "unknown"
    assert refusal(db, clock, "") == "unknown"


def test_a_link_expires_after_24_hours(
    db: Database, cast: Config, clock: FixedClock, kiosk: str
) -> None:
    late, in_time = link(db, cast, clock), link(db, cast, clock)
    clock.advance(hours=23, minutes=59)
    enroll(db, clock, in_time)
    clock.advance(minutes=1)
    assert refusal(db, clock, late) == "expired"


def test_revoke_stops_the_token_every_browser_and_unused_links(
    db: Database, cast: Config, clock: FixedClock, kiosk: str
) -> None:
    browsers = [enroll(db, clock, link(db, cast, clock)).token for _ in range(2)]
    pending = link(db, cast, clock)
    with db.transaction() as s:
        done, events = devices.revoke_device(s, cast, clock.now(), "kiosk-1", ADMIN)
    assert (done.token, done.browsers, done.links) == (True, 2, 1)
    assert events == [CredentialsRevoked(device_id=done.device.id)]
    for token in (kiosk, *browsers):
        assert not resolves(db, clock, token)
    assert refusal(db, clock, pending) == "revoked"
    with db.read() as s:
        row = s.scalar(select(AuditEntry).where(AuditEntry.action == "device_revoked"))
    assert row is not None and row.user_id == 1 and row.details["device"] == "kiosk-1"
    assert kiosk not in str(row.details)

    # The device stays: a new link enrolls a replacement browser.
    assert resolves(db, clock, enroll(db, clock, link(db, cast, clock)).token)
    with db.transaction() as s:
        again, _ = devices.revoke_device(s, cast, clock.now(), "kiosk-1")
    assert (again.token, again.browsers, again.links) == (False, 1, 0)


def test_what_cannot_have_a_link(db: Database, cast: Config, clock: FixedClock, kiosk: str) -> None:
    with db.transaction() as s:
        accounts.add_device(s, cast, clock.now(), "printer-1", "printer", "hall")
    with pytest.raises(InvalidInput):
        link(db, cast, clock, "printer-1")
    with pytest.raises(NotFound):
        link(db, cast, clock, "nobody")
    with pytest.raises(NotFound), db.transaction() as s:
        devices.revoke_device(s, cast, clock.now(), "nobody")


def test_the_demo_link_is_reusable_and_comes_back_after_a_revoke(
    db: Database, cast: Config, clock: FixedClock, kiosk: str
) -> None:
    secret = "e_demo-secret-of-kiosk-1-demo-secret-of-kiosk"
    for _ in range(2):
        with db.transaction() as s:
            devices.keep_demo_link(s, cast, clock.now(), "kiosk-1", secret)
    clock.advance(days=30)
    first, second = enroll(db, clock, secret), enroll(db, clock, secret)
    assert first.token != second.token
    with db.transaction() as s:
        devices.revoke_device(s, cast, clock.now(), "kiosk-1")
    assert refusal(db, clock, secret) == "revoked"
    assert not resolves(db, clock, first.token)
    with db.transaction() as s:  # the demo runs again
        devices.keep_demo_link(s, cast, clock.now(), "kiosk-1", secret)
    assert resolves(db, clock, enroll(db, clock, secret).token)
    assert not resolves(db, clock, first.token)  # revoked browsers stay revoked


def test_one_click_enrollment_is_for_admins_and_the_device_itself(
    db: Database, cast: Config, clock: FixedClock, kiosk: str
) -> None:
    with db.transaction() as s:
        done = devices.enroll_browser(s, cast, clock.now(), "kiosk-1", ADMIN)
    assert resolves(db, clock, done.token)
    with db.transaction() as s:
        accounts.add_device(s, cast, clock.now(), "display-1", "display", "hall", display=1)
    with db.read() as s:
        own = accounts.resolve_token(s, kiosk, clock.now())
    assert own is not None and own.device is not None
    as_device = Actor(device_id=own.device.id, role="kiosk")
    for actor, name, via in (
        (Actor(user_id=1, role="supervisor"), "kiosk-1", "admin"),
        (as_device, "display-1", "token"),  # a kiosk's token cannot enroll the display
        (ADMIN, "kiosk-1", "token"),
    ):
        with pytest.raises(Forbidden), db.transaction() as s:
            devices.enroll_browser(s, cast, clock.now(), name, actor, via=via)
    with db.transaction() as s:
        devices.enroll_browser(s, cast, clock.now(), "kiosk-1", as_device, via="token")
    with db.read() as s:
        actions = list(s.scalars(select(AuditEntry.action)))
    assert actions.count("device_enrolled") == 2
