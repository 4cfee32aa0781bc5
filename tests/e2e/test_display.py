"""The hall display in Debian's Chromium against a real server: calls made through the API show
up without a reload, announcements play one after the other, the page survives a server
restart and its watchdog reloads it only when the server answers.

The server runs the demo configuration with the announcement said once (not twice), so that
each announcement lasts about 7 s instead of 14 s and the tests stay short.
"""

from __future__ import annotations

import io
import shutil
import time
import urllib.request
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests import serverproc
from tests.e2e.conftest import CHROMIUM, LANDSCAPE, REPO, enroll, new_page, shot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SERVICE_OF_COUNTER = {1: "chungthuc", 2: "chungthuc", 3: "hotich", 4: "diachinh", 5: "vhxh"}
SERVICE_OF_COUNTER.update({6: "kinhte", 7: "hotro", 8: "traketqua"})


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[serverproc.Server]:
    base = tmp_path_factory.mktemp("display")
    config = base / "config"
    shutil.copytree(REPO / "config", config)
    main = config / "motcua.yaml"
    text = main.read_text(encoding="utf-8")
    assert "  repeat: 2\n" in text
    main.write_text(text.replace("  repeat: 2\n", "  repeat: 1\n"), encoding="utf-8")
    # A fixed port: the restart test brings the server back where the page expects it.
    server = serverproc.Server(base / "instance", config=config, port=serverproc.free_port())
    try:
        server.init_db()
        with ThreadPoolExecutor(3) as pool:  # each CLI call starts Python afresh: overlap them
            started = pool.submit(server.start)
            staff = pool.submit(server.staff_token, "dieuphoi", role="admin")
            tv = pool.submit(server.device_token, "tv-hall", kind="display", display=1)
            started.result()
        server.staff = staff.result()  # type: ignore[attr-defined]
        server.tv = tv.result()  # type: ignore[attr-defined]
        yield server
    finally:
        server.stop()


def call(server: serverproc.Server, counter: int) -> str:
    """Issue a ticket the counter serves, call the next one at the counter through the API,
    and return the called number."""
    staff = server.staff  # type: ignore[attr-defined]
    body = {"site": "hall", "service": SERVICE_OF_COUNTER[counter]}
    status, _ = server.request("POST", "/api/v1/tickets", staff, body)
    assert status in (200, 201)
    status, ticket = server.request("POST", f"/api/v1/counters/hall/{counter}/call-next", staff)
    assert status == 200, (status, ticket)
    return str(ticket["number"])


def open_display(browser: Any, server: serverproc.Server, path: str = "/display/1") -> Any:
    page = new_page(browser, LANDSCAPE)
    enroll(page, server, server.tv)  # type: ignore[attr-defined]
    if path != "/display/1":
        page.goto(server.url + path)
    page.wait_for_selector("body[data-synced]")
    return page


def wait_until(page: Any, expression: str, timeout_s: float = 10) -> None:
    """Poll ``expression`` until it is true. Not ``page.wait_for_function``: that re-evaluates
    a string predicate with ``eval`` inside the page, which the display's Content Security
    Policy (rightly) refuses as soon as the first check is false."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s} s: {expression}")
        page.wait_for_timeout(50)


def audio_log(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("window.motcuaAudio.log.slice()")  # type: ignore[no-any-return]


def entry(log: list[dict[str, Any]], kind: str, number: str) -> dict[str, Any]:
    found = [e for e in log if e["type"] == kind and e["number"] == number]
    assert len(found) == 1, (kind, number, log)
    return found[0]


def wav_seconds(server: serverproc.Server, number: str, counter: int) -> float:
    with urllib.request.urlopen(f"{server.url}/audio/call/{number}/{counter}.wav") as resp:
        data = resp.read()
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


def test_calls_show_without_reload_and_are_announced_one_after_the_other(
    browser: Any, hall: serverproc.Server
) -> None:
    page = open_display(browser, hall)
    page.evaluate("window.sameDocument = true")
    first, second = call(hall, 4), call(hall, 1)
    # Both calls are on the board at once, without a reload...
    page.wait_for_selector(f'.tile[data-counter="4"] .tile-number[data-number="{first}"]')
    page.wait_for_selector(f'.tile[data-counter="1"] .tile-number[data-number="{second}"]')
    assert [n.get_attribute("data-number") for n in page.locator("#recent li").all()[:2]] == [
        second,
        first,
    ]
    newest = page.locator('.tile[data-counter="1"]').get_attribute("class") or ""
    assert "newest" in newest and "flash" in newest
    # ...while the announcements take turns, each call filling the screen while it is heard.
    page.wait_for_selector(f'#callout[data-number="{first}"]')
    assert page.locator("#callout-counter").inner_text() == "Quầy 4"
    page.wait_for_selector(f'#callout[data-number="{second}"]', timeout=30_000)
    assert page.locator("#callout-counter").inner_text() == "Quầy 1"
    page.wait_for_selector("#callout", state="hidden", timeout=30_000)
    log = audio_log(page)
    assert [e["number"] for e in log if e["type"] == "queued"] == [first, second]
    s1, e1 = entry(log, "started", first), entry(log, "ended", first)
    s2, e2 = entry(log, "started", second), entry(log, "ended", second)
    assert not s1["muted"] and not s2["muted"]
    assert s1["at"] < e1["at"] <= s2["at"] < e2["at"], "never two at once"
    # Never cut off: each one played (about) as long as its WAV lasts.
    assert e1["at"] - s1["at"] >= 900 * wav_seconds(hall, first, 4)
    assert e2["at"] - s2["at"] >= 900 * wav_seconds(hall, second, 1)
    assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
    assert page.evaluate("document.body.dataset.synced") == "1"
    page.context.close()


def test_calls_that_queue_up_are_listed_at_once_and_read_short(
    browser: Any, hall: serverproc.Server
) -> None:
    """Three counters call at once: the first is read in full, the two waiting behind it are
    listed under the callout at once and read in the short form, so the last of the burst
    reaches the callout well before three full announcements."""
    page = open_display(browser, hall)
    first, second, third = call(hall, 4), call(hall, 5), call(hall, 6)
    page.wait_for_selector(f'#callout[data-number="{first}"]')
    page.wait_for_selector(f'#callout-next-list li[data-number="{third}"]')
    listed = [n.get_attribute("data-number") for n in page.locator("#callout-next-list li").all()]
    assert listed == [second, third]
    page.wait_for_selector(f'#callout[data-number="{third}"]', timeout=30_000)
    assert page.locator("#callout-next").is_hidden()  # nothing waits behind the last one
    page.wait_for_selector("#callout", state="hidden", timeout=30_000)
    log = audio_log(page)
    queued = {e["number"]: e for e in log if e["type"] == "queued"}
    assert [queued[n]["short"] for n in (first, second, third)] == [False, True, True]
    for number in (second, third):
        assert not entry(log, "started", number)["muted"]
    page.context.close()


def test_an_ordinary_browser_offers_to_enable_sound(browser: Any, hall: serverproc.Server) -> None:
    """Without --autoplay-policy=no-user-gesture-required (an ordinary browser) the display
    shows "Bật âm thanh / Enable sound"; one click and calls are read aloud."""
    ordinary = browser.browser_type.launch(
        executable_path=CHROMIUM, args=["--disable-gpu", "--disable-background-networking"]
    )
    try:
        page = ordinary.new_page(viewport=LANDSCAPE, locale="vi-VN")
        page.set_default_timeout(10_000)
        enroll(page, hall, hall.tv)  # type: ignore[attr-defined]
        page.wait_for_selector("body[data-synced]")
        assert page.evaluate("document.body.dataset.sound") == "blocked"
        button = page.locator("#sound")
        assert button.is_visible() and "Bật âm thanh" in button.inner_text()
        assert "Enable sound" in button.inner_text()
        shot(page, "display-enable-sound")
        button.click()
        wait_until(page, "document.body.dataset.sound === 'on'")
        assert button.is_hidden()
        number = call(hall, 2)
        wait_until(
            page,
            f"window.motcuaAudio.log.some(e => e.type === 'started' && e.number === '{number}')",
        )
        started = entry(audio_log(page), "started", number)
        assert not started["muted"], "after the click the call is played"
    finally:
        ordinary.close()


def test_the_counter_display_shows_its_own_number(browser: Any, hall: serverproc.Server) -> None:
    page = open_display(browser, hall, "/display/1?counter=5")
    mine = call(hall, 5)
    page.wait_for_selector(f'#cs-number[data-number="{mine}"]')
    call(hall, 6)  # another counter of the same display: not shown here, not announced
    mine_again = call(hall, 5)
    page.wait_for_selector(f'#cs-number[data-number="{mine_again}"]')
    assert page.locator(".cs-head").inner_text() == "QUẦY 5"
    assert page.locator("#cs-service").inner_text() == "Văn hóa – Xã hội, người có công"
    wait_until(page, "window.motcuaAudio.log.length >= 3")
    log = audio_log(page)
    assert {e["number"] for e in log} == {mine, mine_again}
    assert all(e["muted"] for e in log if e["type"] == "started")  # counter screens are silent
    time.sleep(0.3)
    shot(page, "display-counter")
    page.context.close()


def test_quiet_hours_show_calls_without_sound(browser: Any, hall: serverproc.Server) -> None:
    page = open_display(browser, hall)

    def all_day_quiet(route: Any) -> None:
        resp = route.fetch()
        body = resp.text()
        assert '"quiet_hours": []' in body
        route.fulfill(
            response=resp, body=body.replace('"quiet_hours": []', '"quiet_hours": [[0, 1440]]')
        )

    page.route("**/display/1", all_day_quiet)
    page.goto(hall.url + "/display/1")
    page.wait_for_selector("body[data-synced]")
    number = call(hall, 7)
    page.wait_for_selector(f'#callout[data-number="{number}"]')
    wait_until(page, "window.motcuaAudio.log.some(e => e.type === 'started')")
    assert entry(audio_log(page), "started", number)["muted"] is True
    page.context.close()


def test_the_page_recovers_after_the_server_restarts(browser: Any, hall: serverproc.Server) -> None:
    page = open_display(browser, hall)
    page.evaluate("window.sameDocument = true")
    assert page.evaluate("document.body.dataset.connected") == "1"
    # kill -9: what the page sees is the same as for a stop (whose graceful wait for open
    # WebSockets only makes the test longer).
    hall.kill()
    page.wait_for_selector("body[data-connected='0']")
    page.wait_for_selector("#offline", state="visible")
    time.sleep(1.0)  # a few failed reconnection attempts
    hall.start()
    back = time.monotonic()
    # The snapshot of the reconnect, then (asked for) the calls missed while away: 2 or 3.
    wait_until(page, "Number(document.body.dataset.synced) >= 2", timeout_s=10)
    resynced_s = time.monotonic() - back
    assert resynced_s < 2.0, f"resynced {resynced_s:.2f} s after the server came back"
    assert page.locator("#offline").is_hidden()
    number = call(hall, 2)
    page.wait_for_selector(f'.tile[data-counter="2"] .tile-number[data-number="{number}"]')
    # Only the new call was announced: the snapshot after the restart replays nothing.
    assert [e["number"] for e in audio_log(page) if e["type"] == "queued"] == [number]
    assert page.evaluate("window.sameDocument") is True
    page.context.close()


def test_the_watchdog_reloads_only_when_the_server_answers(
    browser: Any, hall: serverproc.Server
) -> None:
    page = open_display(browser, hall)  # enrolled: the device cookie is set
    up = {"socket": False, "healthz": False}

    def shorter_watchdog(route: Any) -> None:
        resp = route.fetch()
        body = resp.text()
        assert '"watchdog_s": 60' in body
        route.fulfill(response=resp, body=body.replace('"watchdog_s": 60', '"watchdog_s": 1'))

    def websocket(ws: Any) -> None:
        if up["socket"]:
            ws.connect_to_server()
        else:
            ws.close()

    def http(route: Any) -> None:
        if up["socket"] if "/socket.io/" in route.request.url else up["healthz"]:
            route.continue_()
        else:
            route.abort()

    page.route("**/display/1", shorter_watchdog)
    page.route_web_socket("**/socket.io/**", websocket)
    page.route("**/socket.io/**", http)
    page.route("**/healthz", http)
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    page.goto(hall.url + "/display/1")
    page.wait_for_selector("#offline", state="visible")
    # Socket down and the server unreachable: never reload into the browser's error page.
    page.wait_for_timeout(3000)
    assert len(loads) == 1
    # The server answers but the socket stays broken: the watchdog reloads the page.
    up["healthz"] = True
    deadline = time.monotonic() + 10
    while len(loads) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert len(loads) >= 2 and loads[-1].endswith("/display/1")
    up["socket"] = True
    page.wait_for_selector("body[data-connected='1'][data-synced]", timeout=15_000)
    page.context.close()


def test_screenshots_of_a_busy_hall(browser: Any, hall: serverproc.Server) -> None:
    """docs/screenshots/display-hall*.png: the board with a call on every counter, and a call
    being announced."""
    for counter in (1, 2, 3, 5, 6, 7, 8, 1, 4, 2):
        call(hall, counter)
    for service, waiting in (("chungthuc", 6), ("hotich", 4), ("diachinh", 2), ("hotro", 3)):
        for _ in range(waiting):
            hall.request(
                "POST", "/api/v1/tickets", hall.staff, {"site": "hall", "service": service}
            )  # type: ignore[attr-defined]
    page = open_display(browser, hall)
    wait_until(
        page,
        "document.querySelector('#waiting li[data-service=chungthuc] .count').textContent !== '–'",
    )
    page.wait_for_timeout(300)
    assert page.locator(".tile .tile-number[data-number='']").count() == 0
    assert page.locator("#callout").is_hidden()  # the snapshot announces nothing
    shot(page, "display-hall")
    number = call(hall, 3)
    page.wait_for_selector(f'#callout[data-number="{number}"]')
    page.wait_for_timeout(600)  # the pop-in animation
    shot(page, "display-hall-call")
    page.context.close()
