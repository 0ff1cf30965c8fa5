"""Footage actions against the TLS fake bridge: list a bridge camera's recorded frames around a
moment, and enrol the face staff pick from one, through enroll_person's own path."""

from __future__ import annotations

from datetime import UTC, datetime

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartshop.const import (
    DOMAIN,
)
from custom_components.smartshop.footage_actions import (
    ATTR_CAMERA,
    ATTR_TIMESTAMP,
    IMAGE_SOURCES,
    enroll_from_footage_schema,
)
from custom_components.smartshop.services import ENROLL_SCHEMA
from custom_components.smartshop.snapshots import SnapshotKind

from .conftest import (
    BRIDGE_ID,
    FakeBridge,
    Rekognition,
    bridge_store_entry,
    setup_store,
    theft_watchlist,
)
from .helpers import as_admin
from .test_services import FACE_ID, expect_enrolment

CAMERA_ID = "door"
MOMENT = 1_764_000_000.0  # 2025-11-24 16:00:00 UTC


def _store(bridge: FakeBridge) -> MockConfigEntry:
    return bridge_store_entry(bridge, "aws", subentries_data=[theft_watchlist()])


@pytest.fixture
async def store(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge, face_jpeg: bytes
) -> MockConfigEntry:
    """A store with the fake bridge's camera ``door``, which recorded three frames."""
    fake_bridge.cameras = [
        {"id": CAMERA_ID, "name": "Door", "location": "Entrance", "connected": True}
    ]
    fake_bridge.footage[CAMERA_ID] = {
        MOMENT - 40: face_jpeg,
        MOMENT - 1.5: face_jpeg,
        MOMENT + 2.25: face_jpeg,
    }
    entry = _store(fake_bridge)
    await setup_store(hass, rekognition, entry)
    return entry


def _camera(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "camera", DOMAIN, f"{entry.entry_id}_{BRIDGE_ID}_{CAMERA_ID}"
    )
    assert entity_id is not None
    return entity_id


def _enrol_fields(**extra: object) -> dict[str, object]:
    return {
        "watchlist": "theft",
        "name": "Till snatcher",
        "reason": "Took the float from till 2",
        "incident_reference": "CRN 01/99999/26",
        "added_by": "Manager Sam",
        "justification": "repeat_offender",
        "attest_adult": True,
        "attest_not_vulnerable": True,
    } | extra


async def test_list_footage_around_a_moment(hass: HomeAssistant, store: MockConfigEntry) -> None:
    camera = _camera(hass, store)
    moment = dt_util.as_local(datetime.fromtimestamp(MOMENT, UTC))
    response = await hass.services.async_call(
        DOMAIN,
        "list_footage",
        {ATTR_CAMERA: camera, "time": moment.isoformat(), "span": 10},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    assert response is not None
    assert response["timestamps"] == [MOMENT - 1.5, MOMENT + 2.25]
    assert (
        response["frames"][0]["time"]
        == dt_util.as_local(datetime.fromtimestamp(MOMENT - 1.5, UTC)).isoformat()
    )
    assert response[ATTR_CAMERA] == camera

    wider = await hass.services.async_call(
        DOMAIN,
        "list_footage",
        {ATTR_CAMERA: camera, "time": moment.isoformat(), "span": 60},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    assert wider is not None
    assert len(wider["timestamps"]) == 3  # type: ignore[arg-type]


async def test_a_time_without_zone_is_local_time(
    hass: HomeAssistant, store: MockConfigEntry
) -> None:
    moment = dt_util.as_local(datetime.fromtimestamp(MOMENT, UTC)).replace(tzinfo=None)
    response = await hass.services.async_call(
        DOMAIN,
        "list_footage",
        {ATTR_CAMERA: _camera(hass, store), "time": moment.isoformat(), "span": 1},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    assert response is not None
    assert response["timestamps"] == []
    assert dt_util.parse_datetime(str(response["time"])) == datetime.fromtimestamp(MOMENT, UTC)


async def test_enrol_from_a_recorded_frame(
    hass: HomeAssistant, rekognition: Rekognition, store: MockConfigEntry, face_jpeg: bytes
) -> None:
    expect_enrolment(rekognition)
    response = await hass.services.async_call(
        DOMAIN,
        "enroll_from_footage",
        _enrol_fields(**{ATTR_CAMERA: _camera(hass, store), ATTR_TIMESTAMP: MOMENT + 2.25}),
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    rekognition.assert_done()
    assert response is not None
    assert response["face_ids"] == [FACE_ID]
    assert response["watchlist"] == "Theft"
    assert response[ATTR_TIMESTAMP] == MOMENT + 2.25
    person = store.runtime_data.watchlists.store.get(str(response["person_id"]))
    assert person is not None
    assert person.reason == "Took the float from till 2"
    assert person.added_by == "Manager Sam"
    reference = await hass.async_add_executor_job(
        store.runtime_data.snapshots.load, SnapshotKind.REFERENCE, person.person_id
    )
    assert reference is not None


async def test_enrolment_metadata_is_checked_before_the_frame_is_fetched(
    hass: HomeAssistant, rekognition: Rekognition, store: MockConfigEntry, fake_bridge: FakeBridge
) -> None:
    fake_bridge.footage[CAMERA_ID].clear()  # a fetch would fail with "frame not found"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "enroll_from_footage",
            _enrol_fields(
                reason="  ", **{ATTR_CAMERA: _camera(hass, store), ATTR_TIMESTAMP: MOMENT}
            ),
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "missing_field"
    rekognition.assert_done()


async def test_the_same_fields_as_enroll_person(hass: HomeAssistant) -> None:
    """enroll_person's schema, with the footage frame in place of its photo source."""
    enrol = {str(key) for key in ENROLL_SCHEMA.schema}
    footage = {str(key) for key in enroll_from_footage_schema(ENROLL_SCHEMA).schema}
    assert footage == (enrol - IMAGE_SOURCES) | {ATTR_CAMERA, ATTR_TIMESTAMP}
    required = {str(key) for key in ENROLL_SCHEMA.schema if type(key).__name__ == "Required"}
    assert required <= footage


async def test_a_frame_that_is_gone(
    hass: HomeAssistant, rekognition: Rekognition, store: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "enroll_from_footage",
            _enrol_fields(**{ATTR_CAMERA: _camera(hass, store), ATTR_TIMESTAMP: MOMENT + 7}),
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "footage_frame_not_found"
    assert store.runtime_data.watchlists.store.count() == 0
    rekognition.assert_done()


async def test_footage_off_on_the_bridge(
    hass: HomeAssistant, store: MockConfigEntry, fake_bridge: FakeBridge
) -> None:
    del fake_bridge.footage[CAMERA_ID]
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "list_footage",
            {ATTR_CAMERA: _camera(hass, store)},
            blocking=True,
            return_response=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "footage_off"


async def test_bridge_errors_are_action_errors(
    hass: HomeAssistant, store: MockConfigEntry, fake_bridge: FakeBridge
) -> None:
    fake_bridge.tokens.clear()  # the bridge no longer knows this client
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "list_footage",
            {ATTR_CAMERA: _camera(hass, store)},
            blocking=True,
            return_response=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "footage_failed"


async def test_only_bridge_cameras_have_footage(
    hass: HomeAssistant, store: MockConfigEntry
) -> None:
    registry = er.async_get(hass)
    other = registry.async_get_or_create("camera", "demo", "lobby")
    for entity_id in (other.entity_id, "camera.nowhere"):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN,
                "list_footage",
                {ATTR_CAMERA: entity_id},
                blocking=True,
                return_response=True,
                context=await as_admin(hass),
            )
        assert err.value.translation_key == "not_a_bridge_camera"


async def test_the_camera_decides_the_store(
    hass: HomeAssistant, rekognition: Rekognition, store: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "enroll_from_footage",
            _enrol_fields(
                config_entry_id="another-store",
                **{ATTR_CAMERA: _camera(hass, store), ATTR_TIMESTAMP: MOMENT},
            ),
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "camera_of_another_store"
    rekognition.assert_done()


async def test_a_bridge_error_while_fetching_the_frame(
    hass: HomeAssistant, rekognition: Rekognition, store: MockConfigEntry, fake_bridge: FakeBridge
) -> None:
    camera = _camera(hass, store)
    fake_bridge.tokens.clear()
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "enroll_from_footage",
            _enrol_fields(**{ATTR_CAMERA: camera, ATTR_TIMESTAMP: MOMENT + 2.25}),
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "footage_failed"
    assert store.runtime_data.watchlists.store.count() == 0
    rekognition.assert_done()


async def test_a_camera_the_bridge_no_longer_has_or_an_unloaded_store(
    hass: HomeAssistant, store: MockConfigEntry
) -> None:
    gone = er.async_get(hass).async_get_or_create(
        "camera", DOMAIN, f"{store.entry_id}_{BRIDGE_ID}_attic", config_entry=store
    )
    camera = _camera(hass, store)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "list_footage",
            {ATTR_CAMERA: gone.entity_id},
            blocking=True,
            return_response=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "not_a_bridge_camera"
    await hass.config_entries.async_unload(store.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "list_footage",
            {ATTR_CAMERA: camera},
            blocking=True,
            return_response=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "not_a_bridge_camera"
