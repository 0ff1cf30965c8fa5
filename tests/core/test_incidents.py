"""The incident store: schema, de-duplication, review, retention, erasure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
import sqlite3

import pytest

from custom_components.smartshop.incidents import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Incident,
    IncidentStore,
    IncidentStoreError,
    RetentionPolicy,
    ReviewStatus,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _incident(n: int, *, person: str = "p1", store: str = "s1", days_ago: float = 0) -> Incident:
    return Incident(
        incident_id=f"i{n}",
        dedup_key=f"k{n}",
        occurred_at=NOW - timedelta(days=days_ago),
        store_id=store,
        store_name="High Street",
        camera="camera.door",
        location="Front door — ünïcode 'quoted'",
        watchlist_id="w1",
        watchlist="Theft",
        category="theft",
        person_id=person,
        similarity=99.5,
    )


@pytest.fixture
def store(tmp_path: Path) -> IncidentStore:
    return IncidentStore(tmp_path / "smartshop.db")


def test_add_get_and_dedup(store: IncidentStore) -> None:
    """An incident round-trips; the same dedup key is never recorded twice."""
    assert store.add(_incident(1)) is True
    assert store.add(replace(_incident(1), incident_id="other")) is False
    got = store.get("i1")
    assert got == _incident(1)
    assert store.count() == 1
    assert store.schema_version() == SCHEMA_VERSION


def test_survives_reopen(tmp_path: Path) -> None:
    """A new store object on the same file (a restart) sees everything."""
    IncidentStore(tmp_path / "db.sqlite").add(_incident(1))
    again = IncidentStore(tmp_path / "db.sqlite")
    assert again.get("i1") is not None
    assert again.add(_incident(1)) is False


def test_query_and_review(store: IncidentStore) -> None:
    """Filters work; a review records who, when and why."""
    for n in range(5):
        store.add(_incident(n, person="p1" if n % 2 else "p2", days_ago=n))
    store.add(_incident(9, store="s2", person="p9"))
    assert [i.incident_id for i in store.query(store_id="s1", limit=3)] == ["i0", "i1", "i2"]
    assert {i.incident_id for i in store.query(person_id="p1")} == {"i1", "i3"}
    assert len(store.query(since=NOW - timedelta(days=1.5))) == 3
    changed, reviewed = store.review(
        "i1", ReviewStatus.CONFIRMED, by="Sam", reason="Seen on CCTV", at=NOW
    )
    assert changed
    assert reviewed is not None
    assert reviewed.review_status is ReviewStatus.CONFIRMED
    assert (reviewed.reviewed_by, reviewed.review_reason, reviewed.reviewed_at) == (
        "Sam",
        "Seen on CCTV",
        NOW,
    )
    assert [i.incident_id for i in store.query(status=ReviewStatus.CONFIRMED)] == ["i1"]
    assert store.review("missing", ReviewStatus.DISMISSED, by="x", reason="y", at=NOW) == (
        False,
        None,
    )
    # The first decision stands: a second review changes nothing.
    changed, again = store.review("i1", ReviewStatus.DISMISSED, by="Kim", reason="late", at=NOW)
    assert not changed
    assert (again.review_status, again.reviewed_by) == (ReviewStatus.CONFIRMED, "Sam")
    assert reviewed.as_dict()["review_status"] == "confirmed"


POLICY = RetentionPolicy(
    evidence_unconfirmed=10,
    evidence_confirmed=100,
    link_unconfirmed=30,
    link_confirmed=365,
    anonymous_rows=730,
)


def _with_evidence(n: int, *, store: str = "s1", days_ago: float = 0) -> Incident:
    incident = _incident(n, store=store, days_ago=days_ago)
    return replace(incident, snapshot_ref=incident.incident_id)


def test_retention_by_kind(store: IncidentStore) -> None:
    """Evidence goes first, then the person link (the row is anonymised), the row last; each
    kind at its own age, confirmed incidents kept longer; another store is left alone."""
    store.add(_with_evidence(1, days_ago=5))  # young: untouched
    store.add(_with_evidence(2, days_ago=11))  # unconfirmed, evidence past 10 days
    store.add(_with_evidence(3, days_ago=31))  # unconfirmed, link past 30 days
    store.add(_with_evidence(4, days_ago=200))  # confirmed, evidence past 100 days
    store.review("i4", ReviewStatus.CONFIRMED, by="Sam", reason="seen on CCTV", at=NOW)
    store.add(_with_evidence(5, days_ago=366))  # confirmed, link past 365 days
    store.review("i5", ReviewStatus.CONFIRMED, by="Sam", reason="seen on CCTV", at=NOW)
    store.add(_with_evidence(6, days_ago=731))  # past every retention: deleted
    store.add(_with_evidence(7, days_ago=731, store="s2"))  # another store's

    result = store.apply_retention(now=NOW, policy=POLICY, store_id="s1")

    assert result.counts() == {
        "evidence_unconfirmed": 1,
        "evidence_confirmed": 1,
        "anonymised_unconfirmed": 1,
        "anonymised_confirmed": 1,
        "rows_deleted": 1,
        "evidence_deleted": 5,
    }
    assert sorted(result.evidence_ids) == ["i2", "i3", "i4", "i5", "i6"]
    assert store.get("i1") == _with_evidence(1, days_ago=5)
    assert store.get("i2") == replace(_incident(2, days_ago=11), snapshot_ref=None)
    anonymous = store.get("i5")
    assert anonymous is not None
    assert (anonymous.person_id, anonymous.snapshot_ref, anonymous.similarity) == ("", None, None)
    assert anonymous.review_reason is None
    assert anonymous.anonymised_at == NOW
    # What trends need stays.
    assert (anonymous.occurred_at, anonymous.store_id, anonymous.camera) == (
        NOW - timedelta(days=366),
        "s1",
        "camera.door",
    )
    assert (anonymous.watchlist_id, anonymous.category, anonymous.review_status) == (
        "w1",
        "theft",
        ReviewStatus.CONFIRMED,
    )
    assert store.get("i3") is not None
    assert store.get("i3").person_id == ""  # type: ignore[union-attr]
    assert store.get("i6") is None
    assert store.get("i7") is not None

    # A second pass finds nothing new.
    assert set(store.apply_retention(now=NOW, policy=POLICY, store_id="s1").counts().values()) == {
        0
    }


def test_dismissal_unlinks_the_incident(store: IncidentStore) -> None:
    """ "Not them": the incident no longer names the entry nor references a crop; a
    confirmation keeps both."""
    store.add(_with_evidence(1))
    store.add(_with_evidence(2))
    changed, dismissed = store.review("i1", ReviewStatus.DISMISSED, by="Sam", reason="no", at=NOW)
    assert changed
    assert dismissed is not None
    assert (dismissed.person_id, dismissed.snapshot_ref) == ("", None)
    assert (dismissed.similarity, dismissed.reviewed_by, dismissed.review_reason) == (
        99.5,
        "Sam",
        "no",
    )
    _, confirmed = store.review("i2", ReviewStatus.CONFIRMED, by="Sam", reason="yes", at=NOW)
    assert confirmed is not None
    assert (confirmed.person_id, confirmed.snapshot_ref) == ("p1", "i2")


def test_schema_3_keeps_rows_of_schema_2(tmp_path: Path) -> None:
    """A database of schema 2 migrates in place: its rows stay, their crops are referenced by
    incident id (none for a dismissed one), and the similarity may then be cleared."""
    path = tmp_path / "db.sqlite"
    connection = sqlite3.connect(path)
    for statement in (*MIGRATIONS[0], *MIGRATIONS[1]):
        connection.execute(statement)
    connection.execute("PRAGMA user_version = 2")
    for n, status in ((1, "pending"), (2, "dismissed")):
        connection.execute(
            "INSERT INTO incidents (incident_id, dedup_key, occurred_at, store_id, store_name, "
            "camera, location, watchlist_id, watchlist, category, person_id, similarity, "
            "review_status) VALUES (?, ?, ?, 's1', 'High Street', 'camera.door', 'Door', 'w1', "
            "'Theft', 'theft', 'p1', 99.5, ?)",
            (f"i{n}", f"k{n}", NOW.isoformat(), status),
        )
    connection.commit()
    connection.close()
    store = IncidentStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert store.get("i1").snapshot_ref == "i1"  # type: ignore[union-attr]
    assert store.get("i2").snapshot_ref is None  # type: ignore[union-attr]
    result = store.apply_retention(now=NOW + timedelta(days=400), policy=POLICY, store_id="s1")
    assert result.anonymised_unconfirmed == 2
    assert store.get("i1").similarity is None  # type: ignore[union-attr]


def test_erasure(store: IncidentStore) -> None:
    """A person's incidents, and a store's, can be erased."""
    for n in range(20):
        store.add(_incident(n, person="p1"))
    store.add(_incident(99, person="p2", store="s2"))
    assert len(store.delete_person("p1")) == 20
    assert store.query(person_id="p1") == []
    assert store.delete_store("s2") == 1
    assert store.count(store_id="s2") == 0


def test_newer_schema_refused(tmp_path: Path) -> None:
    """A database written by a newer SmartShop is not touched."""
    path = tmp_path / "db.sqlite"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(IncidentStoreError, match="newer"):
        IncidentStore(path).count()


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    """Garbage in place of the database gives IncidentStoreError, not a crash."""
    path = tmp_path / "db.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(IncidentStoreError, match=r"db\.sqlite"):
        IncidentStore(path).count()


def test_naive_times_refused(store: IncidentStore) -> None:
    """Times must carry a zone, so records compare correctly across DST."""
    naive = replace(_incident(1), occurred_at=datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone"):
        store.add(naive)


def test_calibration_per_camera_and_watchlist(store: IncidentStore) -> None:
    """Reviewed alerts are counted by camera and by watchlist; pending ones and other stores'
    are not; a renamed watchlist is shown under its newest name."""
    assert store.calibration("s1").total.share is None
    assert store.calibration("s1").as_dict() == {
        "total": {"confirmed": 0, "dismissed": 0, "share": None},
        "cameras": {},
        "watchlists": {},
    }
    plan = (
        # (camera, watchlist id, watchlist name, decision)
        ("camera.door", "w1", "Theft", ReviewStatus.CONFIRMED),
        ("camera.door", "w1", "Theft", ReviewStatus.CONFIRMED),
        ("camera.door", "w2", "Banned", ReviewStatus.DISMISSED),
        ("bridge1/till", "w1", "Theft", ReviewStatus.DISMISSED),
        ("bridge1/till", "w2", "Banned from store", ReviewStatus.CONFIRMED),
        ("bridge1/till", "w2", "Banned", None),  # pending: not counted
    )
    for n, (camera, watchlist_id, name, decision) in enumerate(plan):
        incident = replace(
            _incident(n, days_ago=len(plan) - n),
            camera=camera,
            watchlist_id=watchlist_id,
            watchlist=name,
        )
        store.add(incident)
        if decision is not None:
            store.review(f"i{n}", decision, by="Sam", reason="x", at=NOW)
    store.add(replace(_incident(99, store="s2"), review_status=ReviewStatus.CONFIRMED))

    calibration = store.calibration("s1")
    assert calibration.total.confirmed == 3
    assert calibration.total.dismissed == 2
    assert calibration.total.share == 60.0
    assert calibration.as_dict()["cameras"] == {
        "bridge1/till": {"confirmed": 1, "dismissed": 1, "share": 50.0},
        "camera.door": {"confirmed": 2, "dismissed": 1, "share": 66.7},
    }
    # w2's newest reviewed incident named it "Banned from store".
    assert calibration.as_dict()["watchlists"] == {
        "Banned from store": {"confirmed": 1, "dismissed": 1, "share": 50.0},
        "Theft": {"confirmed": 2, "dismissed": 1, "share": 66.7},
    }
    assert store.calibration("s2").total.share == 100.0
