"""The evidence pack of a confirmed incident, for the police or a civil recovery claim.

``smartshop.create_evidence_pack`` writes one PDF into the exports folder: both photos (the
camera's match crop and the watchlist reference photo), time, store, camera, location, reviewer
and reason, and the SHA-256 of each image. Only a *confirmed* incident has one: a match nobody
confirmed is not evidence of anything. Administrators only; every pack is audit-logged, and
recorded as holding its person's data (export_records.py): erasing the person deletes it unless
the owner keeps it for a legal claim.
"""

from __future__ import annotations

from typing import Final

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from .audit import AuditAction
from .const import DOMAIN
from .database import async_audit, async_record_export, incident_store
from .export_records import ExportKind
from .exports import (
    download_path,
    export_name,
    exports_dir,
    exports_lock,
    write_export,
)
from .incidents import Incident, ReviewStatus
from .permissions import async_register_action
from .report_pdf import EvidencePack, render_evidence_pdf, sha256_hex
from .snapshots import DATA_SNAPSHOTS, SnapshotKind, SnapshotStore

SERVICE_EVIDENCE_PACK: Final = "create_evidence_pack"
ATTR_INCIDENT_ID: Final = "incident_id"
EVIDENCE_SCHEMA = probatio.Schema({probatio.Required(ATTR_INCIDENT_ID): cv.string})


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _images(snapshots: SnapshotStore, incident: Incident) -> tuple[bytes | None, bytes | None]:
    """The match crop and the entry's reference photo, as stored (None where not held)."""
    match = (
        snapshots.load(SnapshotKind.INCIDENT, incident.snapshot_ref)
        if incident.snapshot_ref
        else None
    )
    reference = (
        snapshots.load(SnapshotKind.REFERENCE, incident.person_id) if incident.person_id else None
    )
    return match, reference


async def _async_create(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    async with exports_lock(hass):  # an erasure meanwhile finds the pack, or took the incident
        name, incident, hashes = await _async_write(call)
    await async_audit(
        hass,
        call.context,
        AuditAction.EXPORT,
        store_id=incident.store_id,
        subject=incident.person_id,
        details={"kind": "evidence_pack", "incident": incident.incident_id, "file": name},
    )
    return {"file": name, "download_path": download_path(name), **hashes}


async def _async_write(call: ServiceCall) -> tuple[str, Incident, dict[str, str | None]]:
    """Render the pack, record it as holding the person's data, then write it; its name, the
    incident and the SHA-256 of each image."""
    hass = call.hass
    incident_id = call.data[ATTR_INCIDENT_ID].strip()
    incident = await hass.async_add_executor_job(incident_store(hass).get, incident_id)
    if incident is None:
        raise _error("incident_not_found", incident_id=incident_id)
    if incident.review_status is not ReviewStatus.CONFIRMED:
        raise _error(
            "evidence_needs_confirmation",
            incident_id=incident_id,
            status=str(incident.review_status),
        )
    match, reference = await hass.async_add_executor_job(
        _images, hass.data[DATA_SNAPSHOTS], incident
    )
    pack = EvidencePack(
        incident_id=incident.incident_id,
        occurred_at=dt_util.as_local(incident.occurred_at),
        store=incident.store_name,
        camera=incident.camera,
        location=incident.location,
        watchlist=incident.watchlist,
        category=incident.category,
        similarity=incident.similarity,
        reviewed_by=incident.reviewed_by or "",
        reviewed_at=dt_util.as_local(incident.reviewed_at) if incident.reviewed_at else None,
        review_reason=incident.review_reason or "",
        match_jpeg=match,
        reference_jpeg=reference,
        generated_at=dt_util.now(),
    )
    name = export_name(f"evidence-{incident.incident_id[:8]}", ".pdf")
    pdf = await hass.async_add_executor_job(render_evidence_pdf, pack)
    if incident.person_id:  # an anonymised incident shows no one: no crop, no reference
        await async_record_export(hass, name, incident.person_id, ExportKind.EVIDENCE_PACK)
    try:
        await hass.async_add_executor_job(write_export, exports_dir(hass), name, pdf)
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="export_write_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    hashes = {
        "match_sha256": sha256_hex(match) if match else None,
        "reference_sha256": sha256_hex(reference) if reference else None,
    }
    return name, incident, hashes


@callback
def async_setup_evidence_pack_action(hass: HomeAssistant) -> None:
    """Register ``smartshop.create_evidence_pack`` (administrators only)."""
    async_register_action(
        hass,
        SERVICE_EVIDENCE_PACK,
        _async_create,
        EVIDENCE_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
