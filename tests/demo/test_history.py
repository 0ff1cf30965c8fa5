"""The demo's generated incident history: deterministic, labelled as demo data, written once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from custom_components.smartshop.console_queries import (
    IncidentFilters,
    heatmap,
    page,
    store_totals,
)
from custom_components.smartshop.incidents import IncidentStore, ReviewStatus
from custom_components.smartshop.retention import policy_from_options
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
            # An anonymised incident lost its reason (see the test below).
            assert incident.anonymised_at or incident.review_reason.startswith(DEMO_MARK)
            assert incident.reviewed_by == REVIEWER
            assert incident.reviewed_at > incident.occurred_at
            assert NOW - incident.occurred_at >= timedelta(days=2)
    statuses = {incident.review_status for incident in history}
    assert statuses == set(ReviewStatus)
    # Some people come back: the console's repeat visitors have something to show.
    people = [incident.person_id for incident in history if incident.person_id]
    assert max(people.count(person) for person in set(people)) >= 10


def test_old_unconfirmed_incidents_anonymised_as_the_purge_leaves_them() -> None:
    """Unconfirmed incidents past the default link retention (30 days) are anonymised, each at
    the first daily purge past its retention; the rest keep their person and similarity."""
    history = _history()
    anonymised = [incident for incident in history if incident.anonymised_at is not None]
    assert len(anonymised) >= 10
    assert {incident.review_status for incident in anonymised} == {
        ReviewStatus.PENDING,
        ReviewStatus.DISMISSED,
    }
    for incident in history:
        age = NOW - incident.occurred_at
        unconfirmed = incident.review_status is not ReviewStatus.CONFIRMED
        if unconfirmed and age > timedelta(days=30):
            assert incident.anonymised_at is not None
            assert (incident.person_id, incident.similarity) == ("", None)
            assert (incident.review_reason, incident.snapshot_ref) == (None, None)
            waited = incident.anonymised_at - incident.occurred_at
            assert timedelta(days=30) < waited <= timedelta(days=31)
            assert incident.anonymised_at <= NOW
            assert (NOW - incident.anonymised_at) % timedelta(days=1) == timedelta(0)
        else:
            assert incident.anonymised_at is None
            assert incident.person_id
            assert 95.0 <= incident.similarity <= 99.8


def test_the_purge_finds_nothing_more_to_anonymise(tmp_path: Path) -> None:
    """Written into a database, the history is what the privacy purge with the default
    retention leaves: a purge now changes nothing; the console pages through every incident,
    anonymised ones included."""
    store = IncidentStore(tmp_path / "smartshop.db")
    history = _history()
    write_history(store, history)
    result = store.apply_retention(now=NOW, policy=policy_from_options({}), store_id=STORE)
    assert result.counts() == dict.fromkeys(result.counts(), 0)
    assert store.get(history[0].incident_id) == history[0]
    listed: list[dict] = []
    cursor = None
    while True:
        batch = page(store, IncidentFilters(), 50, cursor)
        listed += [incident.as_dict() for incident in batch.incidents]
        if (cursor := batch.next_cursor) is None:
            break
    newest_first = sorted(history, key=lambda i: (i.occurred_at, i.incident_id), reverse=True)
    assert [row["incident_id"] for row in listed] == [i.incident_id for i in newest_first]
    assert sum(row["anonymised_at"] is not None for row in listed) == sum(
        incident.anonymised_at is not None for incident in history
    )


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
