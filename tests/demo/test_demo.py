"""The newcomer's first hour: ``scripts/demo`` from an empty folder, checked headless, then its
Home Assistant UI in a real browser (Debian's chromium driven by Playwright), then a clean stop.

Screenshots land in ``.screenshots/`` (git-ignored); docs/images/ holds copies for the docs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import json
import os
from pathlib import Path
import re
import shutil
import subprocess
from urllib.parse import urlparse

import aiohttp
from playwright.sync_api import ConsoleMessage, Page, sync_playwright
import pytest

from demo.home_assistant import PASSWORD, USERNAME, DemoError, WebSocket, error_lines
from tests.demo.conftest import REPO, DemoProcess, start_demo, write_atomically

SCREENSHOTS = REPO / ".screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# How long the UI may take to replace "Loading..." with the page (a failure guard, not a target).
UI_GUARD_MS = 30_000
STAGES = [
    "store set up and offender enrolled",
    "smartshop_match",
    "notification sent",
    "alert waiting for Confirm / Not them",
    "Confirm pressed and the match confirmed",
]


SECRET_FIELDS = ("api_token", "engine_secret_access_key", "engine_access_key_id")


def _secrets(demo: DemoProcess) -> dict[str, str]:
    """Every secret of the run: the store's bridge credentials as Home Assistant keeps them,
    the engine secrets as the bridge keeps them, and the bridge's TLS private key."""
    found: dict[str, str] = {}
    entries = json.loads(
        (demo.workdir / "homeassistant" / ".storage" / "core.config_entries").read_text()
    )
    for entry in entries["data"]["entries"]:
        if entry["domain"] == "smartshop":
            for field in SECRET_FIELDS:
                if entry["data"].get(field):
                    found[f"entry {field}"] = entry["data"][field]
    data = demo.workdir / "bridge" / "data"
    for client in json.loads((data / "clients.json").read_text())["clients"]:
        found[f"bridge client {client['client_id']}"] = client["engine_secret_access_key"]
    key_lines = (data / "tls" / "bridge-key.pem").read_text().splitlines()
    found["TLS key"] = max(key_lines, key=len)
    assert {"entry api_token", "entry engine_secret_access_key", "TLS key"} <= set(found)
    return found


def _leaks(text: str, demo: DemoProcess) -> list[str]:
    return [name for name, secret in _secrets(demo).items() if secret in text]


@pytest.mark.slow
def test_check_follows_a_match_through_the_alert(running_demo: DemoProcess) -> None:
    """Onboarding, pairing, enrolment, a match, the staff alert waiting for its buttons, the
    Confirm press applied; Home Assistant's log without an ERROR line; the key never printed."""
    output = running_demo.output
    assert "stages: " + " -> ".join(STAGES) in output, output[-3000:]
    latency = re.search(r"end-to-end latency .*: (\d+) ms", output)
    assert latency is not None, output[-3000:]
    assert int(latency[1]) < 10_000
    assert "its Confirm button confirmed the match" in output
    assert re.search(
        r"wrote \d+ incidents of demo history \(8 weeks, marked as demo data\)", output
    )
    assert re.search(r"Home Assistant \S+ log: 0 ERROR lines", output), output[-3000:]
    assert _leaks(output, running_demo) == []


@pytest.fixture
def page() -> Iterator[Page]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run scripts/setup")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(UI_GUARD_MS)
        yield context.new_page()
        browser.close()


def _console_errors(page: Page) -> list[str]:
    """Errors from Home Assistant's own pages and scripts. Requests to other hosts (brand icons
    from the internet) fail on a machine without internet; they are not the UI's errors."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        url = message.location.get("url") or ""
        if message.type == "error" and urlparse(url).hostname in (None, "", "127.0.0.1"):
            errors.append(f"{message.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


def _shot(page: Page, name: str) -> None:
    write_atomically(SCREENSHOTS / f"{name}.png", page.screenshot())


@pytest.mark.slow
def test_home_assistant_ui_in_a_browser(running_demo: DemoProcess, page: Page) -> None:
    """Log in; the UI loads (no endless "Loading..."); SmartShop's page shows the store, its
    devices and the watchlist; the staff alert is in the notifications with its snapshot; no
    console error."""
    errors = _console_errors(page)
    url = running_demo.ha_url
    page.goto(url)
    page.get_by_label("Username").click()
    page.keyboard.type(USERNAME)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_text("Welcome Demo owner").wait_for()
    assert not page.get_by_text("Loading...").is_visible()
    _shot(page, "demo-overview")

    page.goto(f"{url}/config/integrations/integration/smartshop")
    for text in ("Demo shop bridge", "Front door", "Watchlist"):
        page.get_by_text(text).first.wait_for()
    assert page.get_by_text("Demo shop", exact=True).count() >= 1
    assert page.get_by_text("Demo", exact=True).count() >= 1  # the watchlist
    _shot(page, "demo-integration")

    page.get_by_text("Notifications").click()
    page.get_by_text("Possible match — verify").wait_for()
    snapshot = page.locator("img[src*='/api/smartshop/snapshot/']")
    snapshot.wait_for()
    width, height = snapshot.evaluate(
        "img => [img.complete && img.naturalWidth, img.naturalHeight]"
    )
    assert width > 0 and height > 0, "the alert's snapshot did not load"
    _shot(page, "demo-alert")

    # The manager's console (its sidebar link is clicked in test_console_browser): the demo store with its incidents (the demo's own
    # match and the generated history), and the trends' heatmap.
    page.goto(f"{url}/smartshop")  # the notifications drawer is open over the sidebar
    page.locator("smartshop-panel header h1").get_by_text("SmartShop").wait_for()
    store = page.locator("smartshop-panel .store", has_text="Demo shop")
    store.get_by_text(re.compile(r"\d+ incidents")).first.wait_for()
    page.locator("smartshop-panel nav a", has_text="Trends").click()
    page.wait_for_url(f"{url}/smartshop/trends")
    cells = page.locator("smartshop-trends-view .heatmap .cell")
    cells.nth(7 * 24 - 1).wait_for()
    counts = cells.evaluate_all("cells => cells.map(cell => Number(cell.dataset.count))")
    assert sum(counts) > 0  # eight weeks of history at least
    assert not page.get_by_text("Loading...").is_visible()
    assert not page.get_by_text("Confirm new HTTP server configuration").is_visible()
    assert errors == []


ORDINARY_USER = "floor"
ORDINARY_NAME = "Shop floor"
ORDINARY_PASSWORD = "floor-staff-password"


async def _token(session: aiohttp.ClientSession, url: str, username: str, password: str) -> str:
    """A user's access token through Home Assistant's own login flow."""
    client_id = f"{url}/"
    async with session.post(
        f"{url}/auth/login_flow",
        json={
            "client_id": client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": client_id,
        },
    ) as response:
        flow = await response.json()
    async with session.post(
        f"{url}/auth/login_flow/{flow['flow_id']}",
        json={"client_id": client_id, "username": username, "password": password},
    ) as response:
        code = (await response.json())["result"]
    async with session.post(
        f"{url}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": client_id},
    ) as response:
        return str((await response.json())["access_token"])


async def _try_as_ordinary_user(url: str) -> dict[str, int | str]:
    """The attacker's round on the running demo, as a signed-in user who is not an
    administrator (the demo store's console is closed to staff, as by default)."""
    outcome: dict[str, int | str] = {}
    async with aiohttp.ClientSession() as session:
        ws = await WebSocket.connect(session, await _token(session, url, USERNAME, PASSWORD), url)
        incidents = await ws.call("smartshop/incidents/list")
        incident_id = incidents["incidents"][0]["incident_id"]
        person = (await ws.call("smartshop/watchlist/list"))["people"][0]
        report = await ws.call("smartshop/reports/generate", start="2026-01-01", end="2026-12-31")
        created = await ws.call(
            "config/auth/create", name=ORDINARY_NAME, group_ids=["system-users"], local_only=False
        )
        await ws.call(
            "config/auth_provider/homeassistant/create",
            user_id=created["user"]["id"],
            username=ORDINARY_USER,
            password=ORDINARY_PASSWORD,
        )
        await ws.close()

        token = await _token(session, url, ORDINARY_USER, ORDINARY_PASSWORD)
        bearer = {"Authorization": f"Bearer {token}"}
        calls = {
            "list_people": {},
            "find_person_by_face": {"camera_entity_id": "camera.demo_shop_front_door"},
            "enroll_person": {
                "watchlist": "Demo",
                "name": "Innocent",
                "reason": "grudge",
                "incident_reference": "X",
                "camera_entity_id": "camera.demo_shop_front_door",
                "justification": "repeat_offender",
                "attest_adult": True,
                "attest_not_vulnerable": True,
            },
            "remove_person": {"person_id": person["person_id"]},
            "review_match": {
                "incident_id": incident_id,
                "decision": "dismiss",
                "reason": "x",
                "reviewer": "Somebody Else",
            },
            "rotate_bridge_credentials": {"config_entry_id": person["store_id"]},
            "generate_report": {"start": "2026-01-01", "end": "2026-01-07"},
        }
        for action, data in calls.items():
            # Actions that answer are asked for their answer (a name would be in it).
            query = "" if action == "rotate_bridge_credentials" else "?return_response"
            async with session.post(
                f"{url}/api/services/smartshop/{action}{query}", json=data, headers=bearer
            ) as response:
                outcome[action] = response.status
        for kind, ident in (("incident", incident_id), ("reference", person["person_id"])):
            async with session.get(
                f"{url}/api/smartshop/snapshot/{kind}/{ident}", headers=bearer
            ) as response:
                outcome[f"snapshot/{kind}"] = response.status
        async with session.get(
            f"{url}/api/smartshop/exports/{report['pdf']}?authSig=junk", headers=bearer
        ) as response:
            outcome["report with a made-up signature"] = response.status
        ordinary = await WebSocket.connect(session, token, url)
        for command in ("smartshop/stores", "smartshop/incidents/list"):
            try:
                await ordinary.call(command)
            except DemoError as err:
                outcome[command] = "refused" if "unauthorized" in str(err) else str(err)
            else:
                outcome[command] = "answered"
        await ordinary.close()
        admin_ws = await WebSocket.connect(
            session, await _token(session, url, USERNAME, PASSWORD), url
        )
        still = await admin_ws.call("smartshop/incidents/get", incident_id=incident_id)
        outcome["incident after"] = still["incident"]["review_status"]
        outcome["people after"] = len((await admin_ws.call("smartshop/watchlist/list"))["people"])
        await admin_ws.close()
    return outcome


@pytest.mark.slow
def test_an_ordinary_user_of_the_demo_gets_nothing(running_demo: DemoProcess) -> None:
    """A user who is not an administrator reads no name, no face and no report, changes
    nothing and cannot forge a reviewer, over the REST and WebSocket APIs of the running demo."""
    outcome = asyncio.run(_try_as_ordinary_user(running_demo.ha_url))
    refused = {key: value for key, value in outcome.items() if key not in PEOPLE_AND_INCIDENT}
    assert refused == {
        "list_people": 401,
        "find_person_by_face": 401,
        "enroll_person": 401,
        "remove_person": 401,
        "review_match": 401,
        "rotate_bridge_credentials": 401,
        "generate_report": 401,
        "snapshot/incident": 403,
        "snapshot/reference": 403,
        "report with a made-up signature": 401,
        "smartshop/stores": "refused",
        "smartshop/incidents/list": "refused",
    }
    assert outcome["people after"] == 1
    assert outcome["incident after"] != "dismissed"


PEOPLE_AND_INCIDENT = ("people after", "incident after")


@pytest.mark.slow
def test_demo_stops_cleanly(running_demo: DemoProcess) -> None:
    """Ctrl-C stops Home Assistant and the bridge; no log holds an ERROR line or a secret."""
    assert running_demo.stop() == 0, running_demo.output[-3000:]
    # Home Assistant logs each refused WebSocket command as an error: those of the ordinary
    # user's attempts (the test above) are expected, nothing else is.
    refused = f"Error handling message: Unauthorized (unauthorized) {ORDINARY_NAME} from"
    assert [line for line in error_lines(running_demo.ha_log) if refused not in line] == []
    logs = [running_demo.ha_log, running_demo.workdir / "bridge" / "bridge.log"]
    for log in logs:
        assert _leaks(log.read_text(errors="replace"), running_demo) == [], log
    assert _leaks(running_demo.output, running_demo) == []


@pytest.mark.slow
def test_newest_home_assistant_release(tmp_path: Path) -> None:
    """The demo check against the newest Home Assistant release (scripts/test sets it up in
    .venv-ha-newest), so a breaking change shows before users update."""
    python = os.environ.get("SMARTSHOP_HA_NEWEST_PYTHON")
    if not python:
        pytest.skip("no newest-release venv given; scripts/test sets SMARTSHOP_HA_NEWEST_PYTHON")
    version = subprocess.run(
        [python, "-c", "import homeassistant.const as c; print(c.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    demo = start_demo(tmp_path / "demo", "--check", "--ha-python", python)
    code = demo.stop() if not demo.finished.wait(900) else demo.proc.returncode
    assert code == 0, demo.output[-4000:]
    assert f"Home Assistant {version} log: 0 ERROR lines" in demo.output
    assert error_lines(demo.ha_log) == []
