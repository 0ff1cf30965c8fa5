"""The owner's accountability actions, for administrators only: verify the audit log's chain,
export the log as CSV for download, and (from ``key_rotation``) rotate the snapshot key."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
import probatio

from .audit import AuditAction, AuditLog
from .const import DOMAIN
from .database import async_audit, audit_log
from .exports import download_path, export_name, exports_dir, prepare_export_path
from .key_rotation import async_setup_key_rotation
from .permissions import async_register_action

SERVICE_VERIFY_AUDIT_LOG: Final = "verify_audit_log"
SERVICE_EXPORT_AUDIT_LOG: Final = "export_audit_log"
EXPORT_KIND: Final = "audit-log"


async def _async_verify(call: ServiceCall) -> ServiceResponse:
    """Recompute the hash chain: rows, intact, first_broken_row, reason."""
    check = await call.hass.async_add_executor_job(audit_log(call.hass).verify)
    return check.as_dict()


def _write_csv(log: AuditLog, folder: Path, name: str) -> int:
    return log.export_csv(prepare_export_path(folder, name))


async def _async_export(call: ServiceCall) -> ServiceResponse:
    """Write the whole log to the exports folder; the export itself is then logged."""
    hass = call.hass
    name = export_name(EXPORT_KIND, ".csv")
    try:
        rows = await hass.async_add_executor_job(
            _write_csv, audit_log(hass), exports_dir(hass), name
        )
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="audit_export_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    await async_audit(
        hass, call.context, AuditAction.AUDIT_EXPORTED, details={"file": name, "rows": rows}
    )
    return {"file": name, "download_path": download_path(name), "rows": rows}


@callback
def async_setup_audit_actions(hass: HomeAssistant) -> None:
    """Register the audit log actions and the snapshot key rotation (administrators only)."""
    async_register_action(
        hass,
        SERVICE_VERIFY_AUDIT_LOG,
        _async_verify,
        probatio.Schema({}),
        SupportsResponse.ONLY,
    )
    async_register_action(
        hass,
        SERVICE_EXPORT_AUDIT_LOG,
        _async_export,
        probatio.Schema({}),
        SupportsResponse.OPTIONAL,
    )
    async_setup_key_rotation(hass)
