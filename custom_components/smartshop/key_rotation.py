"""Replace the snapshot key: the ``rotate_snapshot_key`` action, and the resumption of a rotation
that a restart or a write error interrupted.

A rotation is crash-safe in three steps: the new key is saved first, in front of the old one (from
then on every image decrypts with either, and new images use the new key); every stored image is
re-encrypted with the new key, one atomic write per file; only then is the old key dropped from
storage. Interrupted anywhere, the storage still holds every key some file may need, and the next
start (or the next call) finishes the job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cryptography.fernet import Fernet
from homeassistant.core import (
    Context,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util.hass_dict import HassKey
import probatio

from .audit import AuditAction
from .const import DOMAIN, LOGGER
from .database import async_audit
from .permissions import async_register_action
from .snapshots import (
    DATA_SNAPSHOTS,
    Reencrypted,
    SnapshotKind,
    SnapshotStore,
    async_load_keys,
    async_save_keys,
)

SERVICE_ROTATE_SNAPSHOT_KEY: Final = "rotate_snapshot_key"
EVENT_KEY_ROTATION_PROGRESS: Final = f"{DOMAIN}_key_rotation_progress"
PROGRESS_EVERY: Final = 50  # files per executor job and per progress event
DATA_ROTATION_LOCK: HassKey[asyncio.Lock] = HassKey(f"{DOMAIN}_key_rotation_lock")


@dataclass(frozen=True, slots=True)
class RotationResult:
    """What a rotation did."""

    reencrypted: int
    failed: int  # images no key could decrypt (already unreadable; left as they were)


def _reencrypt_batch(
    snapshots: SnapshotStore, batch: Sequence[tuple[SnapshotKind, str]]
) -> list[Reencrypted]:
    return [snapshots.reencrypt(kind, ident) for kind, ident in batch]


async def async_rotate_snapshot_key(
    hass: HomeAssistant, context: Context | None, *, new_key: bool = True
) -> RotationResult | None:
    """Re-encrypt every stored image with a new key (``new_key``) or with the newest stored one
    (finishing an interrupted rotation; None if there is none to finish).

    A write error (``OSError``) stops the rotation with every key still stored.
    """
    async with hass.data[DATA_ROTATION_LOCK]:
        keys = await async_load_keys(hass)
        if new_key:
            keys = [Fernet.generate_key(), *keys]
        elif len(keys) < 2:
            return None
        snapshots = hass.data[DATA_SNAPSHOTS]
        # Saved before any file changes: whatever happens next, every key a file needs is kept.
        await async_save_keys(hass, keys)
        await hass.async_add_executor_job(snapshots.use_keys, keys)
        stored = await hass.async_add_executor_job(snapshots.stored)
        outcomes: list[Reencrypted] = []
        for start in range(0, len(stored), PROGRESS_EVERY):
            batch = stored[start : start + PROGRESS_EVERY]
            outcomes += await hass.async_add_executor_job(_reencrypt_batch, snapshots, batch)
            hass.bus.async_fire(
                EVENT_KEY_ROTATION_PROGRESS,
                {"done": start + len(batch), "total": len(stored)},
                context=context,
            )
        await async_save_keys(hass, keys[:1])
        await hass.async_add_executor_job(snapshots.use_keys, keys[:1])
    result = RotationResult(
        reencrypted=outcomes.count(Reencrypted.DONE), failed=outcomes.count(Reencrypted.UNREADABLE)
    )
    if result.failed:
        LOGGER.warning(
            "Snapshot key rotated; %d stored images could not be decrypted with any key and "
            "were left as they were",
            result.failed,
        )
    await async_audit(
        hass,
        context,
        AuditAction.KEY_ROTATED,
        details={"files": result.reencrypted, "failed": result.failed, "resumed": not new_key},
    )
    return result


async def _async_resume(hass: HomeAssistant) -> None:
    try:
        await async_rotate_snapshot_key(hass, None, new_key=False)
    except OSError as err:
        LOGGER.error(
            "The snapshot key rotation could not finish (%s); every key is kept, so every image "
            "stays readable. It is tried again at the next start or rotation",
            err,
        )


@callback
def async_resume_key_rotation(hass: HomeAssistant, keys: Sequence[bytes]) -> None:
    """Finish, in the background, a rotation that was interrupted (more than one stored key)."""
    if len(keys) > 1:
        LOGGER.info("Finishing an interrupted snapshot key rotation")
        hass.async_create_background_task(
            _async_resume(hass), f"{DOMAIN} finish snapshot key rotation"
        )


async def _async_rotate_action(call: ServiceCall) -> ServiceResponse:
    if call.hass.data[DATA_ROTATION_LOCK].locked():
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="key_rotation_running"
        )
    try:
        result = await async_rotate_snapshot_key(call.hass, call.context)
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="key_rotation_interrupted",
            translation_placeholders={"error": str(err)},
        ) from err
    assert result is not None  # a new key always rotates
    return {"files_reencrypted": result.reencrypted, "failed": result.failed}


@callback
def async_setup_key_rotation(hass: HomeAssistant) -> None:
    """Register ``rotate_snapshot_key`` (administrators only); one rotation runs at a time."""
    hass.data[DATA_ROTATION_LOCK] = asyncio.Lock()
    async_register_action(
        hass,
        SERVICE_ROTATE_SNAPSHOT_KEY,
        _async_rotate_action,
        probatio.Schema({}),
        SupportsResponse.OPTIONAL,
    )
