"""Erasure and find-by-face against a real engine: the edge bridge's, in a subprocess on
loopback (the ``live_bridge`` fixture of the live bridge tests), no mocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from PIL import Image
import pytest

from custom_components.smartshop.audit import AuditAction
from custom_components.smartshop.const import DOMAIN
from custom_components.smartshop.database import audit_log
from demo.bridge_process import RunningBridge

from .conftest import FIXTURES
from .helpers import as_admin
from .test_bridge_live import bridge_entry, clip, live_bridge  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled")]

COLLECTION = "smartshop-live-rights"


async def _call(hass: HomeAssistant, action: str, data: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True, context=await as_admin(hass)
    )
    return response


async def test_erasure_leaves_nothing_on_the_real_engine(
    hass: HomeAssistant,
    live_bridge: RunningBridge,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    """A person enrolled with two photos is found by face (the engine has no CompareFaces, so
    the evidence searched is the candidate's), then erased: the engine lists none of their
    faces and no user of theirs, the receipt is complete, and the audit chain verifies."""
    photos = tmp_path / "photos"
    photos.mkdir()
    mirrored = photos / "astronaut-mirrored.jpg"
    image = Image.open(FIXTURES / "faces" / "astronaut.jpg")
    image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(mirrored, quality=90)
    hass.config.allowlist_external_dirs = {str(FIXTURES), str(photos)}
    entry = await bridge_entry(hass, live_bridge, COLLECTION)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    astronaut = str(FIXTURES / "faces" / "astronaut.jpg")
    enrolled = await _call(
        hass,
        "enroll_person",
        {
            "watchlist": "Demo",
            "name": "Demo offender",
            "reason": "Demo: shoplifting",
            "incident_reference": "DEMO-RIGHTS",
            "justification": "repeat_offender",
            "attest_adult": True,
            "attest_not_vulnerable": True,
            "added_by": "Manager Sam",
            "image_path": astronaut,
        },
    )
    person_id = enrolled["person_id"]
    added = await _call(hass, "add_photo", {"person_id": person_id, "image_path": str(mirrored)})
    face_ids = {photo["face_id"] for photo in added["photos"]}
    assert len(face_ids) == 2
    client = entry.runtime_data.client
    faces = await client.list_faces(COLLECTION)
    assert {face.face_id for face in faces if face.external_image_id == person_id} == face_ids

    found = await _call(hass, "find_person_by_face", {"image_path": astronaut})
    assert found["evidence_search"] == "by candidate"
    assert [c["person_id"] for c in found["candidates"]] == [person_id]
    assert found["candidates"][0]["photos"] == 2
    assert {e["person_id"] for e in found["evidence"]} <= {person_id}

    receipt = await _call(hass, "remove_person", {"person_id": person_id})
    assert receipt["status"] == "complete"
    assert set(receipt["faces_deleted"]) == face_ids
    assert receipt["counts"]["faces"] == 2
    assert receipt["counts"]["photos"] == 3  # the reference and both photos
    assert receipt["collection_ids"] == [COLLECTION]
    faces = await client.list_faces(COLLECTION)
    assert [face for face in faces if face.external_image_id == person_id] == []
    assert person_id not in {user.user_id for user in await client.list_users(COLLECTION)}

    log = audit_log(hass)
    check = await hass.async_add_executor_job(log.verify)
    assert check.intact, check.reason
    rows = await hass.async_add_executor_job(lambda: log.entries(subject=person_id))
    (removal,) = [row for row in rows if row.action == AuditAction.REMOVE]
    assert removal.details["status"] == "complete"
    assert "Demo offender" not in str([row.as_dict() for row in rows])
    assert await hass.config_entries.async_unload(entry.entry_id)
