"""The console's queries: keyset paging with filters, and trends counted in SQL in local time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from custom_components.smartshop import console_queries as queries
from custom_components.smartshop.audit import AuditAction, AuditLog
from custom_components.smartshop.console_queries import IncidentFilters, InvalidCursorError
from custom_components.smartshop.incidents import Incident, IncidentStore, ReviewStatus

LONDON = ZoneInfo("Europe/London")
# British Summer Time ends at 01:00 UTC on Sunday 25 October 2026.
BST_ENDS = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> IncidentStore:
    return IncidentStore(tmp_path / "smartshop.db")


def _incident(
    n: int,
    at: datetime,
    *,
    store: str = "s1",
    camera: str = "camera.door",
    watchlist: str = "w1",
    category: str = "theft",
    person: str = "p1",
    status: ReviewStatus = ReviewStatus.PENDING,
    wait: timedelta | None = None,
) -> Incident:
    reviewed = status is not ReviewStatus.PENDING
    return Incident(
        incident_id=f"i{n:03d}",
        dedup_key=f"k{n}",
        occurred_at=at,
        store_id=store,
        store_name={"s1": "High Street", "s2": "Station Road"}.get(store, store),
        camera=camera,
        location="Front door",
        watchlist_id=watchlist,
        watchlist={"w1": "Theft", "w2": "Banned"}.get(watchlist, watchlist),
        category=category,
        person_id=person,
        similarity=98.0,
        review_status=status,
        reviewed_by="Sam" if reviewed else None,
        reviewed_at=at + (wait or timedelta(minutes=5)) if reviewed else None,
        review_reason="seen" if reviewed else None,
    )


def _ids(page: queries.Page) -> list[str]:
    return [incident.incident_id for incident in page.incidents]


def test_the_console_migration_adds_its_indexes(store: IncidentStore) -> None:
    """The last migration creates the indexes the console reads, and the trends use them."""
    with store.connect() as connection:
        names = {
            row["name"]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        assert {
            "incidents_time",
            "incidents_hour",
            "incidents_category_hour",
            "incidents_store_status",
            "incidents_camera_status",
            "incidents_watchlist_status",
            "incidents_person_visits",
            "incidents_review_wait",
        } <= names
        plan = " ".join(
            row["detail"]
            for row in connection.execute(
                f"EXPLAIN QUERY PLAN SELECT {queries.HOUR} AS h, COUNT(*) FROM incidents GROUP BY h"
            )
        )
    assert "COVERING INDEX incidents_hour" in plan
    assert "TEMP B-TREE" not in plan


def test_pages_follow_each_other_without_gaps_or_repeats(store: IncidentStore) -> None:
    """Keyset pages, newest first, ties on time broken by id; the last page has no cursor."""
    start = datetime(2026, 11, 1, 9, tzinfo=UTC)
    for n in range(25):
        # Pairs of incidents share a second: the id decides their order.
        store.add(_incident(n, start + timedelta(seconds=n // 2)))
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = queries.page(store, IncidentFilters(), 10, cursor)
        seen += _ids(page)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert seen == [f"i{n:03d}" for n in reversed(range(25))]
    # An incident arriving meanwhile (newer) never shifts the pages still to come.
    first = queries.page(store, IncidentFilters(), 10)
    store.add(_incident(99, start + timedelta(days=1)))
    following = queries.page(store, IncidentFilters(), 10, first.next_cursor)
    assert _ids(following) == [f"i{n:03d}" for n in reversed(range(5, 15))]


def test_page_filters(store: IncidentStore) -> None:
    """Every filter narrows the page; they combine."""
    at = datetime(2026, 11, 2, 10, tzinfo=UTC)
    store.add(_incident(1, at, store="s1", camera="camera.door"))
    store.add(_incident(2, at + timedelta(hours=1), store="s2", camera="camera.till"))
    store.add(_incident(3, at + timedelta(hours=2), watchlist="w2", category="banned"))
    store.add(_incident(4, at + timedelta(hours=3), status=ReviewStatus.DISMISSED))
    store.add(_incident(5, at + timedelta(days=2), store="s3"))

    def ids(**filters: object) -> list[str]:
        return _ids(queries.page(store, IncidentFilters(**filters), 50))  # type: ignore[arg-type]

    assert ids() == ["i005", "i004", "i003", "i002", "i001"]
    assert ids(store_ids=("s2", "s3")) == ["i005", "i002"]
    assert ids(camera="camera.till") == ["i002"]
    assert ids(watchlist_id="w2") == ["i003"]
    assert ids(category="banned") == ["i003"]
    assert ids(review_status=ReviewStatus.DISMISSED) == ["i004"]
    assert ids(start=at + timedelta(hours=1), end=at + timedelta(hours=3)) == ["i003", "i002"]
    assert ids(store_ids=("s1",), review_status=ReviewStatus.PENDING) == ["i003", "i001"]
    # Stores asked for that cover every store with incidents: nothing is left out.
    with store.connect() as connection:
        assert queries.stores_present(connection) == ["s1", "s2", "s3"]
    assert ids(store_ids=("s1", "s2", "s3", "elsewhere")) == ids()
    assert ids(store_ids=("s1", "s3", "elsewhere")) == ["i005", "i004", "i003", "i001"]


@pytest.mark.parametrize(
    "cursor", ["", "not a cursor", "W10", "WyJhIiwgImIiXQ", "WyIyMDI2LTExLTAxIiwgMV0"]
)
def test_foreign_cursors_are_refused(store: IncidentStore, cursor: str) -> None:
    """Only a cursor a page made is accepted (not base64, not JSON, wrong shape, bad time)."""
    with pytest.raises(InvalidCursorError):
        queries.page(store, IncidentFilters(), 10, cursor)


def test_offset_changes_find_the_minute_daylight_saving_ends() -> None:
    """London's offset over a week around the end of summer time: one change, to the minute."""
    changes = queries.offset_changes(
        LONDON, BST_ENDS - timedelta(days=3), BST_ENDS + timedelta(days=3)
    )
    assert changes == [(BST_ENDS - timedelta(days=3), 60), (BST_ENDS, 0)]
    assert queries.offset_changes(UTC, BST_ENDS, BST_ENDS + timedelta(days=30)) == [(BST_ENDS, 0)]


def test_heatmap_in_local_time_across_daylight_saving(store: IncidentStore) -> None:
    """The same UTC hour is 13:00 on Saturday (summer time) and 12:00 on Monday (winter)."""
    store.add(_incident(1, datetime(2026, 10, 24, 12, 30, tzinfo=UTC)))  # Sat 13:30 BST
    store.add(_incident(2, datetime(2026, 10, 24, 12, 45, tzinfo=UTC)))  # Sat 13:45 BST
    store.add(_incident(3, datetime(2026, 10, 26, 12, 30, tzinfo=UTC)))  # Mon 12:30 GMT
    store.add(_incident(4, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)))  # Sun 01:30 BST
    store.add(_incident(5, datetime(2026, 10, 25, 1, 30, tzinfo=UTC)))  # Sun 01:30 GMT
    store.add(_incident(6, datetime(2026, 10, 26, 23, 30, tzinfo=UTC), store="s2"))  # Mon 23:30
    cells = queries.heatmap(store, IncidentFilters(), LONDON)
    assert cells == [
        queries.HeatCell(weekday=1, hour=12, count=1),
        queries.HeatCell(weekday=1, hour=23, count=1),
        queries.HeatCell(weekday=6, hour=13, count=2),
        queries.HeatCell(weekday=7, hour=1, count=2),
    ]
    assert queries.heatmap(store, IncidentFilters(store_ids=("s2",)), LONDON) == [
        queries.HeatCell(weekday=1, hour=23, count=1)
    ]
    # In UTC the Saturday incidents fall at 12:00.
    assert queries.HeatCell(6, 12, 2) in queries.heatmap(store, IncidentFilters(), UTC)
    assert queries.heatmap(store, IncidentFilters(store_ids=("none",)), LONDON) == []


def test_weekly_counts_by_store_camera_and_category(store: IncidentStore) -> None:
    """ISO weeks in local time: Sunday 23:30 UTC in summer is already Monday in London."""
    sunday_night = datetime(2026, 8, 2, 23, 30, tzinfo=UTC)  # Mon 3 Aug 00:30 BST: 2026-W32
    store.add(_incident(1, sunday_night))
    store.add(_incident(2, sunday_night - timedelta(hours=1), camera="camera.till"))  # W31
    store.add(_incident(3, sunday_night + timedelta(days=1), store="s2", category="banned"))
    store.add(
        replace(_incident(4, sunday_night + timedelta(days=2)), store_name="High Street (renamed)")
    )
    by_store = queries.weekly(store, IncidentFilters(), LONDON, "store")
    assert by_store == [
        queries.WeekCount("2026-W31", "s1", "High Street (renamed)", 1),
        queries.WeekCount("2026-W32", "s1", "High Street (renamed)", 2),
        queries.WeekCount("2026-W32", "s2", "Station Road", 1),
    ]
    assert queries.weekly(store, IncidentFilters(), LONDON, "camera") == [
        queries.WeekCount("2026-W31", "camera.till", "camera.till", 1),
        queries.WeekCount("2026-W32", "camera.door", "camera.door", 3),
    ]
    assert queries.weekly(store, IncidentFilters(store_ids=("s1",)), UTC, "category") == [
        queries.WeekCount("2026-W31", "theft", "theft", 2),
        queries.WeekCount("2026-W32", "theft", "theft", 1),
    ]
    # A span within one week, and no incident at all.
    one_week = IncidentFilters(start=sunday_night, end=sunday_night + timedelta(days=2))
    assert queries.weekly(store, one_week, LONDON, "category") == [
        queries.WeekCount("2026-W32", "banned", "banned", 1),
        queries.WeekCount("2026-W32", "theft", "theft", 1),
    ]
    assert queries.weekly(store, IncidentFilters(store_ids=("none",)), LONDON, "store") == []
    with pytest.raises(ValueError, match="weekly"):
        queries.weekly(store, IncidentFilters(), LONDON, "person")


def test_repeat_visitors(store: IncidentStore) -> None:
    """Seen on two local days, or at two cameras, counts; once, or anonymised, does not."""
    day = datetime(2026, 11, 10, 10, tzinfo=UTC)
    for n, hours in enumerate((0, 1, 24, 48)):
        store.add(_incident(n, day + timedelta(hours=hours), person="again"))
    store.add(_incident(10, day, person="two-cameras"))
    store.add(_incident(11, day + timedelta(hours=2), person="two-cameras", camera="camera.till"))
    store.add(_incident(20, day, person="once"))
    store.add(_incident(21, day + timedelta(hours=1), person="once"))
    store.add(_incident(30, day, person=""))
    store.add(_incident(31, day + timedelta(days=3), person=""))
    # Summer time: 23:30 UTC and 00:30 UTC the next day are the same London day.
    night = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    store.add(_incident(40, night, person="same-local-day"))
    store.add(_incident(41, night + timedelta(hours=1), person="same-local-day"))
    visitors = queries.repeat_visitors(store, IncidentFilters(), LONDON)
    assert [(v.person_id, v.visits, v.days, v.cameras) for v in visitors] == [
        ("again", 4, 3, 1),
        ("two-cameras", 2, 1, 2),
    ]
    assert visitors[0].first_seen == day
    assert visitors[0].last_seen == day + timedelta(hours=48)
    # In UTC the late visit is on the next day.
    assert ("same-local-day", 2) in [
        (v.person_id, v.days) for v in queries.repeat_visitors(store, IncidentFilters(), UTC)
    ]
    assert queries.repeat_visitors(store, IncidentFilters(), LONDON, limit=1)[0].person_id == (
        "again"
    )
    assert queries.repeat_visitors(store, IncidentFilters(camera="camera.till"), LONDON) == []


def test_outcomes_per_watchlist_camera_and_store(store: IncidentStore) -> None:
    """Pending, confirmed and dismissed, counted per group; a watchlist is named by its newest
    incident."""
    at = datetime(2026, 11, 3, 12, tzinfo=UTC)
    store.add(_incident(1, at, status=ReviewStatus.CONFIRMED))
    store.add(_incident(2, at + timedelta(hours=1), status=ReviewStatus.DISMISSED))
    store.add(_incident(3, at + timedelta(hours=2)))
    store.add(
        replace(_incident(4, at + timedelta(hours=3), camera="camera.till"), watchlist="Thieves")
    )
    store.add(_incident(5, at, store="s2", watchlist="w2", status=ReviewStatus.CONFIRMED))
    by_watchlist = queries.outcomes(store, IncidentFilters(), "watchlist")
    assert [(o.key, o.label, o.pending, o.confirmed, o.dismissed) for o in by_watchlist] == [
        ("w2", "Banned", 0, 1, 0),
        ("w1", "Thieves", 2, 1, 1),
    ]
    by_camera = queries.outcomes(store, IncidentFilters(store_ids=("s1",)), "camera")
    assert [(o.key, o.pending, o.confirmed, o.dismissed, o.total) for o in by_camera] == [
        ("camera.door", 1, 1, 1, 3),
        ("camera.till", 1, 0, 0, 1),
    ]
    totals = queries.store_totals(store, IncidentFilters())
    assert [(o.key, o.label, o.total, o.last_incident) for o in totals] == [
        ("s1", "High Street", 4, at + timedelta(hours=3)),
        ("s2", "Station Road", 1, at),
    ]
    with pytest.raises(ValueError, match="outcomes"):
        queries.outcomes(store, IncidentFilters(), "person")


def test_review_times_median_and_p90(store: IncidentStore) -> None:
    """Nearest-rank median and 90th percentile of the seconds from alert to review."""
    assert queries.review_times(store, IncidentFilters()) == queries.ReviewTimes(0, None, None)
    at = datetime(2026, 11, 4, 9, tzinfo=UTC)
    for n in range(10):
        status = ReviewStatus.CONFIRMED if n % 2 else ReviewStatus.DISMISSED
        store.add(
            _incident(
                n, at + timedelta(hours=n), status=status, wait=timedelta(seconds=10 * (n + 1))
            )
        )
    store.add(_incident(50, at))  # pending: not reviewed yet
    times = queries.review_times(store, IncidentFilters())
    assert times == queries.ReviewTimes(10, 50.0, 90.0)
    only_confirmed = queries.review_times(
        store, IncidentFilters(review_status=ReviewStatus.CONFIRMED)
    )
    assert only_confirmed == queries.ReviewTimes(5, 60.0, 100.0)


def test_review_history_from_the_audit_log(store: IncidentStore) -> None:
    """Review rows about the incident or its person, oldest first; other actions left out."""
    log = AuditLog(store)
    log.append(
        AuditAction.REVIEW, actor="Sam (u1)", subject="i001", details={"decision": "confirm"}
    )
    log.append(AuditAction.UPDATE, actor="Sam (u1)", subject="p1", details={"fields": ["reason"]})
    log.append(AuditAction.REVIEW, actor="Ali (u2)", subject="p1", details={"incident_id": "i001"})
    log.append(AuditAction.REVIEW, actor="Kim (u3)", subject="i999", details={})
    history = queries.review_history(store, ["i001", "p1"])
    assert [(row["actor"], row["subject"]) for row in history] == [
        ("Sam (u1)", "i001"),
        ("Ali (u2)", "p1"),
    ]
    assert history[0]["details"] == {"decision": "confirm"}
    assert queries.review_history(store, []) == []
