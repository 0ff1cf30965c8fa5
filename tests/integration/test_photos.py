"""Several photos per watchlist entry: add_photo, remove_photo, the quality gate, the copies kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.stub import ANY
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.smartshop.const import DOMAIN, EVENT_ENTRY_THRESHOLD_CHANGED
from custom_components.smartshop.database import audit_log
from custom_components.smartshop.people import Person
from custom_components.smartshop.snapshots import SnapshotKind

from .conftest import COLLECTION, Rekognition, setup_store, store_entry
from .helpers import as_admin
from .test_services import FACE_ID, _enrol, user_deleted

SECOND = "33333333-3333-3333-3333-333333333333"
ASTRONAUT_FACE = {"Left": 0.35, "Top": 0.12, "Width": 0.18, "Height": 0.22}  # 91 px of 512


@pytest.fixture
def photo(hass: HomeAssistant, tmp_path: Path, face_jpeg: bytes) -> str:
    """A photo in a directory Home Assistant may read."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    path = tmp_path / "photo.jpg"
    path.write_bytes(face_jpeg)
    return str(path)


def _detail(
    box: dict[str, float] = ASTRONAUT_FACE,
    *,
    sharpness: float = 97.5,
    yaw: float = -7.9,
    pitch: float = -6.3,
) -> dict[str, Any]:
    """A FaceDetail as DetectFaces gives it (the engine's figures for the astronaut photo)."""
    return {
        "BoundingBox": box,
        "Confidence": 93.1,
        "Pose": {"Roll": 0.9, "Yaw": yaw, "Pitch": pitch},
        "Quality": {"Brightness": 54.4, "Sharpness": sharpness},
    }


def _detect(rekognition: Rekognition, *details: dict[str, Any]) -> None:
    rekognition.ok(
        "detect_faces",
        {"FaceDetails": list(details)},
        {"Image": {"Bytes": ANY}, "Attributes": ["DEFAULT"]},
    )


def _index(rekognition: Rekognition, person_id: str, face_id: str = SECOND) -> None:
    rekognition.ok(
        "index_faces",
        {
            "FaceRecords": [
                {"Face": {"FaceId": face_id, "ExternalImageId": "x", "Confidence": 99.0}}
            ],
            "UnindexedFaces": [],
        },
        {
            "CollectionId": COLLECTION,
            "Image": {"Bytes": ANY},
            "ExternalImageId": person_id,
            "MaxFaces": 1,
            "QualityFilter": "AUTO",
            "DetectionAttributes": [],
        },
    )


async def _store_with_person(
    hass: HomeAssistant, rekognition: Rekognition, photo: str
) -> tuple[MockConfigEntry, Person]:
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    response = await _enrol(hass, rekognition, photo)
    person = entry.runtime_data.watchlists.store.get(response["person_id"])
    assert person is not None
    assert person.user_created
    return entry, person


async def _add_photo(hass: HomeAssistant, person_id: str, photo: str) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        "add_photo",
        {"person_id": person_id, "image_path": photo},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )


async def test_add_and_remove_photos(
    hass: HomeAssistant, rekognition: Rekognition, photo: str
) -> None:
    """A second photo joins the person's user; removing one disassociates then deletes it."""
    entry, person = await _store_with_person(hass, rekognition, photo)
    snapshots = entry.runtime_data.snapshots
    with pytest.raises(ServiceValidationError) as err:
        await _add_photo(hass, "nobody", photo)
    assert err.value.translation_key == "person_not_found"
    person.dismissal_threshold = 97.0
    _detect(rekognition, _detail())
    _index(rekognition, person.person_id)
    rekognition.ok(
        "associate_faces",
        {"AssociatedFaces": [{"FaceId": SECOND}], "UserStatus": "UPDATING"},
        {"CollectionId": COLLECTION, "UserId": person.person_id, "FaceIds": [SECOND]},
    )
    changes = async_capture_events(hass, EVENT_ENTRY_THRESHOLD_CHANGED)
    response = await _add_photo(hass, person.person_id, photo)
    rekognition.assert_done()
    assert response["face_id"] == SECOND
    assert [p["face_id"] for p in response["photos"]] == [FACE_ID, SECOND]
    assert person.face_ids == [FACE_ID, SECOND]
    assert person.dismissal_threshold is None  # a new photo, a new start, announced
    assert [(e.data["old_threshold"], e.data["new_threshold"]) for e in changes] == [(97.0, None)]
    for face_id in (FACE_ID, SECOND):
        assert await hass.async_add_executor_job(snapshots.load, SnapshotKind.PHOTO, face_id)

    listed = await hass.services.async_call(
        DOMAIN, "list_people", {}, blocking=True, return_response=True, context=await as_admin(hass)
    )
    (entry_listed,) = listed["people"]
    assert entry_listed["faces"] == 2
    assert entry_listed["photos"][1] == {
        "face_id": SECOND,
        "added_at": person.photo_time(SECOND).isoformat(),
    }
    assert "display_name" not in str(response)  # the action's answer carries no name

    # The enrolment photo goes: disassociated first (AWS keeps associated faces), then deleted.
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
    removed = await hass.services.async_call(
        DOMAIN,
        "remove_photo",
        {"person_id": person.person_id, "face_id": FACE_ID},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    rekognition.assert_done()
    assert [p["face_id"] for p in removed["photos"]] == [SECOND]
    assert await hass.async_add_executor_job(snapshots.load, SnapshotKind.PHOTO, FACE_ID) is None
    # The remaining photo is now the reference staff see.
    assert await hass.async_add_executor_job(
        snapshots.load, SnapshotKind.REFERENCE, person.person_id
    ) == await hass.async_add_executor_job(snapshots.load, SnapshotKind.PHOTO, SECOND)
    # Each photo added or removed, and the list shown, is audited: ids and counts only.
    await hass.async_block_till_done()
    log = {row.action: row for row in await hass.async_add_executor_job(audit_log(hass).entries)}
    assert (log["add_photo"].subject, log["add_photo"].details) == (
        person.person_id,
        {"face_id": SECOND, "photos": 2},
    )
    assert log["remove_photo"].details == {"face_id": FACE_ID, "photos": 1}
    assert log["list_people"].details == {"count": 1, "watchlist_id": None}
    assert log["threshold"].details["cause"] == "entry_updated"

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "remove_photo",
            {"person_id": person.person_id, "face_id": SECOND},
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "last_photo"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "remove_photo",
            {"person_id": person.person_id, "face_id": FACE_ID},
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "photo_not_found"

    # Removing the person deletes its user, then its faces, and every kept photo.
    user_deleted(rekognition, person.person_id)
    rekognition.ok(
        "delete_faces",
        {"DeletedFaces": [SECOND]},
        {"CollectionId": COLLECTION, "FaceIds": [SECOND]},
    )
    await hass.services.async_call(
        DOMAIN,
        "remove_person",
        {"person_id": person.person_id},
        blocking=True,
        context=await as_admin(hass),
    )
    rekognition.assert_done()
    assert await hass.async_add_executor_job(snapshots.load, SnapshotKind.PHOTO, SECOND) is None


@pytest.mark.parametrize(
    ("details", "key"),
    [
        ((), "no_face"),
        ((_detail(), _detail()), "multiple_faces"),
        (
            (_detail({"Left": 0.4, "Top": 0.2, "Width": 0.12, "Height": 0.15}),),
            "photo_face_too_small",
        ),
        ((_detail(sharpness=9.0),), "photo_blurred"),
        ((_detail(yaw=44.0),), "photo_turned_away"),
        ((_detail(pitch=-35.0),), "photo_turned_away"),
    ],
)
async def test_quality_gate(
    hass: HomeAssistant,
    rekognition: Rekognition,
    photo: str,
    details: tuple[dict[str, Any], ...],
    key: str,
) -> None:
    """A photo that is not one large, sharp face looking at the camera is refused, with why."""
    _entry, person = await _store_with_person(hass, rekognition, photo)
    _detect(rekognition, *details)
    with pytest.raises(ServiceValidationError) as err:
        await _add_photo(hass, person.person_id, photo)
    assert err.value.translation_key == key
    rekognition.assert_done()
    assert person.face_ids == [FACE_ID]


@pytest.mark.parametrize(
    ("reasons", "key"),
    [
        (["LOW_MATCH_CONFIDENCE"], "photo_not_same_person"),
        (["ASSOCIATED_TO_A_DIFFERENT_USER"], "photo_not_associated"),
    ],
)
async def test_photo_the_backend_will_not_associate(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, reasons: list[str], key: str
) -> None:
    """A photo the backend does not take into the person's user is deleted again."""
    _entry, person = await _store_with_person(hass, rekognition, photo)
    person.dismissal_threshold = 96.0
    _detect(rekognition, _detail())
    _index(rekognition, person.person_id)
    rekognition.ok(
        "associate_faces",
        {
            "AssociatedFaces": [],
            "UnsuccessfulFaceAssociations": [{"FaceId": SECOND, "Reasons": reasons}],
            "UserStatus": "ACTIVE",
        },
    )
    rekognition.ok(
        "delete_faces",
        {"DeletedFaces": [SECOND]},
        {"CollectionId": COLLECTION, "FaceIds": [SECOND]},
    )
    with pytest.raises(ServiceValidationError) as err:
        await _add_photo(hass, person.person_id, photo)
    assert err.value.translation_key == key
    rekognition.assert_done()
    assert person.face_ids == [FACE_ID]
    assert person.dismissal_threshold == 96.0


async def test_add_photo_to_an_entry_not_yet_a_user(
    hass: HomeAssistant, rekognition: Rekognition, photo: str
) -> None:
    """An entry whose user could not be made is made one first; if the backend still cannot,
    the photo is added as a face (found by face search) and the user is made later."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    rekognition.detect((0.3, 0.1, 0.3, 0.4))
    _index(rekognition, ANY, FACE_ID)
    rekognition.error("create_user", "ThrottlingException")
    response = await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        {
            "watchlist": "Theft",
            "name": "Sam",
            "reason": "Shoplifting",
            "incident_reference": "INC-1",
            "added_by": "Manager Sam",
            "image_path": photo,
            "justification": "repeat_offender",
            "attest_adult": True,
            "attest_not_vulnerable": True,
        },
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    person = entry.runtime_data.watchlists.store.get(response["person_id"])
    assert person is not None
    assert not person.user_created
    assert not entry.runtime_data.watchlists.search_by_user

    rekognition.error("create_user", "ThrottlingException")
    _detect(rekognition, _detail())
    _index(rekognition, person.person_id)
    await _add_photo(hass, person.person_id, photo)
    rekognition.assert_done()
    assert person.face_ids == [FACE_ID, SECOND]
    assert not person.user_created

    # Removing a photo of an entry that is not a user deletes the face only.
    rekognition.ok(
        "delete_faces",
        {"DeletedFaces": [SECOND]},
        {"CollectionId": COLLECTION, "FaceIds": [SECOND]},
    )
    await hass.services.async_call(
        DOMAIN,
        "remove_photo",
        {"person_id": person.person_id, "face_id": SECOND},
        blocking=True,
        context=await as_admin(hass),
    )
    rekognition.assert_done()

    # Removing it tries the user anyway (there may be one); a refusal is not an error.
    rekognition.error("delete_user", "ThrottlingException")
    rekognition.ok(
        "delete_faces",
        {"DeletedFaces": [FACE_ID]},
        {"CollectionId": COLLECTION, "FaceIds": [FACE_ID]},
    )
    await hass.services.async_call(
        DOMAIN,
        "remove_person",
        {"person_id": person.person_id},
        blocking=True,
        context=await as_admin(hass),
    )
    rekognition.assert_done()


async def test_add_photo_refused_while_recognition_off(
    hass: HomeAssistant, rekognition: Rekognition, photo: str
) -> None:
    """No photo is processed before the owner's confirmations."""
    entry = store_entry(confirmed=False, camera=None)
    await setup_store(hass, rekognition, entry)
    with pytest.raises(ServiceValidationError) as err:
        await _add_photo(hass, "no-such-person", photo)
    assert err.value.translation_key == "recognition_disabled"
