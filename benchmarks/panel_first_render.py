"""The console panel's weight and how fast it first shows; prints JSON.

    python -m benchmarks.panel_first_render [--loads 5]

Starts the same Home Assistant the console's browser test uses (the demo store, a bridge on the
demo clip, the seeded history: ``tests/demo/test_console_browser.py``), signs in with Debian's
chromium through Playwright and opens ``/smartshop/live`` ``--loads`` times (after one load that
fills the browser's cache with the bundle, which Home Assistant lets it keep: the bundle's URL
carries its hash).

Measured in the page, from the navigation's start, with the User Timing marks the panel sets
(``performance.mark``): ``panel_rendered_ms``, when ``smartshop-panel`` has rendered for the first
time (its header and tabs: Lit's ``firstUpdated``), and ``stores_rendered_ms``, when it first
shows the store bar with the store's totals (the first answer of the console's WebSocket
commands, rendered). Medians and every load
are printed, with the bundle's size as committed and gzipped (level 9).
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
import statistics
import sys
import tempfile
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Page, sync_playwright

from tests.demo.test_console_browser import console_home, log_in
from tests.demo.test_demo import CHROMIUM, CHROMIUM_ARGS, UI_GUARD_MS

BUNDLE = (
    Path(__file__).resolve().parent.parent
    / "custom_components"
    / "smartshop"
    / "frontend"
    / "smartshop-panel.js"
)
# The panel's User Timing marks (frontend/src/smartshop-panel.ts), in ms from the navigation.
MARKS = {
    "panel_rendered_ms": "smartshop-panel-rendered",
    "stores_rendered_ms": "smartshop-stores-rendered",
}
READ_MARK = "name => performance.getEntriesByName(name, 'mark')[0]?.startTime ?? null"


def _load(page: Page, url: str) -> dict[str, float]:
    """Open the panel once; the two moments, in ms from the navigation's start."""
    page.goto(f"{url}/smartshop/live")
    for mark in MARKS.values():
        page.wait_for_function(f"({READ_MARK})({json.dumps(mark)}) !== null")
    return {key: round(page.evaluate(READ_MARK, mark), 1) for key, mark in MARKS.items()}


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    bundle = BUNDLE.read_bytes()
    result: dict[str, Any] = {
        "bundle_bytes": len(bundle),
        "bundle_gzip_bytes": len(gzip.compress(bundle, compresslevel=9)),
    }
    with (
        tempfile.TemporaryDirectory() as workdir,
        console_home(Path(workdir)) as home,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, timezone_id="Europe/London"
        )
        context.set_default_timeout(UI_GUARD_MS)
        page = context.new_page()
        log_in(page, home.url)
        result["first_load"] = _load(page, home.url)  # the bundle is not in the browser's cache
        loads = [_load(page, home.url) for _ in range(args.loads)]
        browser.close()
    result["loads"] = loads
    for key in ("panel_rendered_ms", "stores_rendered_ms"):
        result[f"median_{key}"] = round(statistics.median(load[key] for load in loads), 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
