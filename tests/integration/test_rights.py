"""People's rights: find by face, the subject-access export, and erasure everywhere with a receipt
(the backend part retried while the backend is down)."""

from __future__ import annotations

from datetime import datetime, timedelta
import io
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch
import zipfile

from botocore.stub import ANY
from freezegun.api import FrozenDateTimeFactory
from homeassistant.auth.models import User
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.smartshop import ERASURE_RETRY_INTERVAL as RETRY_INTERVAL
from custom_components.smartshop.audit import AuditAction, AuditEntry
from custom_components.smartshop.const import (
    CONF_ACCESS_KEY_ID,
    CONF_BACKEND,
    CONF_CATEGORY,
    CONF_COLLECTION_ID,
    CONF_ENDPOINT_URL,
    CONF_NAME,
    CONF_OWNED,
    CONF_SECRET_ACCESS_KEY,
    CONF_STORE_ID,
    DOMAIN,
    EVENT_EXPORT_PROGRESS,
    ISSUE_REVIEW_ENTRY,
    SUBENTRY_WATCHLIST,
)
from custom_components.smartshop.data import SmartShopConfigEntry
from custom_components.smartshop.database import audit_log
from custom_components.smartshop.erasure import STORAGE_KEY, erasure_issue_id
from custom_components.smartshop.exports import exports_dir
from custom_components.smartshop.incidents import Incident
from custom_components.smartshop.review import review_issue_id
from custom_components.smartshop.snapshots import SnapshotKind

from .conftest import COLLECTION, Rekognition, setup_store, store_entry
from .helpers import as_admin, incident_with_crop

ONE_FACE = (0.3, 0.1, 0.3, 0.4)
FACE_A = "aaaaaaaa-1111-1111-1111-111111111111"
FACE_B = "bbbbbbbb-2222-2222-2222-222222222222"
OTHER_COLLECTION = "smartshop-market-square-banned"


async def _enrol(
    hass: HomeAssistant,
    rekognition: Rekognition,
    photo: str,
    face_id: str,
    name: str,
    store: str | None = None,
) -> str:
    """Enrol one person (a user with one face) on the Theft watchlist of the (first) store."""
    rekognition.detect(ONE_FACE)
    rekognition.index(face_id=face_id)
    rekognition.ok("create_user", {}, {"CollectionId": COLLECTION, "UserId": ANY})
    rekognition.ok(
        "associate_faces",
        {"AssociatedFaces": [{"FaceId": face_id}], "UserStatus": "ACTIVE"},
        {"CollectionId": COLLECTION, "UserId": ANY, "FaceIds": [face_id]},
    )
    response = await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        {
            "watchlist": "Theft",
            "name": name,
            "reason": f"Reason about {name}",
            "incident_reference": f"REF-{name}",
            "justification": "repeat_offender",
            "attest_adult": True,
            "attest_not_vulnerable": True,
            "added_by": "Manager Sam",
            "image_path": photo,
        }
        | ({"config_entry_id": store} if store else {}),
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    rekognition.assert_done()
    return str(response["person_id"])


async def _incident(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    person_id: str,
    occurred_at: datetime,
    crop: bytes,
) -> Incident:
    """An incident about the person with its evidence crop, as a sighting records them."""
    return await incident_with_crop(hass, entry, person_id, crop, occurred_at)


def _second_store(first: MockConfigEntry) -> MockConfigEntry:
    """Another store on this Home Assistant, with a watchlist of its own and nobody on it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Market Square",
        unique_id="market-square",
        version=1,
        minor_version=3,
        data=dict(first.data) | {CONF_STORE_ID: "market-square"},
        options=dict(first.options),
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_WATCHLIST,
                title="Banned",
                unique_id=OTHER_COLLECTION,
                data={
                    CONF_NAME: "Banned",
                    CONF_CATEGORY: "banned",
                    CONF_COLLECTION_ID: OTHER_COLLECTION,
                    CONF_OWNED: True,
                },
            )
        ],
    )


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under a folder, with its size and modification time."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file()
    }


async def _audit(hass: HomeAssistant, action: AuditAction) -> list[AuditEntry]:
    entries = await hass.async_add_executor_job(audit_log(hass).entries)
    return [entry for entry in entries if entry.action == action]


async def test_find_by_face_searches_every_store_and_the_evidence(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, face_jpeg: bytes
) -> None:
    """Every store's watchlists are searched (per person where the store searches by user);
    the evidence crops held are compared with the photo (AWS), which finds an incident recorded
    about someone else; the answer is candidates, never matches; nothing of the photo is
    written anywhere; the search is audit-logged without a name."""
    first = store_entry(camera=None)
    await setup_store(hass, rekognition, first)
    second = _second_store(first)
    await setup_store(hass, rekognition, second)
    person_a = await _enrol(hass, rekognition, photo, FACE_A, "Alice Example", first.entry_id)
    person_b = await _enrol(hass, rekognition, photo, FACE_B, "Bob Example", first.entry_id)
    now = dt_util.utcnow()
    own = await _incident(hass, first, person_a, now - timedelta(hours=2), face_jpeg)
    misidentified = await _incident(hass, first, person_b, now - timedelta(hours=1), face_jpeg)
    smartshop_files = Path(hass.config.path(DOMAIN))
    before = _files(smartshop_files)
    assert not exports_dir(hass).exists()

    rekognition.ok(
        "search_users_by_image",
        {
            "UserMatches": [
                {"Similarity": 88.46, "User": {"UserId": person_a, "UserStatus": "ACTIVE"}}
            ],
            "SearchedFace": {"FaceDetail": {}},
        },
        {
            "CollectionId": COLLECTION,
            "Image": {"Bytes": ANY},
            "MaxUsers": 20,
            "UserMatchThreshold": 70.0,
            "QualityFilter": "NONE",
        },
    )
    rekognition.search([], collection_id=OTHER_COLLECTION)  # the second store has nobody yet
    compare = {
        "SourceImage": {"Bytes": ANY},
        "TargetImage": {"Bytes": ANY},
        "SimilarityThreshold": 70.0,
        "QualityFilter": "NONE",
    }
    # Newest incident first: Bob's, whose crop shows the requester; then Alice's, which does not.
    rekognition.ok(
        "compare_faces",
        {"FaceMatches": [{"Similarity": 91.23, "Face": {"Confidence": 99.0}}]},
        compare,
    )
    rekognition.ok("compare_faces", {"FaceMatches": [], "UnmatchedFaces": [{}]}, compare)
    result = await hass.services.async_call(
        DOMAIN,
        "find_person_by_face",
        {"image_path": photo},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    rekognition.assert_done()

    assert result["note"] == "Candidates for a person to check, not matches"
    (candidate,) = result["candidates"]
    person = first.runtime_data.watchlists.store.get(person_a)
    assert candidate == {
        "store": "High Street",
        "config_entry_id": first.entry_id,
        "watchlist": "Theft",
        "person_id": person_a,
        "name": "Alice Example",
        "category": "theft",
        "similarity": 88.5,
        "added_at": person.added_at.isoformat(),
        "expires_at": person.expires_at.isoformat(),
        "photos": 1,
        "incidents": 1,
    }
    (evidence,) = result["evidence"]
    assert evidence["incident_id"] == misidentified.incident_id
    assert evidence["person_id"] == person_b
    assert evidence["similarity"] == 91.2
    assert own.incident_id not in str(result["evidence"])
    assert result["evidence_search"] == "compared"
    assert result["stores_searched"] == ["High Street", "Market Square"]
    assert result["threshold"] == 70.0

    # The photo was used in memory only.
    assert _files(smartshop_files) == before
    assert not exports_dir(hass).exists()
    (row,) = await _audit(hass, AuditAction.FIND_BY_FACE)
    assert row.subject == ""
    assert row.details == {
        "stores_searched": [first.entry_id, second.entry_id],
        "candidates": 1,
        "evidence": 1,
        "threshold": 70.0,
    }
    assert "Alice" not in json.dumps(row.as_dict())


async def test_find_by_face_on_an_engine_lists_the_candidates_evidence(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, face_jpeg: bytes
) -> None:
    """An engine has no CompareFaces: no crop is compared, the evidence listed is that of the
    candidates (crops still held), and the answer says so."""
    entry = store_entry(
        camera=None,
        data={
            CONF_BACKEND: "engine",
            CONF_ENDPOINT_URL: "http://127.0.0.1:8766",
            CONF_ACCESS_KEY_ID: "engine-key",
            CONF_SECRET_ACCESS_KEY: "engine-secret",
        },
    )
    await setup_store(hass, rekognition, entry)
    person_a = await _enrol(hass, rekognition, photo, FACE_A, "Alice Example")
    person_b = await _enrol(hass, rekognition, photo, FACE_B, "Bob Example")
    now = dt_util.utcnow()
    own = await _incident(hass, entry, person_a, now - timedelta(hours=2), face_jpeg)
    await _incident(hass, entry, person_b, now - timedelta(hours=1), face_jpeg)
    rekognition.ok(
        "search_users_by_image",
        {
            "UserMatches": [
                {"Similarity": 99.0, "User": {"UserId": person_a, "UserStatus": "ACTIVE"}}
            ],
            "SearchedFace": {"FaceDetail": {}},
        },
    )
    result = await hass.services.async_call(
        DOMAIN,
        "find_person_by_face",
        {"image_path": photo, "threshold": 80},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    rekognition.assert_done()  # no CompareFaces
    assert result["evidence_search"] == "by candidate"
    assert [c["person_id"] for c in result["candidates"]] == [person_a]
    (evidence,) = result["evidence"]
    assert (evidence["incident_id"], evidence["similarity"]) == (own.incident_id, None)
    assert result["threshold"] == 80.0


async def test_subject_access_export_holds_that_person_only(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, face_jpeg: bytes
) -> None:
    """One zip (0600) in the exports folder with the person's summary, entry, photos,
    incidents with their evidence and audit rows, and nothing of anyone else; progress events
    are fired while it is written; the export is audit-logged."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    person_a = await _enrol(hass, rekognition, photo, FACE_A, "Alice Example")
    person_b = await _enrol(hass, rekognition, photo, FACE_B, "Bob Example")
    now = dt_util.utcnow()
    incident_a = await _incident(hass, entry, person_a, now - timedelta(hours=2), b"crop of A")
    incident_b = await _incident(hass, entry, person_b, now - timedelta(hours=1), b"crop of B")
    progress = async_capture_events(hass, EVENT_EXPORT_PROGRESS)

    with patch("custom_components.smartshop.subject_access.PROGRESS_EVERY", 1):
        result = await hass.services.async_call(
            DOMAIN,
            "export_person_data",
            {"person_id": person_a},
            blocking=True,
            return_response=True,
            context=await as_admin(hass),
        )
    await hass.async_block_till_done()

    name = result["file"]
    assert name.startswith(f"subject-access-{person_a[:8]}-")
    assert name.endswith(".zip")
    assert result["download_path"] == f"/api/smartshop/exports/{name}"
    assert result["counts"] == {"photos": 2, "incidents": 1, "evidence": 1, "audit_entries": 1}
    path = exports_dir(hass) / name
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in exports_dir(hass).iterdir()) == [name]  # no temporary left
    assert [(e.data["export"], e.data["done"], e.data["total"]) for e in progress] == [
        (name, 1, 3),
        (name, 2, 3),
        (name, 3, 3),
    ]

    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    assert sorted(archive.namelist()) == sorted(
        [
            "summary.txt",
            "entry.json",
            "photos/reference.jpg",
            f"photos/{FACE_A}.jpg",
            "incidents.json",
            f"incidents/{incident_a.incident_id}.jpg",
            "audit.json",
        ]
    )
    snapshots = entry.runtime_data.snapshots
    stored_photo = await hass.async_add_executor_job(snapshots.load, SnapshotKind.PHOTO, FACE_A)
    assert archive.read(f"photos/{FACE_A}.jpg") == stored_photo
    assert archive.read(f"incidents/{incident_a.incident_id}.jpg") == b"crop of A"
    entry_json = json.loads(archive.read("entry.json"))
    assert entry_json["person_id"] == person_a
    assert entry_json["display_name"] == "Alice Example"
    assert entry_json["watchlist"] == "Theft"
    (incident,) = json.loads(archive.read("incidents.json"))
    assert incident["incident_id"] == incident_a.incident_id
    assert incident["review_status"] == "pending"
    (audit_row,) = json.loads(archive.read("audit.json"))
    assert (audit_row["action"], audit_row["subject"]) == ("enrol", person_a)
    summary = archive.read("summary.txt").decode()
    for expected in ("Alice Example", "Reason about Alice Example", "Manager Sam", "Theft"):
        assert expected in summary
    # Nothing of the other person: not their id, name, reason, face or incident.
    everything = b"".join(archive.read(member) for member in archive.namelist())
    for other in (person_b, "Bob Example", FACE_B, incident_b.incident_id, "crop of B"):
        assert other.encode() not in everything

    (row,) = await _audit(hass, AuditAction.EXPORT)
    assert (row.subject, row.store_id) == (person_a, entry.entry_id)
    assert row.details == {"file": name, **result["counts"]}


async def test_erasure_with_the_backend_down_is_completed_by_the_retry(
    hass: HomeAssistant,
    rekognition: Rekognition,
    photo: str,
    face_jpeg: bytes,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The backend fails to delete the faces: everything held here goes at once, the receipt
    says pending, the deletion is remembered and a repair issue raised; the retry timer tries
    again (still down: nothing changes), then completes it and clears the issue."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    person_id = await _enrol(hass, rekognition, photo, FACE_A, "Alice Example")
    incident = await _incident(hass, entry, person_id, dt_util.utcnow(), face_jpeg)
    ir.async_create_issue(
        hass,
        DOMAIN,
        review_issue_id(person_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_REVIEW_ENTRY,
    )
    issues = ir.async_get(hass)

    rekognition.ok("delete_user", {}, {"CollectionId": COLLECTION, "UserId": person_id})
    rekognition.error("delete_faces", "ServiceUnavailableException", status=503)
    receipt = await hass.services.async_call(
        DOMAIN,
        "remove_person",
        {"person_id": person_id},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    rekognition.assert_done()
    assert receipt["status"] == "pending_backend"
    assert receipt["person_id"] == person_id
    assert receipt["collection_ids"] == [COLLECTION]
    assert receipt["faces_deleted"] == []
    assert receipt["faces_pending"] == [FACE_A]
    assert receipt["counts"] == {
        "faces": 1,
        "photos": 2,
        "incidents": 1,
        "snapshots": 1,
        "exports": 0,
        "exports_already_gone": 0,
    }
    assert (receipt["exports_deleted"], receipt["exports_kept"]) == ([], [])
    assert receipt["exports_not_deleted"] == []
    assert receipt["removed_by"].startswith("Manager Sam (")
    # Everything held here is gone at once.
    assert entry.runtime_data.watchlists.store.get(person_id) is None
    snapshots = entry.runtime_data.snapshots
    for kind, ident in (
        (SnapshotKind.REFERENCE, person_id),
        (SnapshotKind.PHOTO, FACE_A),
        (SnapshotKind.INCIDENT, incident.incident_id),
    ):
        assert await hass.async_add_executor_job(snapshots.load, kind, ident) is None
    assert await hass.async_add_executor_job(entry.runtime_data.incidents.count) == 0
    assert issues.async_get_issue(DOMAIN, review_issue_id(person_id)) is None
    # The backend part is remembered and the owner told.
    (pending,) = hass_storage[STORAGE_KEY]["data"]["erasures"]
    assert (pending["person_id"], pending["face_ids"]) == (person_id, [FACE_A])
    issue = issues.async_get_issue(DOMAIN, erasure_issue_id(entry.entry_id))
    assert issue is not None
    assert issue.translation_placeholders == {"store": "High Street", "people": "1", "faces": "1"}
    (row,) = await _audit(hass, AuditAction.REMOVE)
    assert row.subject == person_id
    assert row.details == {
        key: value
        for key, value in receipt.items()
        if key not in ("person_id", "store", "config_entry_id", "removed_by")
    }

    # Still down at the next retry: nothing changes.
    rekognition.error("delete_user", "ServiceUnavailableException", status=503)
    freezer.tick(RETRY_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)  # timers run in the background
    rekognition.assert_done()
    assert issues.async_get_issue(DOMAIN, erasure_issue_id(entry.entry_id)) is not None
    assert len(hass_storage[STORAGE_KEY]["data"]["erasures"]) == 1

    # Back: the retry completes the erasure and clears the issue.
    rekognition.ok("delete_user", {}, {"CollectionId": COLLECTION, "UserId": person_id})
    rekognition.ok(
        "delete_faces",
        {"DeletedFaces": [FACE_A]},
        {"CollectionId": COLLECTION, "FaceIds": [FACE_A]},
    )
    freezer.tick(RETRY_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)  # timers run in the background
    rekognition.assert_done()
    assert issues.async_get_issue(DOMAIN, erasure_issue_id(entry.entry_id)) is None
    assert hass_storage[STORAGE_KEY]["data"]["erasures"] == []
    rows = await _audit(hass, AuditAction.REMOVE)
    assert [r.details["status"] for r in rows] == ["pending_backend", "complete"]
    assert rows[1].details["faces_deleted"] == [FACE_A]
    assert rows[1].details["backend_retry"] is True
    check = await hass.async_add_executor_job(audit_log(hass).verify)
    assert check.intact


async def test_pending_erasure_is_retried_when_the_store_sets_up(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, hass_storage: dict[str, Any]
) -> None:
    """A deletion still owed when Home Assistant restarts is made at the store's next set-up."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    person_id = await _enrol(hass, rekognition, photo, FACE_A, "Alice Example")
    rekognition.error("delete_user", "ServiceUnavailableException", status=503)
    receipt = await hass.services.async_call(
        DOMAIN,
        "remove_person",
        {"person_id": person_id},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    assert receipt["status"] == "pending_backend"
    assert receipt["faces_pending"] == [FACE_A]
    assert await hass.config_entries.async_unload(entry.entry_id)

    rekognition.credentials_ok()
    rekognition.collection_exists()
    rekognition.ok("delete_user", {}, {"CollectionId": COLLECTION, "UserId": person_id})
    rekognition.ok(
        "delete_faces",
        {"DeletedFaces": [FACE_A]},
        {"CollectionId": COLLECTION, "FaceIds": [FACE_A]},
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    rekognition.assert_done()
    assert hass_storage[STORAGE_KEY]["data"]["erasures"] == []
    assert ir.async_get(hass).async_get_issue(DOMAIN, erasure_issue_id(entry.entry_id)) is None


async def test_erasure_finds_the_store_that_enrolled_the_person(
    hass: HomeAssistant, rekognition: Rekognition, photo: str
) -> None:
    """Without a store named, every store is looked in: the one holding the person erases them
    (through its own backend client); an unknown id is refused."""
    first = store_entry(camera=None)
    await setup_store(hass, rekognition, first)
    await setup_store(hass, rekognition, _second_store(first))
    person_id = await _enrol(hass, rekognition, photo, FACE_A, "Alice Example", first.entry_id)
    rekognition.ok("delete_user", {}, {"CollectionId": COLLECTION, "UserId": person_id})
    rekognition.ok(
        "delete_faces",
        {"DeletedFaces": [FACE_A]},
        {"CollectionId": COLLECTION, "FaceIds": [FACE_A]},
    )
    receipt = await hass.services.async_call(
        DOMAIN,
        "remove_person",
        {"person_id": person_id},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    rekognition.assert_done()
    assert receipt["status"] == "complete"
    assert receipt["config_entry_id"] == first.entry_id
    assert receipt["faces_deleted"] == [FACE_A]
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "export_person_data",
            {"person_id": person_id},
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "person_not_found"


async def test_removing_the_store_drops_its_pending_erasures(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, hass_storage: dict[str, Any]
) -> None:
    """Nothing can reach a removed store's backend any more: its owed deletions and their
    repair issue go with it (the audit log keeps the pending receipt)."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    person_id = await _enrol(hass, rekognition, photo, FACE_A, "Alice Example")
    rekognition.error("delete_user", "ServiceUnavailableException", status=503)
    await hass.services.async_call(
        DOMAIN,
        "remove_person",
        {"person_id": person_id},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, erasure_issue_id(entry.entry_id)) is not None
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[STORAGE_KEY]["data"]["erasures"] == []
    assert issues.async_get_issue(DOMAIN, erasure_issue_id(entry.entry_id)) is None
    (row,) = await _audit(hass, AuditAction.REMOVE)
    assert (row.subject, row.details["status"]) == (person_id, "pending_backend")


async def test_subject_access_export_is_for_administrators(
    hass: HomeAssistant,
    rekognition: Rekognition,
    photo: str,
    hass_read_only_user: User,
) -> None:
    """Staff who are not administrators cannot write a person's archive (only administrators
    may download it); nothing is written and nothing logged as exported."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    person = await _enrol(hass, rekognition, photo, FACE_A, "Alice Example")
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "export_person_data",
            {"person_id": person},
            blocking=True,
            return_response=True,
            context=Context(user_id=hass_read_only_user.id),
        )
    assert not exports_dir(hass).exists()
    assert await _audit(hass, AuditAction.EXPORT) == []
