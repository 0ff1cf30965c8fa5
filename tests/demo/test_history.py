"""The demo's generated incident history: deterministic, labelled as demo data, written once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from custom_components.smartshop.console_queries import IncidentFilters, heatmap, store_totals
from custom_components.smartshop.incidents import IncidentStore, ReviewStatus
from demo.history import (
    CAMERAS,
    DEMO_MARK,
    HISTORY_WEEKS,
    REVIEWER,
    STORE_SUFFIX,
    generate_history,
    write_history,
)

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
STORE = "0123456789abcdef0123456789abcdef"


def _history(seed: int = 7, now: datetime = NOW) -> list:
    return generate_history(
        store_id=STORE,
        store_name="Demo shop",
        watchlist_id="watchlist-subentry",
        watchlist="Demo",
        now=now,
        seed=seed,
    )


def test_same_seed_same_history() -> None:
    """A seed and a time give the same incidents every time; another seed gives others."""
    assert _history() == _history()
    assert _history(seed=8) != _history()


def test_eight_weeks_marked_as_demo_data() -> None:
    """Eight weeks before now, oldest first, every incident recognisably demo data, reviews
    with a demo reason, the last two days still pending."""
    history = _history()
    assert 150 < len(history) < 600
    times = [incident.occurred_at for incident in history]
    assert times == sorted(times)
    assert times[0] >= NOW - timedelta(weeks=HISTORY_WEEKS, days=1)
    assert times[-1] < NOW
    assert times[-1] - times[0] > timedelta(weeks=HISTORY_WEEKS - 1)
    assert len({incident.incident_id for incident in history}) == len(history)
    for incident in history:
        assert incident.store_name == f"Demo shop{STORE_SUFFIX}"
        assert incident.camera in CAMERAS
        assert incident.camera.startswith("Demo: ")
        assert incident.store_id == STORE
        if incident.review_status is ReviewStatus.PENDING:
            assert incident.reviewed_at is None
            assert incident.review_reason is None
        else:
            assert incident.review_reason.startswith(DEMO_MARK)
            assert incident.reviewed_by == REVIEWER
            assert incident.reviewed_at > incident.occurred_at
            assert NOW - incident.occurred_at >= timedelta(days=2)
    statuses = {incident.review_status for incident in history}
    assert statuses == set(ReviewStatus)
    # Some people come back: the console's repeat visitors have something to show.
    people = [incident.person_id for incident in history]
    assert max(people.count(person) for person in set(people)) >= 10


def test_written_once_into_an_empty_database(tmp_path: Path) -> None:
    """The history goes in only while the database has no incident; the trends then count it."""
    store = IncidentStore(tmp_path / "smartshop.db")
    history = _history()
    assert write_history(store, history) == len(history)
    assert store.count() == len(history)
    assert write_history(store, _history(seed=8)) == 0
    assert store.count() == len(history)
    (totals,) = store_totals(store, IncidentFilters())
    assert totals.total == len(history)
    assert totals.label == f"Demo shop{STORE_SUFFIX}"
    london = heatmap(store, IncidentFilters(), ZoneInfo("Europe/London"))
    assert sum(cell.count for cell in london) == len(history)
