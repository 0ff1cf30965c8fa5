"""The manager's console queries at 10k and 100k incidents.

Seeds a temporary incident database per size (8 weeks, 3 stores, 6 cameras, 4 categories, a
review mix of about half pending, a third confirmed and the rest dismissed, some people seen again
and again, some incidents anonymised) and prints one JSON document: for each size the median (of
``--runs`` runs) milliseconds of the first page, a deep page (the cursor after 5,000 rows), a
filtered page (one store, one camera, dismissed) and each trend query, in the shop's zone
(Europe/London, so a daylight-saving change falls inside the range).

``--check`` exits 1 when any median (wall clock) is over 100 ms. The CPU time of each query is
printed too, and the machine's load average: on a busy machine the wall clock includes waiting
for a core.

Run from the repository root:
``.venv/bin/python -m benchmarks.console_queries [--sizes 10000,100000] [--runs 7] [--check]``
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import random
import statistics
import sys
import tempfile
import time
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.smartshop import console_queries as queries
from custom_components.smartshop.incidents import Incident, IncidentStore, ReviewStatus

LIMIT_MS = 100.0
PAGE = 50
DEEP_ROWS = 5_000
ZONE = ZoneInfo("Europe/London")
# Eight weeks that include the end of British Summer Time (2026-10-25).
END = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
WEEKS = 8
STORES = (("store-a", "High Street"), ("store-b", "Station Road"), ("store-c", "Market Square"))
CATEGORIES = ("theft", "banned", "violence", "other")


def synthetic_incidents(count: int, seed: int = 7) -> list[Incident]:
    """Incidents spread like a chain's: shop hours weighted to the afternoon, a few people
    coming back often."""
    rng = random.Random(seed)
    people = [f"person-{n:05d}" for n in range(max(count // 20, 10))]
    frequent = people[: max(len(people) // 10, 1)]
    span = timedelta(weeks=WEEKS)
    incidents = []
    for n in range(count):
        store_id, store_name = STORES[n % 3]
        camera = f"camera.{store_id}_{'door' if rng.random() < 0.6 else 'till'}"
        day = END - span + timedelta(days=rng.randrange(WEEKS * 7))
        hour = min(max(int(rng.gauss(15, 2.5)), 8), 20)
        occurred = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        person = rng.choice(frequent) if rng.random() < 0.4 else rng.choice(people)
        roll = rng.random()
        status = (
            ReviewStatus.PENDING
            if roll < 0.5
            else ReviewStatus.CONFIRMED
            if roll < 0.83
            else ReviewStatus.DISMISSED
        )
        reviewed = status is not ReviewStatus.PENDING
        watchlist = n % 4
        incidents.append(
            Incident(
                incident_id=f"{n:08d}-{rng.getrandbits(64):016x}",
                dedup_key=f"k{n}",
                occurred_at=occurred,
                store_id=store_id,
                store_name=store_name,
                camera=camera,
                location="Front door" if camera.endswith("door") else "Tills",
                watchlist_id=f"wl-{watchlist}",
                watchlist=f"Watchlist {watchlist}",
                category=CATEGORIES[watchlist],
                # The oldest, reviewed long ago, are anonymised as retention does.
                person_id="" if day < END - span + timedelta(days=3) else person,
                similarity=round(rng.uniform(95, 99.9), 2),
                review_status=status,
                reviewed_by="Manager" if reviewed else None,
                reviewed_at=occurred + timedelta(seconds=rng.expovariate(1 / 600))
                if reviewed
                else None,
                review_reason="seen on CCTV" if reviewed else None,
            )
        )
    return incidents


def seed(store: IncidentStore, incidents: list[Incident]) -> None:
    """Insert in one transaction (the store's add() commits each row)."""
    rows = [
        incident.as_dict() | {"occurred_at": queries.utc_text(incident.occurred_at)}
        for incident in incidents
    ]
    for row, incident in zip(rows, incidents, strict=True):
        if incident.reviewed_at is not None:
            row["reviewed_at"] = queries.utc_text(incident.reviewed_at)
    columns = list(rows[0])
    with store.connect() as connection:
        connection.execute("BEGIN")
        connection.executemany(
            f"INSERT INTO incidents ({', '.join(columns)}) "
            f"VALUES ({', '.join(':' + column for column in columns)})",
            rows,
        )
        connection.execute("COMMIT")
        connection.execute("ANALYZE")


def median_ms(call: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU (this thread's) milliseconds of ``runs`` calls after a warm-up.

    On a busy machine the wall clock also counts the time spent waiting for a core; the CPU
    time is the query's own work.
    """
    call()  # warm the page cache
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return round(statistics.median(wall), 2), round(statistics.median(cpu), 2)


def deep_cursor(store: IncidentStore, filters: queries.IncidentFilters) -> str:
    cursor: str | None = None
    for _ in range(DEEP_ROWS // queries.MAX_PAGE_SIZE):
        cursor = queries.page(store, filters, queries.MAX_PAGE_SIZE, cursor).next_cursor
    assert cursor is not None
    return cursor


def measure(size: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        store = IncidentStore(Path(folder) / "smartshop.db")
        seed(store, synthetic_incidents(size))
        # What the console asks by default: every store the user may see.
        everything = queries.IncidentFilters(store_ids=tuple(store for store, _ in STORES))
        filtered = queries.IncidentFilters(
            store_ids=("store-b",),
            camera="camera.store-b_till",
            review_status=ReviewStatus.DISMISSED,
        )
        cursor = deep_cursor(store, everything)
        timings = {
            "first_page": lambda: queries.page(store, everything, PAGE),
            "deep_page": lambda: queries.page(store, everything, PAGE, cursor),
            "filtered_page": lambda: queries.page(store, filtered, PAGE),
            "heatmap": lambda: queries.heatmap(store, everything, ZONE),
            "weekly_by_store": lambda: queries.weekly(store, everything, ZONE, "store"),
            "weekly_by_camera": lambda: queries.weekly(store, everything, ZONE, "camera"),
            "weekly_by_category": lambda: queries.weekly(store, everything, ZONE, "category"),
            "repeat_visitors": lambda: queries.repeat_visitors(store, everything, ZONE),
            "outcomes_by_watchlist": lambda: queries.outcomes(store, everything, "watchlist"),
            "outcomes_by_camera": lambda: queries.outcomes(store, everything, "camera"),
            "review_times": lambda: queries.review_times(store, everything),
            "store_totals": lambda: queries.store_totals(store, everything),
        }
        figures = {name: median_ms(call, runs) for name, call in timings.items()}
        return {
            "incidents": size,
            "median_ms": {name: wall for name, (wall, _) in figures.items()},
            "median_cpu_ms": {name: cpu for name, (_, cpu) in figures.items()},
            "review_times": asdict(queries.review_times(store, everything)),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if any is over {LIMIT_MS} ms")
    args = parser.parse_args(argv)
    results = [measure(int(size), args.runs) for size in args.sizes.split(",")]
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").is_file() else None
    print(
        json.dumps(
            {"limit_ms": LIMIT_MS, "runs": args.runs, "load_average_1m": load, "results": results},
            indent=2,
        )
    )
    over = [
        f"{result['incidents']}: {name} {value} ms"
        for result in results
        for name, value in result["median_ms"].items()
        if value > LIMIT_MS
    ]
    if args.check and over:
        print("over the limit: " + "; ".join(over), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
