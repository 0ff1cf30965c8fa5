"""Face watch entities: scans, matches, privacy, failures."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.smartshop.const import (
    CONF_ALERT_COOLDOWN,
    CONF_SCAN_INTERVAL,
    DOMAIN,
    EVENT_MATCH,
)
from custom_components.smartshop.people import Person

from .conftest import COLLECTION, Rekognition, StillCamera, setup_store, store_entry

ENTITY = "image_processing.high_street_front_door_face_watch"
ONE_FACE = (0.3, 0.1, 0.3, 0.4)


def _person(entry, person_id: str = "0f7c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5") -> Person:
    now = dt_util.utcnow()
    person = Person(
        person_id=person_id,
        watchlist_id=next(iter(entry.subentries)),
        display_name="Secret Name",
        category="banned",
        reason="Assaulted staff",
        incident_reference="INC-9",
        added_by="Sam",
        added_at=now,
        expires_at=now + timedelta(days=30),
        review_at=now + timedelta(days=10),
        updated_at=now,
        face_ids=["f1"],
    )
    entry.runtime_data.watchlists.store.put(person)
    return person


async def _scan(hass: HomeAssistant) -> None:
    await hass.services.async_call("image_processing", "scan", {"entity_id": ENTITY}, blocking=True)
    await hass.async_block_till_done()


async def test_match_fires_events_without_names(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """A match fires smartshop_match and image_processing.detect_face, with a UUID and no name."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    matches = async_capture_events(hass, EVENT_MATCH)
    faces = async_capture_events(hass, "image_processing.detect_face")

    rekognition.detect(ONE_FACE)
    rekognition.search([(person.person_id, 99.1)])
    await _scan(hass)
    rekognition.assert_done()

    assert len(matches) == 1
    data = matches[0].data
    assert data["person_id"] == person.person_id
    assert data["category"] == "banned"
    assert data["watchlist"] == "Theft"
    assert data["similarity"] == 99.1
    assert data["store"] == "High Street"
    assert data["location"] == "Front door"
    assert data["camera"] == "camera.front_door"
    assert data["incident_id"]
    assert data["known_here"] is True
    assert len(faces) == 1
    assert faces[0].data["name"] == person.person_id
    state = hass.states.get(ENTITY)
    assert state.state == "1"
    assert "Secret Name" not in str(state.as_dict())
    assert "Secret Name" not in str(matches[0].as_dict()) + str(faces[0].as_dict())


async def test_cooldown_and_unknown_people(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """A person seen again within the cooldown raises no second alert; a face enrolled by another
    store sharing the collection still alerts, with the watchlist's category."""
    entry = store_entry(options={CONF_ALERT_COOLDOWN: 10})
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    matches = async_capture_events(hass, EVENT_MATCH)
    for _ in range(2):
        rekognition.detect(ONE_FACE)
        rekognition.search([(person.person_id, 99.5)])
        await _scan(hass)
    assert len(matches) == 1

    rekognition.detect(ONE_FACE)
    rekognition.search([("other-store-person", 98.0)])
    await _scan(hass)
    assert len(matches) == 2
    assert matches[1].data["known_here"] is False
    assert matches[1].data["category"] == "theft"


async def test_expired_person_never_alerts(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Between expiry and the purge, a match on an expired entry is ignored."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    freezer.move_to(person.expires_at + timedelta(seconds=1))
    matches = async_capture_events(hass, EVENT_MATCH)
    rekognition.detect(ONE_FACE)
    rekognition.search([(person.person_id, 99.5)])
    await _scan(hass)
    assert matches == []


async def test_hundred_non_matches_leave_no_trace(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """100 faces that match nothing: no event, no state attribute, no log line, no file with them."""
    monkeypatch.setattr("custom_components.smartshop.SEARCH_RATE_PER_SECOND", 1000.0)
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    events: list[Event] = []
    hass.bus.async_listen("*", events.append)
    caplog.set_level("DEBUG")
    before = {p: p.stat().st_mtime for p in Path(hass.config.config_dir).rglob("*") if p.is_file()}
    for _ in range(100):
        rekognition.detect(ONE_FACE)
        rekognition.search([])
        await _scan(hass)
    rekognition.assert_done()
    assert not [e for e in events if e.event_type in (EVENT_MATCH, "image_processing.detect_face")]
    state = hass.states.get(ENTITY)
    assert state.attributes["faces"] == []
    # The face crop never appears in logs (as bytes or base64) and no file was written for it.
    image = still_camera.image
    import base64

    assert base64.b64encode(image[:64]).decode()[:40] not in caplog.text
    assert image[:64].hex() not in caplog.text
    after = {p: p.stat().st_mtime for p in Path(hass.config.config_dir).rglob("*") if p.is_file()}
    changed = [p for p, m in after.items() if before.get(p) != m]
    for path in changed:
        assert image[:1024] not in path.read_bytes()


async def test_faces_are_not_recorded(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """The faces attribute is excluded from the recorder."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    entity = hass.data["image_processing"].get_entity(ENTITY)
    assert "faces" in entity._unrecorded_attributes


async def test_several_faces_largest_first(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """With two faces in the frame, each face crop is searched."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    matches = async_capture_events(hass, EVENT_MATCH)
    rekognition.detect((0.05, 0.05, 0.2, 0.25), (0.5, 0.2, 0.4, 0.5))
    rekognition.search([(person.person_id, 99.0)])
    rekognition.search([])
    await _scan(hass)
    rekognition.assert_done()
    assert len(matches) == 1
    assert hass.states.get(ENTITY).state == "2"


async def test_bad_camera_image_is_survived(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An HTML page instead of a JPEG is logged with its reason and makes no call."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    still_camera.image = b"<html><body>login</body></html>"
    await _scan(hass)
    rekognition.assert_done()
    assert "unusable image" in caplog.text
    assert hass.states.get(ENTITY).state == "0"


async def test_auth_failure_stops_calls_and_starts_reauth(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """Refused keys during a scan: reauth starts, the entity goes unavailable, no further calls."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    rekognition.error("detect_faces", "UnrecognizedClientException")
    await _scan(hass)
    assert hass.states.get(ENTITY).state == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    await _scan(hass)  # skipped: no stubbed response would be consumed
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1))
    await hass.async_block_till_done(wait_background_tasks=True)
    rekognition.assert_done()


async def test_backend_down_then_back(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unreachable backend: unavailable with one log line; a probe brings it back within 30 s."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    rekognition.error("detect_faces", "ServiceUnavailableException", status=503)
    await _scan(hass)
    assert hass.states.get(ENTITY).state == STATE_UNAVAILABLE
    rekognition.error("describe_collection", "ServiceUnavailableException", status=503)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=21))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(ENTITY).state == STATE_UNAVAILABLE
    assert caplog.text.count("Recognition backend is unavailable") == 1

    rekognition.credentials_ok()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=42))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(ENTITY).state == "0"
    assert caplog.text.count("Recognition backend is available again") == 1
    rekognition.assert_done()


async def test_optional_polling(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """With an interval set, the camera is scanned on it; with none, never."""
    entry = store_entry(options={CONF_SCAN_INTERVAL: 30})
    await setup_store(hass, rekognition, entry)
    rekognition.detect()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=31))
    await hass.async_block_till_done(wait_background_tasks=True)
    rekognition.assert_done()
    assert hass.states.get(ENTITY).state == "0"


async def test_no_watchlists_means_no_calls(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """A store without watchlists does not pay for scans."""
    entry = store_entry(watchlist=False)
    await setup_store(hass, rekognition, entry)
    await _scan(hass)
    rekognition.assert_done()
    assert hass.states.get(ENTITY).state == "0"
    assert COLLECTION not in entry.runtime_data.watchlists.collection_ids


async def test_match_recorded_once_and_kept(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """Each alerted match is an incident; incidents survive a reload; the cooldown adds none."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    for _ in range(2):
        rekognition.detect(ONE_FACE)
        rekognition.search([(person.person_id, 99.0)])
        await _scan(hass)
    incidents = await hass.async_add_executor_job(entry.runtime_data.incidents.query)
    assert len(incidents) == 1
    incident = incidents[0]
    assert (incident.person_id, incident.camera, incident.location) == (
        person.person_id,
        "camera.front_door",
        "Front door",
    )
    assert incident.review_status == "pending"

    rekognition.credentials_ok()
    rekognition.collection_exists()
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.async_add_executor_job(entry.runtime_data.incidents.count) == 1
