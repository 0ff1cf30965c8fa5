"""Re-embedding a store's watchlists from the kept photos (after an engine upgrade)."""

from __future__ import annotations

from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.smartshop.audit import AuditAction
from custom_components.smartshop.const import DOMAIN
from custom_components.smartshop.database import audit_log
from custom_components.smartshop.reembed import EVENT_REEMBED_PROGRESS
from custom_components.smartshop.snapshots import SnapshotKind

from .conftest import COLLECTION, Rekognition
from .helpers import as_admin
from .test_photos import SECOND, _detail, _detect, _index, _store_with_person
from .test_services import FACE_ID


@pytest.fixture
def photo(hass: HomeAssistant, tmp_path: Path, face_jpeg: bytes) -> str:
    """An enrolment photo in a directory Home Assistant may read."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    path = tmp_path / "photo.jpg"
    path.write_bytes(face_jpeg)
    return str(path)


async def _reembed(hass: HomeAssistant, **data: str) -> dict:
    return await hass.services.async_call(
        DOMAIN,
        "reembed_watchlist",
        data,
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )


async def test_reembed_replaces_each_face_keeping_the_person_findable(
    hass: HomeAssistant, rekognition: Rekognition, photo: str
) -> None:
    """The new face joins the user before the old one leaves it; the kept photo moves to the
    new face id and keeps its time; progress is announced and the run audit-logged."""
    entry, person = await _store_with_person(hass, rekognition, photo)
    snapshots = entry.runtime_data.snapshots
    kept = await hass.async_add_executor_job(snapshots.load, SnapshotKind.PHOTO, FACE_ID)
    assert kept is not None
    added_at = person.photo_time(FACE_ID)
    _detect(rekognition, _detail())
    _index(rekognition, person.person_id)
    rekognition.ok(
        "associate_faces",
        {"AssociatedFaces": [{"FaceId": SECOND}], "UserStatus": "UPDATING"},
        {"CollectionId": COLLECTION, "UserId": person.person_id, "FaceIds": [SECOND]},
    )
    rekognition.ok(
        "disassociate_faces",
        {"DisassociatedFaces": [{"FaceId": FACE_ID}], "UserStatus": "UPDATING"},
        {"CollectionId": COLLECTION, "UserId": person.person_id, "FaceIds": [FACE_ID]},
    )
    rekognition.ok(
        "delete_faces",
        {"DeletedFaces": [FACE_ID]},
        {"CollectionId": COLLECTION, "FaceIds": [FACE_ID]},
    )
    progress = async_capture_events(hass, EVENT_REEMBED_PROGRESS)
    result = await _reembed(hass, watchlist="theft")
    rekognition.assert_done()
    assert result == {
        "people": 1,
        "faces_reembedded": 1,
        "faces_without_photo": 0,
        "faces_failed": 0,
    }
    assert person.face_ids == [SECOND]
    assert person.photo_time(SECOND) == added_at
    assert entry.runtime_data.watchlists.store.get(person.person_id).face_ids == [SECOND]
    assert await hass.async_add_executor_job(snapshots.load, SnapshotKind.PHOTO, SECOND) == kept
    assert await hass.async_add_executor_job(snapshots.load, SnapshotKind.PHOTO, FACE_ID) is None
    assert [(e.data["done"], e.data["total"]) for e in progress] == [(1, 1)]
    (row,) = [
        e
        for e in await hass.async_add_executor_job(audit_log(hass).entries)
        if e.action == AuditAction.REEMBED
    ]
    assert row.details["faces_reembedded"] == 1
    assert row.store_id == entry.entry_id


async def test_a_refused_face_keeps_the_old_one(
    hass: HomeAssistant, rekognition: Rekognition, photo: str
) -> None:
    """The backend refuses the new face for the user: it is deleted again, the old face stays,
    and a face with no kept photo is counted and left alone."""
    entry, person = await _store_with_person(hass, rekognition, photo)
    snapshots = entry.runtime_data.snapshots
    _detect(rekognition, _detail())
    _index(rekognition, person.person_id)
    rekognition.error("associate_faces", "InvalidParameterException", "not similar enough")
    rekognition.ok(
        "delete_faces",
        {"DeletedFaces": [SECOND]},
        {"CollectionId": COLLECTION, "FaceIds": [SECOND]},
    )
    result = await _reembed(hass)
    rekognition.assert_done()
    assert result["faces_failed"] == 1
    assert person.face_ids == [FACE_ID]
    assert await hass.async_add_executor_job(snapshots.load, SnapshotKind.PHOTO, FACE_ID)

    # Without any kept photo there is nothing to index again.
    await hass.async_add_executor_job(snapshots.delete, SnapshotKind.PHOTO, FACE_ID)
    await hass.async_add_executor_job(snapshots.delete, SnapshotKind.REFERENCE, person.person_id)
    result = await _reembed(hass)
    rekognition.assert_done()
    assert result["faces_without_photo"] == 1
    assert person.face_ids == [FACE_ID]

    with pytest.raises(ServiceValidationError) as err:
        await _reembed(hass, watchlist="no such list")
    assert err.value.translation_key == "watchlist_not_found"
