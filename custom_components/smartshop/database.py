"""The integration's one database file (incidents, the audit log and the records of which export
files hold whose data), one instance per HA."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Final

from homeassistant.core import Context, HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .audit import AuditAction, AuditEntry, AuditLog
from .const import DOMAIN
from .export_records import ExportKind, ExportRecords
from .incidents import IncidentStore

INCIDENT_DATABASE: Final = "smartshop.db"
DATA_INCIDENTS: HassKey[IncidentStore] = HassKey(f"{DOMAIN}_incidents")
DATA_AUDIT: HassKey[AuditLog] = HassKey(f"{DOMAIN}_audit")
DATA_EXPORT_RECORDS: HassKey[ExportRecords] = HassKey(f"{DOMAIN}_export_records")


def incident_store(hass: HomeAssistant) -> IncidentStore:
    """The one incident store of this Home Assistant, shared by every SmartShop store.

    One instance per database file: its lock serialises every write, erasure included.
    """
    if (store := hass.data.get(DATA_INCIDENTS)) is None:
        store = hass.data[DATA_INCIDENTS] = IncidentStore(Path(hass.config.path(INCIDENT_DATABASE)))
    return store


def audit_log(hass: HomeAssistant) -> AuditLog:
    """The audit log, in the same database (and behind the same lock) as the incidents."""
    if (log := hass.data.get(DATA_AUDIT)) is None:
        log = hass.data[DATA_AUDIT] = AuditLog(incident_store(hass))
    return log


def export_records(hass: HomeAssistant) -> ExportRecords:
    """Which export files hold whose data, in the same database (and behind the same lock)."""
    if (records := hass.data.get(DATA_EXPORT_RECORDS)) is None:
        records = hass.data[DATA_EXPORT_RECORDS] = ExportRecords(incident_store(hass))
    return records


async def async_record_export(
    hass: HomeAssistant, name: str, person_id: str, kind: ExportKind
) -> None:
    """Record that the export ``name`` holds the person's data (before it is written)."""
    await hass.async_add_executor_job(
        partial(export_records(hass).add, name, person_id, kind, at=dt_util.utcnow())
    )


async def async_audit(
    hass: HomeAssistant,
    context: Context | None,
    action: AuditAction,
    *,
    store_id: str = "",
    subject: str = "",
    details: dict[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEntry:
    """Write one audit row; the actor is the signed-in user of the context unless given.

    A context without a user is the system itself (the daily jobs) or an automation.
    """
    if actor is None:
        actor = await async_actor(hass, context)
    return await hass.async_add_executor_job(
        partial(
            audit_log(hass).append,
            action,
            actor=actor,
            store_id=store_id,
            subject=subject,
            details=details,
        )
    )


async def async_actor(hass: HomeAssistant, context: Context | None) -> str:
    """A readable name for who acted: the user's name (and id), or what acted for nobody."""
    if context is None:
        return "system"
    if context.user_id and (user := await hass.auth.async_get_user(context.user_id)):
        return f"{user.name or 'user'} ({user.id})"
    return "automation" if context.parent_id else "system"
