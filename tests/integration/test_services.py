"""Watchlist actions: enrol, update, remove, list, and the expiry purge."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch
import uuid

from botocore.stub import ANY
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.smartshop.const import DOMAIN
from custom_components.smartshop.database import async_record_export, audit_log
from custom_components.smartshop.export_records import ExportKind
from custom_components.smartshop.exports import exports_dir, write_export
from custom_components.smartshop.recognition import RecognitionClient
from custom_components.smartshop.watchlist import NewEntry

from .conftest import COLLECTION, Rekognition, setup_store, store_entry
from .helpers import ADMIN_NAME, as_admin

FACE_ID = "11111111-1111-1111-1111-111111111111"
ONE_FACE = (0.3, 0.1, 0.3, 0.4)


@pytest.fixture
def photo(hass: HomeAssistant, tmp_path: Path, face_jpeg: bytes) -> str:
    """An enrolment photo in a directory Home Assistant may read."""
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    path = tmp_path / "photo.jpg"
    path.write_bytes(face_jpeg)
    return str(path)


def _enrol_data(photo: str, **extra: object) -> dict[str, object]:
    return {
        "watchlist": "theft",
        "name": 'Zoë O\'Brien "Zed"',
        "reason": "Took two bottles of whisky",
        "incident_reference": "CRN 01/23456/26",
        "added_by": "Manager Sam",
        "image_path": photo,
        "justification": "repeat_offender",
        "attest_adult": True,
        "attest_not_vulnerable": True,
    } | extra


async def _enrol(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, **extra: object
) -> dict:
    expect_enrolment(rekognition)
    return await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        _enrol_data(photo, **extra),
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )


def expect_enrolment(rekognition: Rekognition, *, user: bool = True) -> None:
    """What the backend sees when one person is enrolled: detect, index, the user made."""
    rekognition.detect(ONE_FACE)
    rekognition.stub.add_response(
        "index_faces",
        {
            "FaceRecords": [
                {
                    "Face": {"FaceId": FACE_ID, "ExternalImageId": "x", "Confidence": 99.0},
                    "FaceDetail": {},
                }
            ],
            "UnindexedFaces": [],
        },
        {
            "CollectionId": COLLECTION,
            "Image": {"Bytes": ANY},
            "ExternalImageId": ANY,
            "MaxFaces": 1,
            "QualityFilter": "AUTO",
            "DetectionAttributes": [],
        },
    )
    if user:
        user_made(rekognition)


def user_made(rekognition: Rekognition, face_ids: tuple[str, ...] = (FACE_ID,)) -> None:
    """The person's user is created and their face(s) associated with it."""
    rekognition.ok("create_user", {}, {"CollectionId": COLLECTION, "UserId": ANY})
    rekognition.ok(
        "associate_faces",
        {"AssociatedFaces": [{"FaceId": face} for face in face_ids], "UserStatus": "ACTIVE"},
        {"CollectionId": COLLECTION, "UserId": ANY, "FaceIds": list(face_ids)},
    )


def user_deleted(rekognition: Rekognition, person_id: str) -> None:
    """The person's user is deleted (AWS disassociates its faces)."""
    rekognition.ok("delete_user", {}, {"CollectionId": COLLECTION, "UserId": person_id})


async def test_enrolment_across_a_reload_reaches_the_reloaded_store(
    hass: HomeAssistant, rekognition: Rekognition, photo: str
) -> None:
    """A reload (e.g. the bridge's camera list changed) while an enrolment is still making the
    user: the reloaded store knows the person and searches per person once the user exists,
    without another reload (it once kept searching by face until the next one)."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    making_user = asyncio.Event()
    release = asyncio.Event()

    async def slow_create_user(_client: object, _collection: str, _user: str) -> bool:
        """The enrolment's call waits; the reload's own retry for the pending entry does not."""
        if making_user.is_set():
            return False
        making_user.set()
        await release.wait()
        return True

    async def associate(_client: object, _collection: str, _user: str, _faces: list[str]) -> None:
        return None

    expect_enrolment(rekognition, user=False)
    with (
        patch.object(RecognitionClient, "create_user", slow_create_user),
        patch.object(RecognitionClient, "associate_faces", associate),
    ):
        enrolment = hass.async_create_task(
            hass.services.async_call(
                DOMAIN,
                "enroll_person",
                _enrol_data(photo),
                blocking=True,
                return_response=True,
                context=await as_admin(hass),
            )
        )
        # The enrolment reaches the user (or fails, and the test says why).
        await asyncio.wait(
            [enrolment, hass.async_create_task(making_user.wait())],
            return_when=asyncio.FIRST_COMPLETED,
        )
        assert not enrolment.done(), enrolment.exception()
        rekognition.credentials_ok()
        rekognition.collection_exists()
        assert await hass.config_entries.async_reload(entry.entry_id)
        reloaded = entry.runtime_data.watchlists
        release.set()
        response = await enrolment
    rekognition.assert_done()
    person = reloaded.store.get(response["person_id"])
    assert person is not None
    assert person.user_created
    assert reloaded.search_by_user


async def test_enrol_list_update_remove(
    hass: HomeAssistant, rekognition: Rekognition, photo: str
) -> None:
    """The full life of an entry; the backend only ever sees a UUID."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    response = await _enrol(hass, rekognition, photo)
    person_id = response["person_id"]
    assert uuid.UUID(person_id)
    assert response["face_ids"] == [FACE_ID]
    assert response["watchlist"] == "Theft"
    rekognition.assert_done()

    listed = await hass.services.async_call(
        DOMAIN,
        "list_people",
        {"watchlist": "Theft"},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    (person,) = listed["people"]
    assert person["display_name"] == 'Zoë O\'Brien "Zed"'
    assert person["category"] == "theft"
    assert person["faces"] == 1
    assert person["photos"] == [{"face_id": FACE_ID, "added_at": person["added_at"]}]
    assert "user_created" not in person
    assert (person["status"], person["justification"]) == ("active", "repeat_offender")
    assert person["attest_adult"] is person["attest_not_vulnerable"] is True
    assert "enrolled_by_user_id" not in person
    expires = dt_util.parse_datetime(person["expires_at"])
    assert timedelta(days=364) < expires - dt_util.utcnow() <= timedelta(days=365)

    new_expiry = (dt_util.now() + timedelta(days=30)).date()
    updated = await hass.services.async_call(
        DOMAIN,
        "update_person",
        {"person_id": person_id, "expires": new_expiry.isoformat(), "category": "banned"},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    assert updated["person"]["category"] == "banned"
    assert updated["person"]["review_at"] == updated["person"]["expires_at"]
    # Enrolment and update are audited: ids, the justification, counts and field names only.
    log = {row.action: row for row in await hass.async_add_executor_job(audit_log(hass).entries)}
    assert (log["enrol"].subject, log["enrol"].details) == (
        person_id,
        {
            "watchlist_id": entry.runtime_data.watchlists.store.get(person_id).watchlist_id,
            "category": "theft",
            "justification": "repeat_offender",
            "photos": 1,
            "approval_required": False,
        },
    )
    assert log["update"].details == {"fields": ["category", "expires_at", "review_at"]}
    assert log["list_people"].details["count"] == 1
    assert "Zoë" not in str(log)
    assert "whisky" not in str(log)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "update_person",
            {"person_id": person_id, "review_date": "2001-01-01"},
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "review_in_past"

    user_deleted(rekognition, person_id)
    rekognition.ok(
        "delete_faces",
        {"DeletedFaces": [FACE_ID]},
        {"CollectionId": COLLECTION, "FaceIds": [FACE_ID]},
    )
    receipt = await hass.services.async_call(
        DOMAIN,
        "remove_person",
        {"person_id": person_id},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    assert receipt["faces_deleted"] == [FACE_ID]
    listed = await hass.services.async_call(
        DOMAIN, "list_people", {}, blocking=True, return_response=True, context=await as_admin(hass)
    )
    assert listed["people"] == []
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "remove_person",
            {"person_id": person_id},
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "person_not_found"


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"reason": "   "}, "missing_field"),
        ({"incident_reference": ""}, "missing_field"),
        ({"expires": "2001-01-01"}, "expiry_in_past"),
        ({"expires": "2100-01-01"}, "expiry_too_far"),
        ({"review_date": "2100-01-01"}, "review_after_expiry"),
        ({"watchlist": "nope"}, "watchlist_not_found"),
        ({"image_path": "/etc/passwd"}, "path_not_allowed"),
        ({"image_path": "relative/../photo.jpg"}, "path_not_allowed"),
    ],
)
async def test_enrol_refused(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, extra: dict, key: str
) -> None:
    """Missing metadata, impossible dates and unreadable sources are refused before any call."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "enroll_person",
            _enrol_data(photo, **extra),
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == key
    rekognition.assert_done()
    assert entry.runtime_data.watchlists.store.count() == 0


async def test_enrol_needs_a_source_and_an_author(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, tmp_path: Path
) -> None:
    """No image, a missing file, or an author other than the signed-in user: each has its own
    error; an automation may not enrol."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    data = _enrol_data(photo)
    data.pop("image_path")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "enroll_person", data, blocking=True, context=await as_admin(hass)
        )
    assert err.value.translation_key == "image_source_required"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "enroll_person",
            _enrol_data(str(tmp_path / "missing.jpg")),
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "file_not_found"
    # The author is the signed-in user: naming somebody else is refused...
    data = _enrol_data(photo) | {"added_by": "Somebody Else"}
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "enroll_person", data, blocking=True, context=await as_admin(hass)
        )
    assert err.value.translation_key == "name_from_login"
    assert err.value.translation_placeholders == {"field": "added_by", "name": ADMIN_NAME}
    # ...and a call with no user (an automation) may not enrol at all.
    with pytest.raises(Unauthorized):
        await hass.services.async_call(DOMAIN, "enroll_person", _enrol_data(photo), blocking=True)


async def test_enrol_uses_signed_in_user(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, hass_admin_user
) -> None:
    """Without added_by, the signed-in user is recorded as the author."""
    from homeassistant.core import Context

    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    data = _enrol_data(photo)
    data.pop("added_by")
    rekognition.detect(ONE_FACE)
    rekognition.index()
    user_made(rekognition)
    response = await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        data,
        blocking=True,
        return_response=True,
        context=Context(user_id=hass_admin_user.id),
    )
    person = entry.runtime_data.watchlists.store.get(response["person_id"])
    assert person.added_by == hass_admin_user.name


@pytest.mark.parametrize(
    ("faces", "key"),
    [((), "no_face"), ((ONE_FACE, (0.6, 0.1, 0.2, 0.3)), "multiple_faces")],
)
async def test_enrol_needs_exactly_one_face(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, faces: tuple, key: str
) -> None:
    """0 or more than 1 face is refused, and nothing is indexed or stored."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    rekognition.detect(*faces)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "enroll_person", _enrol_data(photo), blocking=True, context=await as_admin(hass)
        )
    assert err.value.translation_key == key
    rekognition.assert_done()
    assert entry.runtime_data.watchlists.store.count() == 0


async def test_enrol_bad_image_and_backend_errors(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, tmp_path: Path
) -> None:
    """A file that is not an image, or a backend that fails, gives a clear error and stores nothing."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    html = tmp_path / "photo.html"
    html.write_text("<html>not a photo</html>")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "enroll_person",
            _enrol_data(str(html)),
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "invalid_image"

    for code, key in (
        ("AccessDeniedException", "access_denied"),
        ("UnrecognizedClientException", "invalid_auth"),
        ("ServiceUnavailableException", "cannot_connect"),
        ("ResourceNotFoundException", "backend_error"),
    ):
        rekognition.detect(ONE_FACE)
        rekognition.error("index_faces", code, "not authorized to perform: rekognition:IndexFaces")
        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(
                DOMAIN,
                "enroll_person",
                _enrol_data(photo),
                blocking=True,
                context=await as_admin(hass),
            )
        assert err.value.translation_key == key
    assert entry.runtime_data.watchlists.store.count() == 0


async def test_enrol_from_camera(
    hass: HomeAssistant, rekognition: Rekognition, still_camera
) -> None:
    """A snapshot from a Home Assistant camera can be the enrolment photo."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    rekognition.detect(ONE_FACE)
    rekognition.index()
    user_made(rekognition)
    data = _enrol_data("") | {"camera_entity_id": "camera.front_door"}
    data.pop("image_path")
    response = await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        data,
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    assert entry.runtime_data.watchlists.store.get(response["person_id"]) is not None
    data["camera_entity_id"] = "camera.missing"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "enroll_person", data, blocking=True, context=await as_admin(hass)
        )
    assert err.value.translation_key == "camera_unavailable"


async def test_enrol_refused_while_recognition_off(
    hass: HomeAssistant, rekognition: Rekognition, photo: str
) -> None:
    """No biometric processing before the owner's confirmations."""
    entry = store_entry(confirmed=False, camera=None)
    await setup_store(hass, rekognition, entry)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "enroll_person", _enrol_data(photo), blocking=True, context=await as_admin(hass)
        )
    assert err.value.translation_key == "recognition_disabled"


async def test_expired_entry_purged(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, freezer: FrozenDateTimeFactory
) -> None:
    """An entry 1 s past its expiry is removed (faces deleted) by the next daily purge, and
    the exports made about it with it."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    # Put in directly: with the clock frozen, the store's rate limiter would never refill.
    manager = entry.runtime_data.watchlists
    now = dt_util.utcnow()
    person = manager.build_person(
        manager.watchlists[next(iter(manager.watchlists))],
        NewEntry(
            display_name="Sam",
            reason="Shoplifting",
            incident_reference="INC-1",
            added_by="Manager",
            expires_at=now + timedelta(days=2),
            review_at=now + timedelta(days=1),
        ),
        now,
    )
    person.face_ids.append(FACE_ID)
    person.user_created = True
    manager.store.put(person)
    # An archive made for the person and a file about nobody in the exports folder.
    folder = exports_dir(hass)
    archive = "subject-access-sam.zip"
    await async_record_export(hass, archive, person.person_id, ExportKind.SUBJECT_ACCESS)
    await hass.async_add_executor_job(write_export, folder, archive, b"PK Sam's archive")
    await hass.async_add_executor_job(write_export, folder, "report-week.pdf", b"%PDF")
    freezer.move_to(person.expires_at + timedelta(seconds=1))
    user_deleted(rekognition, person.person_id)
    rekognition.ok(
        "delete_faces",
        {"DeletedFaces": [FACE_ID]},
        {"CollectionId": COLLECTION, "FaceIds": [FACE_ID]},
    )
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(days=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    rekognition.assert_done()
    assert entry.runtime_data.watchlists.store.get(person.person_id) is None
    # The system acted: one audit row per removed entry, then the purge's counts.
    log = await hass.async_add_executor_job(audit_log(hass).entries)
    (expired,) = [row for row in log if row.action == "expire"]
    assert (expired.actor, expired.subject) == ("system", person.person_id)
    assert expired.details == {
        "watchlist_id": person.watchlist_id,
        "exports_deleted": [archive],
        "exports_not_deleted": [],
    }
    assert sorted(path.name for path in folder.iterdir()) == ["report-week.pdf"]
    purges = [row for row in log if row.action == "purge"]
    assert len(purges) == 2  # at set-up, and the daily one
    assert purges[-1].seq > expired.seq
    state = hass.states.get("sensor.high_street_last_privacy_purge")
    assert state is not None
    assert dt_util.parse_datetime(state.state) == dt_util.utcnow().replace(microsecond=0)


async def test_entries_survive_restart(
    hass: HomeAssistant, rekognition: Rekognition, photo: str
) -> None:
    """Entries are written to storage and read back by a reload."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    response = await _enrol(hass, rekognition, photo)
    rekognition.credentials_ok()
    rekognition.collection_exists()
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    person = entry.runtime_data.watchlists.store.get(response["person_id"])
    assert person is not None
    assert person.display_name == 'Zoë O\'Brien "Zed"'
    assert person.face_ids == [FACE_ID]
