"""The sighting service: one road from a seen face to an alert, whatever the entities do."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import patch

from botocore.stub import ANY
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartshop.const import (
    DOMAIN,
    EVENT_MATCH,
)
from custom_components.smartshop.database import DATA_INCIDENTS
from custom_components.smartshop.incidents import IncidentStore
from custom_components.smartshop.recognition import CertificateMismatchError

from .conftest import (
    BRIDGE_ID,
    COLLECTION,
    FakeBridge,
    Rekognition,
    bridge_store_entry,
    setup_store,
    store_entry,
    theft_watchlist,
)
from .helpers import as_admin
from .test_image_processing import ONE_FACE, _person, _scan

# Failure guard for a message crossing a loopback WebSocket; never what a test measures.
GUARD_S = 30.0
CAMERA_ID = "door"


def _bridge_store(bridge: FakeBridge) -> MockConfigEntry:
    """A store on AWS with the fake bridge's cameras and one watchlist."""
    return bridge_store_entry(bridge, "aws", subentries_data=[theft_watchlist()])


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(GUARD_S):
        while not condition():  # noqa: ASYNC110 - the change arrives over a socket
            await asyncio.sleep(0.05)


async def test_disabled_face_watch_does_not_turn_recognition_off(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge, face_jpeg: bytes
) -> None:
    """The owner disabled a bridge camera's face watch entity: a face event on that camera is
    still searched, recorded as an incident and announced."""
    fake_bridge.cameras = [
        {"id": CAMERA_ID, "name": "Door", "location": "Entrance", "connected": True}
    ]
    entry = _bridge_store(fake_bridge)
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    face_watch = registry.async_get_or_create(
        "image_processing",
        DOMAIN,
        f"{entry.entry_id}_{BRIDGE_ID}_{CAMERA_ID}",
        config_entry=entry,
        disabled_by=er.RegistryEntryDisabler.USER,
    )
    await setup_store(hass, rekognition, entry)
    assert hass.states.get(face_watch.entity_id) is None
    bridge = entry.runtime_data.bridge
    assert bridge is not None
    await _until(lambda: bridge.connected and fake_bridge.streaming)
    person = _person(entry)
    matches: list[Event[dict[str, Any]]] = []
    hass.bus.async_listen(EVENT_MATCH, matches.append)

    rekognition.search([(person.person_id, 99.0)])
    await fake_bridge.send_face(CAMERA_ID, face_jpeg, "event-1")
    await _until(lambda: bool(matches))
    await hass.async_block_till_done()

    rekognition.assert_done()
    data = matches[0].data
    assert data["person_id"] == person.person_id
    assert data["camera"] == f"{BRIDGE_ID}/{CAMERA_ID}"
    assert data["location"] == "Entrance"
    assert data["entity_id"] == face_watch.entity_id
    incidents = await hass.async_add_executor_job(entry.runtime_data.incidents.query)
    assert [(i.person_id, i.camera) for i in incidents] == [
        (person.person_id, f"{BRIDGE_ID}/{CAMERA_ID}")
    ]


async def test_face_event_of_unknown_camera_is_dropped(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge, face_jpeg: bytes
) -> None:
    """A face from a camera the store does not know (yet) is not searched."""
    entry = _bridge_store(fake_bridge)
    await setup_store(hass, rekognition, entry)
    bridge = entry.runtime_data.bridge
    assert bridge is not None
    await _until(lambda: bridge.connected and fake_bridge.streaming)
    await fake_bridge.send_face("attic", face_jpeg, "event-2")
    await _until(lambda: bridge.seconds_since_event is not None)
    await hass.async_block_till_done()
    assert entry.runtime_data.client.calls["SearchFacesByImage"] == 0
    rekognition.assert_done()


async def test_engine_certificate_change_during_a_search(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge, face_jpeg: bytes
) -> None:
    """The bridge's engine shows another certificate when a face is searched: searching stops,
    the certificate repair issue is raised and re-pairing is asked for."""
    fake_bridge.cameras = [
        {"id": CAMERA_ID, "name": "Door", "location": "Entrance", "connected": True}
    ]
    entry = _bridge_store(fake_bridge)
    await setup_store(hass, rekognition, entry)
    bridge = entry.runtime_data.bridge
    assert bridge is not None
    await _until(lambda: bridge.connected and fake_bridge.streaming)
    with patch(
        "custom_components.smartshop.recognition.RecognitionClient.search_face",
        side_effect=CertificateMismatchError("SearchFacesByImage: not the pinned certificate"),
    ):
        await fake_bridge.send_face(CAMERA_ID, face_jpeg, "event-3")
        await _until(lambda: entry.runtime_data.health.auth_failed)
    await hass.async_block_till_done()
    issue_id = f"bridge_certificate_changed_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_one_incident_store_for_every_road(
    hass: HomeAssistant, rekognition: Rekognition, still_camera
) -> None:
    """Set-up, sightings, a reload, erasure and removal all use one incident store."""
    opened: list[Path] = []
    original = IncidentStore.__init__

    def spy(self: IncidentStore, path: Path) -> None:
        opened.append(path)
        original(self, path)

    with patch.object(IncidentStore, "__init__", spy):
        entry = store_entry()
        await setup_store(hass, rekognition, entry)
        person = _person(entry)
        rekognition.detect(ONE_FACE)
        rekognition.search([(person.person_id, 99.0)])
        await _scan(hass)
        store = hass.data[DATA_INCIDENTS]
        assert entry.runtime_data.incidents is store
        assert await hass.async_add_executor_job(store.count) == 1

        await entry.runtime_data.watchlists.store.async_save()
        rekognition.credentials_ok()
        rekognition.collection_exists()
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.runtime_data.incidents is store

        rekognition.ok("delete_faces", {"DeletedFaces": ["f1"]})
        await hass.services.async_call(
            DOMAIN,
            "remove_person",
            {"person_id": person.person_id},
            blocking=True,
            context=await as_admin(hass),
        )
        assert await hass.async_add_executor_job(store.count) == 0

        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
    assert opened == [Path(hass.config.path("smartshop.db"))]


def _user_search(rekognition: Rekognition, matches: list[tuple[str, float]]) -> None:
    rekognition.ok(
        "search_users_by_image",
        {
            "UserMatches": [
                {"Similarity": similarity, "User": {"UserId": user, "UserStatus": "ACTIVE"}}
                for user, similarity in matches
            ],
            "SearchedFace": {
                "FaceDetail": {
                    "BoundingBox": {"Left": 0.3, "Top": 0.1, "Width": 0.3, "Height": 0.4}
                }
            },
            "FaceModelVersion": "7.0",
        },
        {
            "CollectionId": COLLECTION,
            "Image": {"Bytes": ANY},
            "MaxUsers": 1,
            "UserMatchThreshold": ANY,
            "QualityFilter": "NONE",
        },
    )


async def test_search_decides_per_person(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: Any
) -> None:
    """Once every entry is a user, a frame is searched per person (SearchUsersByImage): the
    match names the person, no single photo; an entry's own dismissal threshold applies."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    person.user_created = True
    person.face_ids.append("f2")
    matches: list[Event] = []
    hass.bus.async_listen(EVENT_MATCH, matches.append)

    rekognition.detect(ONE_FACE)
    _user_search(rekognition, [(person.person_id, 99.1)])
    await _scan(hass)
    rekognition.assert_done()
    assert len(matches) == 1
    assert matches[0].data["person_id"] == person.person_id
    assert matches[0].data["face_id"] is None

    # Staff dismissed its matches up to 99.3: a 99.2 match of this person no longer alerts.
    person.dismissal_threshold = 99.3
    rekognition.detect(ONE_FACE)
    _user_search(rekognition, [(person.person_id, 99.2)])
    await _scan(hass)
    rekognition.assert_done()
    assert len(matches) == 1
