"""The manager's console in a real browser: a real Home Assistant with the demo's store (a bridge
on the demo clip, paired through the config flow), incidents seeded into its database, and
Debian's chromium driven by Playwright.

The panel is opened at ``/smartshop``; its views are checked against what was seeded (totals,
filters, pages, detail, trends), then the demo offender is enrolled while the Live view is open:
their match arrives through the subscription and is confirmed from the page. An administrator
makes a period report, an evidence pack and a subject-access archive and downloads each, edits
and removes the entry, and enrols another from an uploaded photo. Last, the console on a 390x844
phone.

Screenshots land in ``.screenshots/`` (git-ignored); with ``SMARTSHOP_UPDATE_SCREENSHOTS=1`` they
replace ``docs/images/console-*.png``, which docs/dashboard.md shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import io
import os
from pathlib import Path
import re
import signal
import subprocess
import sys
from typing import Any
import uuid
import zipfile
from zoneinfo import ZoneInfo

import aiohttp
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
import pytest

from custom_components.smartshop.incidents import Incident, IncidentStore, ReviewStatus
from demo.bridge_process import RunningBridge, demo_clip, start_bridge, write_config
from demo.home_assistant import (
    PASSWORD,
    USERNAME,
    HomeAssistantApi,
    WebSocket,
    error_lines,
    ha_url,
    start_process,
    write_config_dir,
)
from demo.store import OFFENDER, STORE, ensure_offender, ensure_store
from tests.demo.conftest import REPO, free_port, write_atomically
from tests.demo.test_demo import CHROMIUM, CHROMIUM_ARGS, UI_GUARD_MS, _console_errors

SCREENSHOTS = (
    REPO / "docs" / "images"
    if os.environ.get("SMARTSHOP_UPDATE_SCREENSHOTS") == "1"
    else REPO / ".screenshots"
)
LONDON = ZoneInfo("Europe/London")  # the demo's time zone, and the browser's
# Seeded history: 40 incidents over three weeks at two cameras; 30 wait for a review.
SEEDED = 40
PENDING, CONFIRMED, DISMISSED = 30, 6, 4
BACK_DOOR = 12  # of them at the back door, the rest at the front door
SEEDED_LOCATION = "Till 2"
PAGE_SIZE = 25  # the panel's page size (frontend/src/api.ts)
# A failure guard only: a match follows an enrolment within seconds.
MATCH_GUARD_MS = 120_000
FACES = REPO / "tests" / "fixtures" / "faces"
UPLOADED = "Uploaded entry (Grace Hopper photo)"


@dataclass
class ConsoleHome:
    """A running Home Assistant with the demo store and its seeded history."""

    ha: subprocess.Popen[bytes]
    bridge: RunningBridge
    workdir: Path
    url: str  # Home Assistant's, on a free port
    token: str
    entry_id: str
    watchlist_id: str
    seeded: list[Incident]

    @property
    def ha_log(self) -> Path:
        return self.workdir / "homeassistant.log"

    def call(self, action: Callable[[HomeAssistantApi, WebSocket], Awaitable[Any]]) -> Any:
        """Run ``action`` with the owner's HTTP and WebSocket API clients (on a thread of its
        own: Playwright's synchronous API keeps an event loop running on this one)."""

        async def run() -> Any:
            async with aiohttp.ClientSession() as session:
                api = HomeAssistantApi(session, self.url)
                api.token = self.token
                ws = await WebSocket.connect(session, self.token, self.url)
                try:
                    return await action(api, ws)
                finally:
                    await ws.close()

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, run()).result()


def _seed(database: Path, entry_id: str, watchlist_id: str) -> list[Incident]:
    """Write the seeded history into the incident database Home Assistant uses."""
    now = datetime.now(UTC).replace(microsecond=0)
    statuses = (
        [ReviewStatus.PENDING] * PENDING
        + [ReviewStatus.CONFIRMED] * CONFIRMED
        + [ReviewStatus.DISMISSED] * DISMISSED
    )
    people = [str(uuid.uuid4()) for _ in range(5)]
    incidents: list[Incident] = []
    for number, status in enumerate(statuses):
        occurred = now - timedelta(hours=11 * number + 1)
        reviewed = status is not ReviewStatus.PENDING
        incidents.append(
            Incident(
                incident_id=str(uuid.uuid4()),
                dedup_key=f"seeded-{number}",
                occurred_at=occurred,
                store_id=entry_id,
                store_name=STORE,
                camera="Back door" if number % 10 < 3 else "Front door",
                location=SEEDED_LOCATION,
                watchlist_id=watchlist_id,
                watchlist="Demo",
                category="theft",
                person_id=people[number % len(people)],
                similarity=90.0 + number % 9,
                review_status=status,
                reviewed_by="seeded" if reviewed else None,
                reviewed_at=occurred + timedelta(minutes=3) if reviewed else None,
                review_reason="Someone else" if status is ReviewStatus.DISMISSED else None,
            )
        )
    assert sum(incident.camera == "Back door" for incident in incidents) == BACK_DOOR
    store = IncidentStore(database)
    for incident in incidents:
        assert store.add(incident)
    return incidents


async def _watchlist_id(ws: WebSocket, entry_id: str) -> str:
    subentries = await ws.call("config_entries/subentries/list", entry_id=entry_id)
    return next(
        str(sub["subentry_id"]) for sub in subentries if sub["subentry_type"] == "watchlist"
    )


@contextmanager
def console_home(workdir: Path) -> Iterator[ConsoleHome]:
    """Start Home Assistant with the demo store (no one enrolled yet) and the seeded history in
    ``workdir``; stop it on leaving (the benchmark of the panel starts the same one). Every
    port is a free one: the bridge takes any, Home Assistant one found free just before."""
    bridge_config = write_config(
        workdir / "bridge",
        bridge_id="console-bridge",
        clip=demo_clip(workdir / "clip"),
    )
    bridge = start_bridge(bridge_config, bridge_id="console-bridge")
    port = free_port()
    url = ha_url(port)
    config = write_config_dir(workdir / "homeassistant", port)
    ha = start_process(sys.executable, config, workdir / "homeassistant.log")

    async def prepare() -> tuple[str, str, str]:
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, url)
            await api.wait_until_up(ha, workdir / "homeassistant.log")
            await api.log_in()
            ws = await WebSocket.connect(session, api.token, url)
            try:
                await api.wait_until_running(ws)
                entry_id = await ensure_store(api, ws, bridge)
                return api.token, entry_id, await _watchlist_id(ws, entry_id)
            finally:
                await ws.close()

    try:
        token, entry_id, watchlist_id = asyncio.run(prepare())
        seeded = _seed(config / "smartshop.db", entry_id, watchlist_id)
        yield ConsoleHome(ha, bridge, workdir, url, token, entry_id, watchlist_id, seeded)
    finally:
        if ha.poll() is None:
            ha.send_signal(signal.SIGINT)
            try:
                ha.wait(120)
            except subprocess.TimeoutExpired:
                ha.kill()
                ha.wait(10)
        bridge.stop()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleHome]:
    """Home Assistant with the demo store (no one enrolled yet) and the seeded history."""
    with console_home(tmp_path_factory.mktemp("console")) as running:
        yield running


def log_in(page: Page, url: str) -> None:
    """Sign in as the demo owner on the login page of the Home Assistant at ``url``."""
    page.goto(url)
    page.get_by_label("Username").click()
    page.keyboard.type(USERNAME)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_text("Welcome Demo owner").wait_for()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run scripts/setup")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, home: ConsoleHome) -> Iterator[OpenPage]:
    """Opens logged-in pages (``open_page(width, height, dark=False)``); closes them after."""
    contexts: list[BrowserContext] = []

    def open_page(width: int, height: int, *, dark: bool = False) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            timezone_id="Europe/London",
            color_scheme="dark" if dark else "light",
        )
        contexts.append(context)
        context.set_default_timeout(UI_GUARD_MS)
        page = context.new_page()
        log_in(page, home.url)
        return page

    yield open_page
    for context in contexts:
        context.close()


def _shot(page: Page, name: str) -> None:
    """A screenshot, in 256 colours (the docs keep them small); written whole, so a run beside
    this one never leaves half a file."""
    with Image.open(io.BytesIO(page.screenshot())) as shot:
        small = shot.convert("RGB").quantize(colors=256)
    png = io.BytesIO()
    small.save(png, format="PNG", optimize=True)
    write_atomically(SCREENSHOTS / f"console-{name}.png", png.getvalue())


def _rows(page: Page) -> list[str]:
    """The incident ids of the incidents table's rows, in order."""
    return page.locator("smartshop-incidents-view tr[data-incident]").evaluate_all(
        "rows => rows.map(row => row.dataset.incident)"
    )


def _wait_rows(page: Page, expected: list[str]) -> None:
    """Until the incidents table shows exactly ``expected`` (incident ids, in order)."""
    rows = page.locator("smartshop-incidents-view tr[data-incident]")
    expect(rows).to_have_count(len(expected))
    expect(rows.first).to_have_attribute("data-incident", expected[0])
    assert _rows(page) == expected


def _select(page: Page, name: str, label: str) -> None:
    page.locator(f"smartshop-incidents-view select[name='{name}']").select_option(label=label)


@pytest.mark.slow
def test_panel_in_the_sidebar_and_its_incidents(home: ConsoleHome, open_page: OpenPage) -> None:
    """The SmartShop panel is in the sidebar; it shows the store's totals, pages through its
    incidents newest first, filters them and opens one with both photos and its history."""
    page = open_page(1280, 900)
    errors = _console_errors(page)
    page.get_by_role("link", name="SmartShop").first.click()
    page.wait_for_url(f"{home.url}/smartshop**")
    page.locator("smartshop-panel header h1").get_by_text("SmartShop").wait_for()
    store = page.locator("smartshop-panel .store", has_text=STORE)
    store.get_by_text(f"{SEEDED} incidents · {PENDING} waiting").wait_for()

    page.locator("smartshop-panel nav a", has_text="Incidents").click()
    page.wait_for_url(f"{home.url}/smartshop/incidents")
    newest_first = [incident.incident_id for incident in home.seeded]
    _wait_rows(page, newest_first[:PAGE_SIZE])
    page.locator("smartshop-incidents-view button[name='next']").click()
    page.get_by_text("Page 2").wait_for()
    _wait_rows(page, newest_first[PAGE_SIZE:])
    expect(page.locator("smartshop-incidents-view button[name='next']")).to_be_disabled()
    page.locator("smartshop-incidents-view button[name='previous']").click()
    page.get_by_text("Page 1").wait_for()
    _wait_rows(page, newest_first[:PAGE_SIZE])

    _select(page, "review_status", "Not them")
    dismissed = [i.incident_id for i in home.seeded if i.review_status is ReviewStatus.DISMISSED]
    assert len(dismissed) == DISMISSED
    _wait_rows(page, dismissed)
    _select(page, "review_status", "All")
    _wait_rows(page, newest_first[:PAGE_SIZE])
    _select(page, "camera", "Back door")
    _wait_rows(page, [i.incident_id for i in home.seeded if i.camera == "Back door"])
    _shot(page, "incidents")

    # Days in the shop's calendar: from the start of "From" until the end of "Until".
    _select(page, "camera", "All")
    first_day = home.seeded[20].occurred_at.astimezone(LONDON).date()
    last_day = home.seeded[8].occurred_at.astimezone(LONDON).date()
    page.locator("smartshop-incidents-view input[name='start']").fill(first_day.isoformat())
    page.locator("smartshop-incidents-view input[name='end']").fill(last_day.isoformat())
    _wait_rows(
        page,
        [
            i.incident_id
            for i in home.seeded
            if first_day <= i.occurred_at.astimezone(LONDON).date() <= last_day
        ],
    )
    page.locator("smartshop-incidents-view input[name='start']").fill("")
    page.locator("smartshop-incidents-view input[name='end']").fill("")
    _wait_rows(page, newest_first[:PAGE_SIZE])

    dismissed_one = next(i for i in home.seeded if i.review_status is ReviewStatus.DISMISSED)
    _select(page, "camera", "All")
    _select(page, "review_status", "Not them")
    page.locator(f"tr[data-incident='{dismissed_one.incident_id}']").click()
    detail = page.locator("smartshop-incidents-view .detail")
    detail.get_by_text("Review history").wait_for()
    detail.get_by_text("Someone else").first.wait_for()
    assert detail.get_by_text("At the door").count() == 1
    assert detail.get_by_text("Watchlist photo").count() == 1
    assert errors == []


@pytest.mark.slow
def test_trends(home: ConsoleHome, open_page: OpenPage) -> None:
    """The heatmap counts every seeded incident in its hour; the weekly bars, the outcomes per
    watchlist and camera and the time to review are drawn from the same history."""
    page = open_page(1280, 900)
    errors = _console_errors(page)
    page.goto(f"{home.url}/smartshop/trends")
    cells = page.locator("smartshop-trends-view .heatmap .cell")
    cells.nth(7 * 24 - 1).wait_for()
    counts = cells.evaluate_all("cells => cells.map(cell => Number(cell.dataset.count))")
    assert len(counts) == 7 * 24
    assert sum(counts) == SEEDED
    page.locator("smartshop-trends-view svg rect").first.wait_for()
    camera_rows = page.locator("smartshop-trends-view .card", has_text="per camera")
    camera_rows.get_by_text("Back door").wait_for()
    review = page.locator("smartshop-trends-view .card", has_text="Time to review")
    review.get_by_text(f"{CONFIRMED + DISMISSED}", exact=True).wait_for()
    review.get_by_text("3 min").first.wait_for()
    _shot(page, "trends")
    assert errors == []


@pytest.mark.slow
def test_live_match_confirmed_from_the_panel(home: ConsoleHome, open_page: OpenPage) -> None:
    """With the Live view open, the demo offender is enrolled: their match arrives with the
    door's crop beside the reference photo, and Confirm confirms it in Home Assistant."""
    page = open_page(1280, 900)
    errors = _console_errors(page)
    page.goto(f"{home.url}/smartshop/live")
    page.get_by_text("Listening for matches").wait_for()
    page.locator("smartshop-match-card", has_text=SEEDED_LOCATION).first.wait_for()

    home.call(lambda api, ws: ensure_offender(api))
    card = page.locator("smartshop-match-card", has_text="Entrance")
    card.wait_for(timeout=MATCH_GUARD_MS)
    for image in card.locator("img").all():
        image.wait_for()
        assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    incident_id = card.locator(".card").get_attribute("data-incident")
    assert incident_id
    _shot(page, "live")

    card.get_by_role("button", name="Not them").click()
    expect(card.get_by_role("button", name="Dismiss: not them")).to_be_disabled()
    card.get_by_role("button", name="Cancel").click()
    card.get_by_role("button", name="Confirm").click()
    card.get_by_text("Confirmed").wait_for()

    detail = home.call(lambda api, ws: ws.call("smartshop/incidents/get", incident_id=incident_id))
    assert detail["incident"]["review_status"] == "confirmed"

    # "Not them" asks why, and sends the reason with the dismissal.
    seeded = page.locator("smartshop-match-card", has_text=SEEDED_LOCATION).first
    seeded_id = seeded.locator(".card").get_attribute("data-incident")
    seeded.get_by_role("button", name="Not them").click()
    seeded.locator("textarea[name='reason']").fill("Her sister, not her")
    seeded.get_by_role("button", name="Dismiss: not them").click()
    page.locator(f".card[data-incident='{seeded_id}']").get_by_text("Not them").first.wait_for()
    dismissed = home.call(
        lambda api, ws: ws.call("smartshop/incidents/get", incident_id=seeded_id)
    )["incident"]
    assert dismissed["review_status"] == "dismissed"
    assert dismissed["review_reason"] == "Her sister, not her"
    # The store's totals follow: one incident more, two fewer waiting.
    store = page.locator("smartshop-panel .store", has_text=STORE)
    store.get_by_text(f"{SEEDED + 1} incidents · {PENDING - 1} waiting").wait_for()
    assert errors == []


def _download(page: Page, link_selector: str, folder: Path) -> Path:
    """Click a download link as a user would; the file the browser saved."""
    link = page.locator(link_selector)
    link.wait_for()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def _ink(pdf: Path) -> float:
    """The share of the PDF's first page (rendered by pdftoppm) that is not white."""
    prefix = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", pdf, prefix],
        check=True,
    )
    with Image.open(prefix.with_suffix(".png")) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
    return sum(histogram[:240]) / (grey.width * grey.height)


@pytest.mark.slow
def test_report_evidence_pack_and_subject_access(
    home: ConsoleHome, open_page: OpenPage, tmp_path: Path
) -> None:
    """The Reports view makes a report of the seeded period whose PDF downloads and renders with
    its charts; a seeded incident confirmed from its detail gets an evidence pack; the enrolled
    offender's data is exported from the Watchlist view. Every file downloads from the page."""
    page = open_page(1280, 900)
    errors = _console_errors(page)
    page.goto(f"{home.url}/smartshop/reports")
    view = page.locator("smartshop-reports-view")
    view.get_by_text("Exports folder").wait_for()
    today = datetime.now(LONDON).date()
    first_day = home.seeded[-1].occurred_at.astimezone(LONDON).date()
    last_day = today - timedelta(days=1)  # the live match of today stays out
    in_period = [
        i for i in home.seeded if first_day <= i.occurred_at.astimezone(LONDON).date() <= last_day
    ]
    assert in_period
    view.locator("input[name='start']").fill(first_day.isoformat())
    view.locator("input[name='end']").fill(last_day.isoformat())
    view.get_by_role("button", name="Make report").click()
    made = view.locator(".made")
    made.get_by_text(f"{len(in_period)} incidents").wait_for()
    expect(view.get_by_role("button", name="Make report")).to_be_enabled()
    pdf = _download(page, "smartshop-reports-view a[name='pdf']", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert _ink(pdf) > 0.02
    csv = _download(page, "smartshop-reports-view a[name='csv']", tmp_path)
    assert all(i.incident_id in csv.read_text() for i in in_period)
    # The exports folder lists both files, with their own links.
    view.locator(f"tr[data-file='{pdf.name}']").wait_for()
    view.locator(f"tr[data-file='{csv.name}']").wait_for()
    _shot(page, "reports")

    # A seeded incident still waiting (the live view's test dismissed the newest).
    waiting = home.call(
        lambda api, ws: ws.call("smartshop/incidents/list", review_status="pending", limit=5)
    )["incidents"]
    pending = next(i for i in home.seeded if i.incident_id == waiting[-1]["incident_id"])
    page.goto(f"{home.url}/smartshop/incidents")
    page.locator(f"tr[data-incident='{pending.incident_id}']").click()
    detail = page.locator("smartshop-incidents-view .detail")
    detail.get_by_text("Review history").wait_for()
    assert detail.get_by_role("button", name="Evidence pack").count() == 0  # not confirmed yet
    detail.get_by_role("button", name="Confirm").click()
    detail.get_by_role("button", name="Evidence pack").click()
    pack = _download(page, "smartshop-incidents-view a[name='evidence-download']", tmp_path)
    assert pack.name.startswith(f"evidence-{pending.incident_id[:8]}-")
    assert pack.read_bytes().startswith(b"%PDF")
    assert _ink(pack) > 0.01

    page.goto(f"{home.url}/smartshop/watchlist")
    person = page.locator("smartshop-watchlist-view .person", has_text=OFFENDER)
    person.get_by_role("button", name="Export data").click()
    archive = _download(
        page, "smartshop-watchlist-view .person a[name='export-download']", tmp_path
    )
    assert archive.name.startswith("subject-access-")
    with zipfile.ZipFile(archive) as opened:
        assert opened.namelist()
    assert errors == []


@pytest.mark.slow
def test_watchlist(home: ConsoleHome, open_page: OpenPage) -> None:
    """The enrolled offender is listed with their reference photo; an administrator extends the
    entry, edits its category and reason, then removes it and is shown the erasure receipt."""
    page = open_page(1280, 900)
    errors = _console_errors(page)
    page.goto(f"{home.url}/smartshop/watchlist")
    person = page.locator("smartshop-watchlist-view .person", has_text=OFFENDER)
    person.wait_for()
    image = person.locator("img")
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    _shot(page, "watchlist")

    before = home.call(lambda api, ws: ws.call("smartshop/watchlist/list"))["people"]
    later = datetime.fromisoformat(before[0]["expires"]).date() + timedelta(days=30)
    person.get_by_role("button", name="Extend").click()
    person.locator("input[name='expires']").fill(later.isoformat())
    person.get_by_role("button", name="Save").click()
    person.get_by_role("button", name="Extend").wait_for()
    listed = home.call(lambda api, ws: ws.call("smartshop/watchlist/list"))["people"]
    assert [person["name"] for person in listed] == [OFFENDER]
    assert listed[0]["expires"].startswith(later.isoformat())

    person.get_by_role("button", name="Edit").click()
    person.locator("select[name='category']").select_option("banned")
    person.locator("textarea[name='reason']").fill("Threatened staff on 1 December")
    person.get_by_role("button", name="Save").click()
    person.get_by_text("Threatened staff on 1 December").wait_for()
    edited = home.call(lambda api, ws: ws.call("smartshop/watchlist/list"))["people"][0]
    assert (edited["category"], edited["reason"]) == ("banned", "Threatened staff on 1 December")

    person.get_by_role("button", name="Remove").click()
    person.get_by_role("button", name="Remove and erase").click()
    page.get_by_text("Erasure receipt").wait_for()
    person.wait_for(state="detached")
    assert errors == []


@pytest.mark.slow
def test_enrol_from_an_uploaded_photo(home: ConsoleHome, open_page: OpenPage) -> None:
    """On a phone, an administrator enrols a second person from a photo uploaded in the
    Watchlist view: the form refuses to go without both attestations, then the entry is
    listed with its reference photo."""
    page = open_page(390, 844)
    errors = _console_errors(page)
    page.goto(f"{home.url}/smartshop/watchlist")
    view = page.locator("smartshop-watchlist-view")
    view.get_by_role("button", name="Enrol").click()
    form = view.locator("form[name='enrol']")
    form.locator("input[name='name']").fill(UPLOADED)
    form.locator("input[name='reason']").fill("Demo entry from an uploaded photo")
    form.locator("input[name='incident_reference']").fill("DEMO-0002")
    form.locator("select[name='justification']").select_option("serious_offence")
    form.locator("input[name='attest_adult']").check()
    form.get_by_label("Upload a photo").check()
    form.locator("input[name='photo']").set_input_files(FACES / "grace_hopper.jpg")
    form.get_by_text("grace_hopper.jpg ready").wait_for()
    main = page.locator("smartshop-panel main")
    assert main.evaluate("main => main.scrollWidth - main.clientWidth") <= 0

    form.get_by_role("button", name="Enrol").click()
    view.get_by_text("that the person is not vulnerable").wait_for()
    form.locator("input[name='attest_not_vulnerable']").check()
    form.get_by_role("button", name="Enrol").click()
    view.get_by_role("status").get_by_text(UPLOADED).wait_for()
    person = view.locator(".person", has_text=UPLOADED)
    image = person.locator("img")
    image.wait_for()
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    listed = home.call(lambda api, ws: ws.call("smartshop/watchlist/list"))["people"]
    (entry,) = [listed_person for listed_person in listed if listed_person["name"] == UPLOADED]
    assert (entry["reason"], entry["incident_reference"]) == (
        "Demo entry from an uploaded photo",
        "DEMO-0002",
    )
    assert entry["added_by"] == "Demo owner"
    assert errors == []


# What shows that each view has its content (the width is measured once it is there).
LOADED = {
    "live": "smartshop-live-view smartshop-match-card",
    "incidents": "smartshop-incidents-view tr[data-incident]",
    "trends": "smartshop-trends-view .heatmap .cell",
    "watchlist": "smartshop-watchlist-view .card",
    "reports": "smartshop-reports-view tr[data-file]",
}


def _luminance(css_colour: str) -> float:
    """Relative brightness (0 black … 1 white) of a computed ``rgb(…)``/``rgba(…)`` colour."""
    red, green, blue = (int(part) for part in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


@pytest.mark.slow
def test_phone_in_the_dark(home: ConsoleHome, open_page: OpenPage) -> None:
    """On a 390x844 phone whose browser prefers dark, every view fits the width (nothing
    scrolls sideways) and the console follows Home Assistant's dark theme."""
    page = open_page(390, 844, dark=True)
    errors = _console_errors(page)
    page.goto(f"{home.url}/smartshop/live")
    overview = page.locator("ha-sidebar").get_by_text("Overview")
    expect(overview).not_to_be_visible()
    page.locator("smartshop-panel button.menu").click()  # the sidebar is hidden on a phone
    expect(overview).to_be_visible()
    for view, loaded in LOADED.items():
        page.goto(f"{home.url}/smartshop/{view}")
        page.locator(loaded).first.wait_for()
        page.locator("smartshop-panel .store", has_text=STORE).wait_for()
        main = page.locator("smartshop-panel main")
        overflow = main.evaluate("main => main.scrollWidth - main.clientWidth")
        assert overflow <= 0, f"{view} is {overflow} px too wide"
        assert main.evaluate("main => main.clientWidth") <= 390
        if view == "incidents":
            _shot(page, "phone")
    store = page.locator("smartshop-panel .store", has_text=STORE)
    assert _luminance(store.evaluate("store => getComputedStyle(store).backgroundColor")) < 0.3
    assert _luminance(store.evaluate("store => getComputedStyle(store).color")) > 0.7
    assert errors == []


@pytest.mark.slow
def test_no_error_in_the_log(home: ConsoleHome) -> None:
    """Home Assistant logged no ERROR while the console was used."""
    assert home.ha.poll() is None
    assert error_lines(home.ha_log) == []
