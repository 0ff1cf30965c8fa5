"""Eight weeks of made-up incident history for the demo store, so the console's trends show
something on the first start.

Every generated incident is labelled as demo data: the store name ends in "(demo history)", the
cameras are called "Demo: …", the location is "Demo history", the reviewer is "SmartShop demo" and
every review reason starts with "demo history". The people are random UUIDs that are on no
watchlist. The history is written once, straight into the integration's database, and only while
that database holds no incident at all (a demo that already saw a match keeps what it has).

It is generated as the daily privacy purge with the default retention leaves it: unconfirmed
incidents older than the link retention (30 days) are anonymised (no person, similarity or review
reason, and when that happened: at the first daily purge past their retention), so the console
shows anonymised rows from the start. After that, retention applies as to any incident.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
import random
from typing import Final
import uuid

from custom_components.smartshop.database import INCIDENT_DATABASE
from custom_components.smartshop.incidents import (
    Incident,
    IncidentStore,
    RetentionPolicy,
    ReviewStatus,
)
from custom_components.smartshop.retention import policy_from_options

from .home_assistant import DemoError, WebSocket

HISTORY_WEEKS: Final = 8
HISTORY_SEED: Final = 2026
DEMO_MARK: Final = "demo history"
STORE_SUFFIX: Final = " (demo history)"
REVIEWER: Final = "SmartShop demo"
CAMERAS: Final = ("Demo: Front door", "Demo: Back door", "Demo: Tills")
CATEGORIES: Final = ("theft", "theft", "theft", "banned", "violence", "other")
PEOPLE: Final = 40
# Incidents per day: a few, more on Fridays and Saturdays.
PER_DAY: Final = (2, 2, 3, 3, 5, 6, 1)  # Monday … Sunday
# The retention a new store has (no option set): what the daily purge applies to the history.
DEFAULT_RETENTION: Final = policy_from_options({})
PURGE_EVERY: Final = timedelta(days=1)


def generate_history(
    *,
    store_id: str,
    store_name: str,
    watchlist_id: str,
    watchlist: str,
    now: datetime,
    seed: int = HISTORY_SEED,
) -> list[Incident]:
    """The demo store's history over the HISTORY_WEEKS weeks before ``now``, oldest first.

    Deterministic for a seed and ``now``. Shop hours 09:00-20:00 UTC, busiest in the
    afternoon; a handful of people come back often; older incidents are mostly reviewed (about
    two thirds confirmed), the last two days still wait for staff. Incidents past the default
    retention's link are anonymised as the daily purge leaves them (see :func:`purged`).
    """
    rng = random.Random(seed)  # noqa: S311 (made-up demo data, no secret)
    people = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(PEOPLE)]
    regulars = people[:6]
    first_day = (now - timedelta(weeks=HISTORY_WEEKS)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    incidents: list[Incident] = []
    day = first_day
    while day < now:
        for _ in range(rng.randint(0, PER_DAY[day.weekday()] * 2)):
            hour = min(max(round(rng.gauss(15, 2.5)), 9), 19)
            occurred = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
            if occurred >= now:
                continue
            person = rng.choice(regulars) if rng.random() < 0.45 else rng.choice(people)
            category = CATEGORIES[people.index(person) % len(CATEGORIES)]
            status, reviewed_at, reason = _review(rng, occurred, now)
            number = len(incidents)
            incidents.append(
                Incident(
                    incident_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    dedup_key=f"demo-history-{seed}-{number}",
                    occurred_at=occurred,
                    store_id=store_id,
                    store_name=f"{store_name}{STORE_SUFFIX}",
                    camera=rng.choices(CAMERAS, weights=(6, 1, 3))[0],
                    location="Demo history",
                    watchlist_id=watchlist_id,
                    watchlist=watchlist,
                    category=category,
                    person_id=person,
                    similarity=round(rng.uniform(95.0, 99.8), 2),
                    review_status=status,
                    reviewed_by=REVIEWER if reviewed_at else None,
                    reviewed_at=reviewed_at,
                    review_reason=reason,
                )
            )
        day += timedelta(days=1)
    return sorted(
        (purged(incident, now, DEFAULT_RETENTION) for incident in incidents),
        key=lambda incident: incident.occurred_at,
    )


def purged(incident: Incident, now: datetime, policy: RetentionPolicy) -> Incident:
    """The incident as the privacy purge, run every day at ``now``'s time of day, leaves it by
    ``now``: past its link retention, anonymised (person, evidence, similarity and review reason
    gone) at the first purge that found it past (``IncidentStore.apply_retention``'s rule)."""
    confirmed = incident.review_status is ReviewStatus.CONFIRMED
    days = policy.link_confirmed if confirmed else policy.link_unconfirmed
    due = incident.occurred_at + timedelta(days=days)
    if due >= now:
        return incident
    # The purge at ``at`` anonymises what occurred before ``at`` less the retention: the first
    # run after ``due`` is ``now`` less the whole days that still fit strictly after it.
    at = now - (-((due - now) // PURGE_EVERY) - 1) * PURGE_EVERY
    return replace(
        incident,
        person_id="",
        snapshot_ref=None,
        similarity=None,
        review_reason=None,
        anonymised_at=at,
    )


def _review(
    rng: random.Random, occurred: datetime, now: datetime
) -> tuple[ReviewStatus, datetime | None, str | None]:
    if now - occurred < timedelta(days=2) or rng.random() < 0.1:
        return ReviewStatus.PENDING, None, None
    wait = timedelta(seconds=min(rng.expovariate(1 / 420), 6 * 3600))
    if rng.random() < 0.68:
        return ReviewStatus.CONFIRMED, occurred + wait, f"{DEMO_MARK}: confirmed on CCTV"
    return ReviewStatus.DISMISSED, occurred + wait, f"{DEMO_MARK}: not them"


def write_history(store: IncidentStore, incidents: list[Incident]) -> int:
    """Add the incidents in one transaction, only if the database holds none; returns how many
    were added (blocking)."""
    rows = []
    for incident in incidents:
        row = asdict(incident)
        row["occurred_at"] = incident.occurred_at.astimezone(UTC).isoformat()
        row["reviewed_at"] = (
            incident.reviewed_at.astimezone(UTC).isoformat() if incident.reviewed_at else None
        )
        row["anonymised_at"] = (
            incident.anonymised_at.astimezone(UTC).isoformat() if incident.anonymised_at else None
        )
        row["review_status"] = str(incident.review_status)
        rows.append(row)
    with store.connect() as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            if connection.execute("SELECT EXISTS (SELECT 1 FROM incidents)").fetchone()[0]:
                connection.execute("ROLLBACK")
                return 0
            if rows:
                columns = list(rows[0])
                connection.executemany(
                    f"INSERT INTO incidents ({', '.join(columns)}) "  # noqa: S608 (dataclass fields)
                    f"VALUES ({', '.join(':' + column for column in columns)})",
                    rows,
                )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
    return len(rows)


async def ensure_history(ws: WebSocket, entry_id: str, store_name: str, config: Path) -> int:
    """Write the demo history into the demo Home Assistant's database if it has no incident
    yet; returns how many incidents were added (0 when it already had some)."""
    subentries = await ws.call("config_entries/subentries/list", entry_id=entry_id)
    watchlists = [sub for sub in subentries if sub.get("subentry_type") == "watchlist"]
    if not watchlists:
        raise DemoError("the demo store has no watchlist to give a history")
    # Asking the console for the stores makes Home Assistant open (create and migrate) the
    # database first, so the two processes never both migrate it.
    stores = await ws.call("smartshop/stores")
    if entry_id not in [store["store_id"] for store in stores["stores"]]:
        raise DemoError("the console does not list the demo store")
    database = config / INCIDENT_DATABASE
    if not database.is_file():
        raise DemoError(f"the SmartShop database {database} is missing")
    incidents = generate_history(
        store_id=entry_id,
        store_name=store_name,
        watchlist_id=str(watchlists[0]["subentry_id"]),
        watchlist=str(watchlists[0]["title"]),
        now=datetime.now(UTC),
    )
    return await asyncio.to_thread(write_history, IncidentStore(database), incidents)
