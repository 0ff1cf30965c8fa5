"""The evidence pack of a confirmed incident: a PDF with both photos and their SHA-256."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
import hashlib
from pathlib import Path
import shutil
import subprocess

from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest

from custom_components.smartshop.const import DOMAIN
from custom_components.smartshop.database import audit_log, incident_store
from custom_components.smartshop.incidents import Incident, ReviewStatus
from custom_components.smartshop.snapshots import DATA_SNAPSHOTS, SnapshotKind

FIXTURES = Path(__file__).parent.parent / "fixtures" / "faces"
PERSON = "0f7c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5"
CONFIRMED = "11111111-aaaa-4bbb-8ccc-000000000001"
PENDING = "11111111-aaaa-4bbb-8ccc-000000000002"


def _incident(incident_id: str, snapshot: str | None) -> Incident:
    return Incident(
        incident_id=incident_id,
        dedup_key=incident_id,
        occurred_at=dt_util.utcnow() - timedelta(hours=2),
        store_id="store-1",
        store_name="High Street",
        camera="camera.front_door",
        location="Entrance",
        watchlist_id="w-theft",
        watchlist="Theft",
        category="theft",
        person_id=PERSON,
        similarity=97.4,
        snapshot_ref=snapshot,
    )


@pytest.fixture
async def incidents(hass: HomeAssistant) -> tuple[bytes, bytes]:
    """A confirmed incident with its crop and the entry's reference photo, and a pending one."""
    assert await async_setup_component(hass, DOMAIN, {})
    crop = (FIXTURES / "astronaut.jpg").read_bytes()
    reference = (FIXTURES / "grace_hopper.jpg").read_bytes()
    snapshots = hass.data[DATA_SNAPSHOTS]
    store = incident_store(hass)

    def seed() -> None:
        snapshots.save(SnapshotKind.INCIDENT, CONFIRMED, crop)
        snapshots.save(SnapshotKind.REFERENCE, PERSON, reference)
        store.add(_incident(CONFIRMED, CONFIRMED))
        store.review(
            CONFIRMED,
            ReviewStatus.CONFIRMED,
            by="Sam (manager)",
            reason="Seen taking two bottles of whisky",
            at=dt_util.utcnow(),
        )
        store.add(_incident(PENDING, None))

    await hass.async_add_executor_job(seed)
    return crop, reference


async def _create(hass: HomeAssistant, user: User, incident_id: str) -> dict:
    response = await hass.services.async_call(
        DOMAIN,
        "create_evidence_pack",
        {"incident_id": incident_id},
        blocking=True,
        return_response=True,
        context=Context(user_id=user.id),
    )
    assert response is not None
    return dict(response)


async def test_pack_of_a_confirmed_incident(
    hass: HomeAssistant, hass_admin_user: User, incidents: tuple[bytes, bytes], tmp_path: Path
) -> None:
    """The PDF holds both photos, the facts and the SHA-256 of each image as stored."""
    crop, reference = incidents
    response = await _create(hass, hass_admin_user, CONFIRMED)
    assert response["match_sha256"] == hashlib.sha256(crop).hexdigest()
    assert response["reference_sha256"] == hashlib.sha256(reference).hexdigest()
    assert response["download_path"] == f"/api/smartshop/exports/{response['file']}"
    pdf = Path(hass.config.path(DOMAIN, "exports", response["file"]))
    assert pdf.stat().st_mode & 0o777 == 0o600
    assert pdf.read_bytes().startswith(b"%PDF")

    assert shutil.which("pdftotext"), "poppler-utils is missing: run scripts/setup"
    text = (
        await hass.async_add_executor_job(
            partial(
                subprocess.run,
                ["pdftotext", "-layout", str(pdf), "-"],
                capture_output=True,
                check=True,
                text=True,
            )
        )
    ).stdout
    for expected in (
        CONFIRMED,
        "High Street",
        "camera.front_door",
        "Entrance",
        "Sam (manager)",
        "Seen taking two bottles of whisky",
        hashlib.sha256(crop).hexdigest()[:32],
        hashlib.sha256(reference).hexdigest()[32:],
    ):
        assert expected in text
    # Both photos are drawn: the page rendered to PNG is mostly not white.
    await hass.async_add_executor_job(
        partial(
            subprocess.run,
            ["pdftoppm", "-r", "40", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
            check=True,
        )
    )
    from PIL import Image

    with Image.open(tmp_path / "page.png") as page:
        grey = page.convert("L")
        histogram = grey.histogram()
    assert sum(histogram[:200]) > 0.08 * sum(histogram)

    (row,) = await hass.async_add_executor_job(audit_log(hass).entries)
    assert row.action == "export"
    assert row.subject == PERSON
    assert row.details == {"kind": "evidence_pack", "incident": CONFIRMED, "file": response["file"]}


async def test_only_confirmed_incidents_and_administrators(
    hass: HomeAssistant,
    hass_admin_user: User,
    hass_read_only_user: User,
    incidents: tuple[bytes, bytes],
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _create(hass, hass_admin_user, PENDING)
    assert err.value.translation_key == "evidence_needs_confirmation"
    with pytest.raises(ServiceValidationError) as err:
        await _create(hass, hass_admin_user, "no-such-incident")
    assert err.value.translation_key == "incident_not_found"
    with pytest.raises(Unauthorized):
        await _create(hass, hass_read_only_user, CONFIRMED)
    assert not Path(hass.config.path(DOMAIN, "exports")).exists()
    assert await hass.async_add_executor_job(audit_log(hass).entries) == []
