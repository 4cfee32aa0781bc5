"""Browser tests: a real ``motcua serve`` on the demo configuration, driven by Playwright in
Debian's Chromium (never a downloaded browser).

Fixtures:
* ``demo`` (module): a server on ``config/`` (the demo) with a spool printer; ``demo.spool``
  is the folder that receives each print job's ESC/POS bytes;
* ``browser`` (session) and ``page`` (a fresh context per test, 1080×1920 portrait unless the
  test asks otherwise with ``new_page``);
* helpers ``enroll(page, server, token)``, ``login(page, server, name)`` and
  ``shot(page, name)``, which saves ``<name>.png`` in a temporary folder, so that a test run
  leaves the work tree as it was. ``scripts/screenshots`` runs these tests with
  ``SCREENSHOTS_DIR=docs/screenshots`` to refresh the committed pictures on purpose.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import serverproc

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is required in CI (scripts/test installs it)")
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--disable-gpu",
                "--disable-background-networking",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[serverproc.Server]:
    """The demo configuration, served for real, printing to a spool folder."""
    base = tmp_path_factory.mktemp("demo")
    spool = base / "spool"
    spool.mkdir()
    server = serverproc.Server(base / "instance", config=REPO / "config", printer=f"spool:{spool}")
    server.spool = spool  # type: ignore[attr-defined]
    try:
        server.init_db()
        server.start()
        yield server
    finally:
        server.stop()


def new_page(
    browser: Any,
    viewport: dict[str, int] = PORTRAIT,
    lang: str = "vi-VN",
    service_workers: str = "allow",
) -> Any:
    context = browser.new_context(
        viewport=viewport, locale=lang, has_touch=True, service_workers=service_workers
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    p = new_page(browser)
    yield p
    p.context.close()


def enroll(page: Any, server: serverproc.Server, token: str) -> None:
    """Open the device's enrollment link: sets the device cookie, lands on its page."""
    page.goto(f"{server.url}/enroll?token={token}")


def login(page: Any, server: serverproc.Server, name: str, next_path: str = "/counter") -> None:
    page.goto(f"{server.url}/login?next={next_path}")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", serverproc.PASSWORD)
    page.click("button[type=submit]")


_shots: list[Path] = []


@pytest.fixture(scope="session", autouse=True)
def _screenshot_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Screenshots of a test run go to pytest's temporary folder (old runs are pruned)."""
    _shots[:] = [tmp_path_factory.mktemp("screenshots")]


def screenshots_dir() -> Path:
    """``SCREENSHOTS_DIR`` when set (scripts/screenshots: docs/screenshots/), else the run's
    temporary folder."""
    wanted = os.environ.get("SCREENSHOTS_DIR")
    folder = Path(wanted) if wanted else _shots[0]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot(page: Any, name: str) -> Path:
    """Save a screenshot as ``<name>.png`` (see :func:`screenshots_dir`); returns its path."""
    path = screenshots_dir() / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def clear_spool(server: serverproc.Server) -> Path:
    spool: Path = server.spool  # type: ignore[attr-defined]
    shutil.rmtree(spool)
    spool.mkdir()
    return spool
