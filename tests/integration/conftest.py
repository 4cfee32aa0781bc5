"""Fixtures of the /admin page tests: an admin signed in through the login form."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Actions

PASSWORD = "correct-horse"


@pytest.fixture
def admin(client: Any, actions: Actions) -> Any:
    actions.user("boss", "admin", password=PASSWORD)
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"username": "boss", "password": PASSWORD, "csrf_token": token})
    assert r.status_code in (302, 303)
    return client


def csrf(page: Any) -> str:
    """The CSRF token of a form page."""
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
