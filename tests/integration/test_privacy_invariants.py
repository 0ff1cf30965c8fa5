"""The privacy invariants, end to end.

A face that matches nothing, and a face staff dismissed ("Not them"), leave nothing of themselves
anywhere Home Assistant keeps data: files under the config folder (encrypted snapshots decrypted
too), the storage files, the log, states, the events on the bus and the recorder's database.
Enrolment needs its safeguards; an entry waiting for approval never alerts; the user who enrolled
an entry cannot approve it; anonymisation keeps the anonymous row and nothing about the person.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO
import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.const import MATCH_ALL
from homeassistant.core import Context, Event, HomeAssistant, State, callback
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.util import dt as dt_util
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import (
    MockUser,
    async_capture_events,
    mock_restore_cache,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
import sqlalchemy

from custom_components.smartshop.const import DOMAIN, EVENT_MATCH
from custom_components.smartshop.data import SmartShopConfigEntry
from custom_components.smartshop.database import audit_log
from custom_components.smartshop.incidents import Incident, IncidentStore, IncidentStoreError
from custom_components.smartshop.retention import async_privacy_purge
from custom_components.smartshop.sighting import Evidence, Sighting
from custom_components.smartshop.snapshots import DATA_SNAPSHOTS, SnapshotKind

from .conftest import Rekognition, StillCamera, setup_store, store_entry
from .helpers import ADMIN_NAME, as_admin
from .test_image_processing import ONE_FACE, _scan
from .test_services import _enrol_data, expect_enrolment
from .test_sighting import _user_search

NOT_MATCHING = 100
DISMISSED = 10


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """As the shared fixture; the recorder's database is prepared before Home Assistant."""


@pytest.fixture(autouse=True)
def private_config_dir(recorder_mock: Recorder, hass: HomeAssistant, tmp_path: Path) -> None:
    """As the shared fixture, with the recorder running."""
    hass.config.config_dir = str(tmp_path)


@pytest.fixture
def photo(hass: HomeAssistant, tmp_path: Path, face_jpeg: bytes) -> str:
    """An enrolment photo in a directory Home Assistant may read (outside the config folder)."""
    folder = tmp_path.parent / f"{tmp_path.name}-photos"
    folder.mkdir()
    hass.config.allowlist_external_dirs = {str(folder)}
    path = folder / "photo.jpg"
    path.write_bytes(face_jpeg)
    return str(path)


def _faces(face_jpeg: bytes, count: int) -> list[bytes]:
    """``count`` different JPEGs of the fixture face: a binary code in the corner of each."""
    base = Image.open(BytesIO(face_jpeg)).convert("RGB")
    faces = []
    for number in range(count):
        image = base.copy()
        for bit in range(8):
            shade = 255 if number >> bit & 1 else 0
            for x in range(bit * 8, bit * 8 + 8):
                for y in range(8):
                    image.putpixel((x, y), (shade, shade, shade))
        out = BytesIO()
        image.save(out, "JPEG", quality=90)
        faces.append(out.getvalue())
    assert len(set(faces)) == count
    return faces


def _traces(face: bytes) -> tuple[bytes, ...]:
    """How a face could be kept: its bytes, base64 (standard or URL-safe) or hex of its bytes."""
    return (
        face,
        base64.b64encode(face),
        base64.urlsafe_b64encode(face),
        face[200:264].hex().encode(),
    )


def _config_files(hass: HomeAssistant) -> Iterator[bytes]:
    """Every file under the config folder, and every snapshot decrypted."""
    root = Path(hass.config.config_dir)
    snapshots = hass.data[DATA_SNAPSHOTS]
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        yield path.read_bytes()
        if path.is_relative_to(snapshots.root) and path.name.endswith(".jpg.enc"):
            kind = SnapshotKind(path.parent.name)
            plain = snapshots.load(kind, path.name.removesuffix(".jpg.enc"))
            if plain is not None:
                yield plain


def _recorded(hass: HomeAssistant) -> bytes:
    """Everything the recorder holds about events and states."""
    engine = get_instance(hass).engine
    assert engine is not None
    with engine.connect() as connection:
        rows = [
            *connection.execute(sqlalchemy.text("SELECT shared_data FROM event_data")),
            *connection.execute(sqlalchemy.text("SELECT shared_attrs FROM state_attributes")),
            *connection.execute(sqlalchemy.text("SELECT state FROM states")),
        ]
    return "\n".join(str(row[0]) for row in rows).encode()


def _kept_anywhere(face: bytes, places: list[bytes]) -> bool:
    return any(trace in place for trace in _traces(face) for place in places)


def _sighting(face: bytes, number: int) -> Sighting:
    return Sighting(
        camera="back-office/front-door",
        location="Entrance",
        seen_at=dt_util.utcnow(),
        evidence=Evidence(image=face, is_face_crop=True),
        dedup_key=f"visit-{number}",
    )


async def test_faces_not_matched_or_dismissed_leave_nothing(
    hass: HomeAssistant,
    rekognition: Rekognition,
    face_jpeg: bytes,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """100 faces that match nothing and 10 matches staff dismiss: not a byte of any of those
    faces is left on disk, in storage, the log, states, events or the recorder."""
    caplog.set_level(logging.DEBUG)
    # The recorder's SQL echo (its thread logs on after the test's capture ends); what the
    # recorder keeps is read from its database below.
    caplog.set_level(logging.WARNING, logger="sqlalchemy.engine")
    entry: SmartShopConfigEntry = store_entry(camera=None, options={"alert_cooldown_minutes": 0})
    await setup_store(hass, rekognition, entry)
    events: list[Event] = []

    @callback
    def heard(event: Event) -> None:
        events.append(event)

    hass.bus.async_listen(MATCH_ALL, heard)
    matches = async_capture_events(hass, EVENT_MATCH)
    faces = _faces(face_jpeg, NOT_MATCHING + DISMISSED)
    sightings = entry.runtime_data.sightings

    for number, face in enumerate(faces[:NOT_MATCHING]):
        rekognition.search([])
        result = await sightings.async_search(_sighting(face, number))
        assert result is not None
        assert result.alerted == ()
    dismissed: list[str] = []
    for number, face in enumerate(faces[NOT_MATCHING:]):
        # Faces enrolled by another store sharing the watchlist: known to the backend only.
        rekognition.search([(f"enrolled-elsewhere-{number}", 99.0)])
        result = await sightings.async_search(_sighting(face, NOT_MATCHING + number))
        assert result is not None
        assert len(result.alerted) == 1
        incident_id = matches[-1].data["incident_id"]
        # The check sees a kept face: the crop is there, encrypted, until staff dismiss it.
        assert _kept_anywhere(face, list(_config_files(hass)))
        await _dismiss(hass, incident_id)
        dismissed.append(incident_id)
    rekognition.assert_done()
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    places = [
        *_config_files(hass),
        json.dumps(hass_storage, default=str).encode(),
        caplog.text.encode(),
        json.dumps([state.as_dict() for state in hass.states.async_all()], default=str).encode(),
        json.dumps([event.data for event in events], default=str).encode(),
        _recorded(hass),
    ]
    assert len(events) > NOT_MATCHING  # the bus was watched
    assert dismissed[0].encode() in places[-1]  # and the recorder kept the events
    for face in faces:
        assert not _kept_anywhere(face, places)
    # The dismissed incidents stay, as facts about no one.
    for incident_id in dismissed:
        incident = await hass.async_add_executor_job(entry.runtime_data.incidents.get, incident_id)
        assert incident is not None
        assert (incident.review_status, incident.person_id, incident.snapshot_ref) == (
            "dismissed",
            "",
            None,
        )


async def _dismiss(hass: HomeAssistant, incident_id: str) -> None:
    await hass.services.async_call(
        DOMAIN,
        "review_match",
        {
            "incident_id": incident_id,
            "decision": "dismiss",
            "reason": "Not them",
            "reviewer": "Sam",
        },
        blocking=True,
    )


async def test_enrolment_needs_its_safeguards(
    hass: HomeAssistant, rekognition: Rekognition, photo: str
) -> None:
    """Without the justification or either attestation, nothing is enrolled and the refusal
    says what is missing, in words (not a schema error)."""
    entry: SmartShopConfigEntry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    for missing, key, placeholders in (
        ({"justification": None}, "justification_required", {}),
        ({"attest_adult": None}, "attestation_required", {"attestation": "attest_adult"}),
        ({"attest_adult": False}, "attestation_required", {"attestation": "attest_adult"}),
        (
            {"attest_not_vulnerable": False},
            "attestation_required",
            {"attestation": "attest_not_vulnerable"},
        ),
    ):
        data = {
            key: value for key, value in (_enrol_data(photo) | missing).items() if value is not None
        }
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN, "enroll_person", data, blocking=True, context=await as_admin(hass)
            )
        assert err.value.translation_key == key
        assert err.value.translation_placeholders == placeholders
        message = str(err.value)
        assert "adult" in message if key == "attestation_required" else "offence" in message
    rekognition.assert_done()  # the backend never saw the photo
    assert entry.runtime_data.watchlists.store.count() == 0


async def test_pending_entry_never_alerts_until_another_user_approves(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    photo: str,
    hass_admin_user: MockUser,
) -> None:
    """Four-eyes: the entry is pending and matches of it raise nothing; the administrator who
    enrolled it cannot approve it, nor can an automation or a user who is not an administrator;
    another administrator can, and from then on it alerts."""
    entry: SmartShopConfigEntry = store_entry(
        options={"require_approval": True, "alert_cooldown_minutes": 0}
    )
    await setup_store(hass, rekognition, entry)
    enroller = Context(user_id=hass_admin_user.id)
    expect_enrolment(rekognition)
    enrolled = await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        {key: value for key, value in _enrol_data(photo).items() if key != "added_by"},
        blocking=True,
        return_response=True,
        context=enroller,
    )
    person_id = enrolled["person_id"]
    assert enrolled["status"] == "pending_approval"
    listed = await hass.services.async_call(
        DOMAIN, "list_people", {}, blocking=True, return_response=True, context=await as_admin(hass)
    )
    assert [p["status"] for p in listed["people"]] == ["pending_approval"]

    matches = async_capture_events(hass, EVENT_MATCH)
    rekognition.detect(ONE_FACE)
    _user_search(rekognition, [(person_id, 99.9)])
    await _scan(hass)
    rekognition.assert_done()
    assert matches == []
    assert await hass.async_add_executor_job(entry.runtime_data.incidents.count) == 0

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "approve_person", {"person_id": person_id}, blocking=True, context=enroller
        )
    assert err.value.translation_key == "approver_is_enroller"
    # Approval is an administrator's: not an automation's, not another user's.
    colleague = MockUser(name="Kim").add_to_hass(hass)
    for context in (Context(), Context(user_id=colleague.id)):
        with pytest.raises(Unauthorized):
            await hass.services.async_call(
                DOMAIN, "approve_person", {"person_id": person_id}, blocking=True, context=context
            )
    approved = await hass.services.async_call(
        DOMAIN,
        "approve_person",
        {"person_id": person_id},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    assert approved["person"]["status"] == "active"
    assert approved["person"]["approved_by"] == ADMIN_NAME
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "approve_person",
            {"person_id": person_id},
            blocking=True,
            context=await as_admin(hass),
        )
    assert err.value.translation_key == "already_approved"

    rekognition.detect(ONE_FACE)
    _user_search(rekognition, [(person_id, 99.9)])
    await _scan(hass)
    rekognition.assert_done()
    assert [event.data["person_id"] for event in matches] == [person_id]


async def test_approval_refused_where_not_required(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, hass_admin_user: MockUser
) -> None:
    """Without the option an entry is active at once and there is nothing to approve."""
    entry: SmartShopConfigEntry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    expect_enrolment(rekognition)
    enrolled = await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        _enrol_data(photo),
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    assert enrolled["status"] == "active"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "approve_person",
            {"person_id": enrolled["person_id"]},
            blocking=True,
            context=Context(user_id=hass_admin_user.id),
        )
    assert err.value.translation_key == "approval_not_required"


async def test_anonymisation_keeps_the_anonymous_row(
    hass: HomeAssistant, rekognition: Rekognition, face_jpeg: bytes
) -> None:
    """Past its retention an incident loses its person, crop, similarity and reason; the row
    stays for trends until its own retention ends. The purge sensor and the audit log say what
    went, in counts."""
    entry: SmartShopConfigEntry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    matches = async_capture_events(hass, EVENT_MATCH)
    rekognition.search([("enrolled-elsewhere", 99.0)])
    await entry.runtime_data.sightings.async_search(_sighting(face_jpeg, 1))
    incident_id = matches[0].data["incident_id"]
    await hass.services.async_call(
        DOMAIN,
        "review_match",
        {"incident_id": incident_id, "decision": "confirm", "reason": "On CCTV", "reviewer": "Sam"},
        blocking=True,
    )
    crop = Path(hass.config.path(DOMAIN, "snapshots", "incident", f"{incident_id}.jpg.enc"))
    assert crop.exists()

    later = dt_util.utcnow() + timedelta(days=366)
    await async_privacy_purge(hass, entry, later)
    await hass.async_block_till_done()

    assert not crop.exists()
    incident = await hass.async_add_executor_job(entry.runtime_data.incidents.get, incident_id)
    assert isinstance(incident, Incident)
    assert (incident.person_id, incident.snapshot_ref, incident.similarity) == ("", None, None)
    assert incident.review_reason is None
    assert (incident.camera, incident.location, incident.watchlist, incident.category) == (
        "back-office/front-door",
        "Entrance",
        "Theft",
        "theft",
    )
    assert incident.review_status == "confirmed"
    state = hass.states.get("sensor.high_street_last_privacy_purge")
    assert state is not None
    assert dt_util.parse_datetime(state.state) == later.replace(microsecond=0)
    assert state.attributes["anonymised_confirmed"] == 1
    assert state.attributes["evidence_deleted"] == 1
    log = await hass.async_add_executor_job(audit_log(hass).entries)
    purge = [row for row in log if row.action == "purge"][-1]
    assert purge.actor == "system"
    assert purge.details["anonymised_confirmed"] == 1

    await async_privacy_purge(hass, entry, dt_util.utcnow() + timedelta(days=731))
    assert await hass.async_add_executor_job(entry.runtime_data.incidents.get, incident_id) is None


async def test_purge_waits_for_a_usable_database(
    hass: HomeAssistant, rekognition: Rekognition, caplog: pytest.LogCaptureFixture
) -> None:
    """A database that cannot be used now (locked, corrupt) leaves the purge for next time,
    with a warning; the sensor still shows the last purge that ran."""
    entry: SmartShopConfigEntry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    before = hass.states.get("sensor.high_street_last_privacy_purge")
    assert before is not None
    assert before.state != "unknown"  # the purge at set-up ran
    with patch.object(
        IncidentStore, "apply_retention", side_effect=IncidentStoreError("database is locked")
    ):
        report = await async_privacy_purge(hass, entry, dt_util.utcnow() + timedelta(days=1))
    assert report is None
    assert "Privacy purge of High Street not done (will retry): database is locked" in caplog.text
    assert hass.states.get("sensor.high_street_last_privacy_purge").state == before.state


async def test_purge_sensor_restores_the_last_purge(
    hass: HomeAssistant, rekognition: Rekognition
) -> None:
    """Across a restart the sensor shows the last purge until the next one runs (here the
    database is unusable at set-up, so none does)."""
    mock_restore_cache(
        hass,
        [
            State(
                "sensor.high_street_last_privacy_purge",
                "2026-11-30T03:00:00+00:00",
                {"rows_deleted": 4, "evidence_deleted": 2, "friendly_name": "x"},
            )
        ],
    )
    entry: SmartShopConfigEntry = store_entry(camera=None)
    with patch.object(IncidentStore, "apply_retention", side_effect=IncidentStoreError("locked")):
        await setup_store(hass, rekognition, entry)
    state = hass.states.get("sensor.high_street_last_privacy_purge")
    assert state is not None
    assert state.state == "2026-11-30T03:00:00+00:00"
    assert (state.attributes["rows_deleted"], state.attributes["evidence_deleted"]) == (4, 2)
