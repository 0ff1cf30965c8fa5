"""Erasure of a watchlist entry everywhere SmartShop holds it, with a receipt.

Removing a person deletes, in this order:

1. on the recognition backend: the person's user and every face (photo) in the collection of
   their watchlist, through the store that enrolled them (so also in a collection several stores
   share);
2. on this Home Assistant: the entry (metadata), its reference photo and stored photos, every
   incident about the person (whichever store recorded it) with its evidence crop, and a pending
   suggestion to review the entry;
3. in the exports folder: every file recorded as holding the person's data (subject-access
   archives and evidence packs, see export_records.py), except the evidence packs the owner keeps
   for a legal claim (``keep_evidence_for``: the claim, kept with them and listed in the receipt).
   A recorded file that is no longer there (deleted by hand) counts as already gone; one that
   cannot be deleted makes the receipt's status ``exports_not_deleted`` and is listed with why.

When the backend cannot be reached, what is held here is removed anyway and the backend part is
remembered (:class:`PendingErasures`, in Home Assistant's private storage): it is retried when
the store sets up and every ``ERASURE_RETRY_INTERVAL`` while it runs, and a repair issue says so
until the backend confirms. The receipt (returned to the caller) lists what was removed, when,
by whom and whether the erasure is complete; its counts and ids are the REMOVE row of the audit
log — never a name, a photo or the entry's reason (the one text in it is the owner's ground for
keeping an evidence pack, which may not name the person).

The local part runs under ``exports_lock``: an export of the person being written meanwhile is
finished and recorded first (and deleted), or starts after and finds nobody.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .audit import AuditAction
from .const import DOMAIN, ISSUE_ERASURE_INCOMPLETE, LOGGER
from .data import SmartShopConfigEntry
from .database import async_actor, async_audit, export_records
from .export_records import ExportKind, ExportRecords
from .exports import exports_dir, exports_lock, is_export_name
from .incidents import IncidentStore
from .people import Person
from .recognition import CollectionNotFoundError, RecognitionClient, RecognitionError
from .review import async_delete_review_issue
from .snapshots import SnapshotKind, SnapshotStore

STORAGE_KEY: Final = f"{DOMAIN}.pending_erasures"
STORAGE_VERSION: Final = 1
DATA_PENDING: HassKey[PendingErasures] = HassKey(f"{DOMAIN}_pending_erasures")
STATUS_COMPLETE: Final = "complete"
STATUS_PENDING: Final = "pending_backend"
STATUS_EXPORTS_LEFT: Final = "exports_not_deleted"


@dataclass(slots=True, kw_only=True)
class BackendErasure:
    """What the backend still has to delete for one erased person."""

    store_id: str
    person_id: str
    collection_id: str
    face_ids: list[str] = field(default_factory=list)
    user_known: bool = False  # the person was a user on the backend: deleting it must work
    requested_at: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BackendErasure:
        """Load from storage."""
        return cls(
            store_id=str(data["store_id"]),
            person_id=str(data["person_id"]),
            collection_id=str(data["collection_id"]),
            face_ids=[str(face) for face in data.get("face_ids", [])],
            user_known=bool(data.get("user_known", False)),
            requested_at=str(data.get("requested_at", "")),
        )


class PendingErasures:
    """Backend deletions still owed, for every store, kept until the backend confirms them."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Attach to the storage file (read by ``async_load``)."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, STORAGE_KEY, private=True, atomic_writes=True
        )
        self._jobs: list[BackendErasure] = []
        self._loaded = False

    async def async_load(self) -> None:
        """Read the file once; memory is the truth afterwards."""
        if self._loaded:
            return
        data = await self._store.async_load() or {}
        self._loaded = True
        self._jobs = [BackendErasure.from_dict(item) for item in data.get("erasures", [])]

    async def _async_save(self) -> None:
        await self._store.async_save({"erasures": [asdict(job) for job in self._jobs]})

    def of_store(self, store_id: str) -> list[BackendErasure]:
        """The deletions one store's backend still owes."""
        return [job for job in self._jobs if job.store_id == store_id]

    async def async_add(self, job: BackendErasure) -> None:
        """Remember a deletion (saved at once)."""
        self._jobs.append(job)
        await self._async_save()

    async def async_done(self, job: BackendErasure) -> None:
        """Forget a deletion the backend confirmed (saved at once)."""
        self._jobs = [
            other
            for other in self._jobs
            if (other.store_id, other.person_id) != (job.store_id, job.person_id)
        ]
        await self._async_save()

    async def async_forget_store(self, store_id: str) -> int:
        """Drop a removed store's deletions (nothing can reach its backend any more)."""
        dropped = len(self.of_store(store_id))
        if dropped:
            self._jobs = [job for job in self._jobs if job.store_id != store_id]
            await self._async_save()
        return dropped


async def async_pending_erasures(hass: HomeAssistant) -> PendingErasures:
    """The one list of pending backend deletions of this Home Assistant, loaded."""
    if (pending := hass.data.get(DATA_PENDING)) is None:
        pending = hass.data[DATA_PENDING] = PendingErasures(hass)
    await pending.async_load()
    return pending


def erasure_issue_id(store_id: str) -> str:
    """The repair issue of a store whose backend still holds erased people."""
    return f"{ISSUE_ERASURE_INCOMPLETE}_{store_id}"


@callback
def async_sync_erasure_issue(
    hass: HomeAssistant, entry: SmartShopConfigEntry, jobs: list[BackendErasure]
) -> None:
    """Raise the store's issue while deletions are owed (with counts), delete it once none are."""
    issue_id = erasure_issue_id(entry.entry_id)
    if not jobs:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_ERASURE_INCOMPLETE,
        translation_placeholders={
            "store": entry.title,
            "people": str(len(jobs)),
            "faces": str(sum(len(job.face_ids) for job in jobs)),
        },
    )


async def _async_delete_from_backend(client: RecognitionClient, job: BackendErasure) -> list[str]:
    """Delete the person's user, then their faces (AWS refuses to delete faces associated with a
    user); returns the face ids the backend reports deleted. Raises RecognitionError.

    For a person not known to be a user, a refused user deletion is only logged: there may be
    no user at all. A collection that no longer exists took the faces with it.
    """
    try:
        if job.user_known:
            await client.delete_user(job.collection_id, job.person_id)
        else:
            try:
                await client.delete_user(job.collection_id, job.person_id)
            except RecognitionError as err:
                LOGGER.debug("No user deleted for entry %s: %s", job.person_id, err)
        if not job.face_ids:
            return []
        return await client.delete_faces(job.collection_id, job.face_ids)
    except CollectionNotFoundError:
        return []


@dataclass(frozen=True, slots=True)
class LocalErasure:
    """What was deleted on this Home Assistant."""

    photos: int
    incidents: int
    snapshots: int


def _forget_locally(
    snapshots: SnapshotStore, incidents: IncidentStore, person: Person
) -> LocalErasure:
    """Delete the stored photos (reference and every photo), the person's incidents (every
    store's) and their evidence crops (blocking: run in an executor)."""
    photos = int(snapshots.delete(SnapshotKind.REFERENCE, person.person_id))
    for face_id in person.face_ids:
        try:
            photos += int(snapshots.delete(SnapshotKind.PHOTO, face_id))
        except ValueError:
            LOGGER.debug("No stored photo for face %s", face_id)
    deleted = incidents.delete_person(person.person_id)
    crops = sum(
        int(snapshots.delete(SnapshotKind.INCIDENT, incident.incident_id)) for incident in deleted
    )
    return LocalErasure(photos=photos, incidents=len(deleted), snapshots=crops)


@dataclass(slots=True)
class ExportErasure:
    """What became of the export files holding the person's data."""

    deleted: list[str] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)
    not_deleted: list[dict[str, str]] = field(default_factory=list)


def _unlink(path: Path) -> bool:
    """Delete a file: True if it was there, False if it was not. Raises OSError otherwise."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _erase_exports(
    folder: Path,
    records: ExportRecords,
    person_id: str,
    keep_evidence_for: str | None,
    now: datetime,
) -> ExportErasure:
    """Delete every export file recorded as holding the person's data (and the temporary of a
    write cut short), except evidence packs kept for a legal claim, which are marked as held.
    The records of files gone are dropped; a file that cannot be deleted keeps its record and
    is reported (blocking: run in an executor)."""
    result = ExportErasure()
    for record in records.of_person(person_id):
        kind = str(record.kind)
        if keep_evidence_for and record.kind is ExportKind.EVIDENCE_PACK:
            records.hold(record.file, person_id, reason=keep_evidence_for, at=now)
            result.kept.append({"file": record.file, "kind": kind, "reason": keep_evidence_for})
            continue
        if not is_export_name(record.file):
            error = "not a file name of the exports folder"
            result.not_deleted.append({"file": record.file, "kind": kind, "error": error})
            continue
        path = folder / record.file
        try:
            _unlink(path.with_name(f".{record.file}.tmp"))
            deleted = _unlink(path)
        except OSError as err:
            LOGGER.warning("Export %s of entry %s not deleted: %s", record.file, person_id, err)
            result.not_deleted.append(
                {"file": record.file, "kind": kind, "error": err.strerror or type(err).__name__}
            )
            continue
        (result.deleted if deleted else result.already_gone).append(record.file)
        records.forget(record.file, person_id)
    return result


def _collection_of(entry: SmartShopConfigEntry, person: Person) -> str | None:
    """The collection holding the person's faces: their watchlist's, or the one remembered for
    a watchlist no longer configured."""
    manager = entry.runtime_data.watchlists
    if (watchlist := manager.watchlists.get(person.watchlist_id)) is not None:
        return watchlist.collection_id
    known = manager.store.watchlists.get(person.watchlist_id)
    return known.collection_id if known is not None else None


async def async_erase_exports(hass: HomeAssistant, person_id: str) -> ExportErasure:
    """Delete every export file recorded as holding the person's data (an entry the expiry
    purge removed: nothing of it is left to export, and its photos and incidents are gone)."""
    async with exports_lock(hass):
        return await hass.async_add_executor_job(
            _erase_exports,
            exports_dir(hass),
            export_records(hass),
            person_id,
            None,
            dt_util.utcnow(),
        )


async def async_erase_person(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    person: Person,
    context: Context,
    *,
    keep_evidence_for: str | None = None,
) -> dict[str, Any]:
    """Erase one person everywhere; returns the receipt (also the audit row's details).

    ``keep_evidence_for``, the legal claim the owner keeps the person's evidence packs for
    (checked by the caller not to name the person), keeps them in the exports folder.
    """
    data = entry.runtime_data
    now = dt_util.utcnow()
    collection_id = _collection_of(entry, person)
    deleted_faces: list[str] = []
    pending: BackendErasure | None = None
    if collection_id is not None:
        job = BackendErasure(
            store_id=entry.entry_id,
            person_id=person.person_id,
            collection_id=collection_id,
            face_ids=list(person.face_ids),
            user_known=person.user_created,
            requested_at=now.isoformat(),
        )
        try:
            deleted_faces = await _async_delete_from_backend(data.client, job)
        except RecognitionError as err:
            LOGGER.warning(
                "%s: entry %s erased here; the backend part is retried (%s)",
                entry.title,
                person.person_id,
                err,
            )
            pending = job
    if pending is not None:
        queue = await async_pending_erasures(hass)
        await queue.async_add(pending)
        async_sync_erasure_issue(hass, entry, queue.of_store(entry.entry_id))
    async with exports_lock(hass):
        data.watchlists.store.pop(person.person_id)
        await data.watchlists.store.async_save()
        local = await hass.async_add_executor_job(
            _forget_locally, data.snapshots, data.incidents, person
        )
        exports = await hass.async_add_executor_job(
            _erase_exports,
            exports_dir(hass),
            export_records(hass),
            person.person_id,
            keep_evidence_for,
            now,
        )
    async_delete_review_issue(hass, person.person_id, user_id=context.user_id)
    if exports.not_deleted:
        status = STATUS_EXPORTS_LEFT
    else:
        status = STATUS_PENDING if pending is not None else STATUS_COMPLETE
    details: dict[str, Any] = {
        "status": status,
        "removed_at": now.isoformat(),
        "collection_ids": [collection_id] if collection_id is not None else [],
        "faces_deleted": list(deleted_faces),
        "faces_pending": list(pending.face_ids) if pending is not None else [],
        "user_pending": pending is not None,
        "counts": {
            "faces": len(person.face_ids),
            "photos": local.photos,
            "incidents": local.incidents,
            "snapshots": local.snapshots,
            "exports": len(exports.deleted),
            "exports_already_gone": len(exports.already_gone),
        },
        "exports_deleted": exports.deleted,
        "exports_kept": exports.kept,
        "exports_not_deleted": exports.not_deleted,
    }
    actor = await async_actor(hass, context)
    await async_audit(
        hass,
        context,
        AuditAction.REMOVE,
        store_id=entry.entry_id,
        subject=person.person_id,
        details=details,
        actor=actor,
    )
    return {
        "person_id": person.person_id,
        "store": entry.title,
        "config_entry_id": entry.entry_id,
        "removed_by": actor,
        **details,
    }


async def async_retry_erasures(
    hass: HomeAssistant, entry: SmartShopConfigEntry, client: RecognitionClient
) -> int:
    """Try the store's owed backend deletions again (at set-up and on the retry timer).

    Stops at the first refusal, so a backend that is still down is not asked again for every
    person. Each completed deletion is one REMOVE row of the audit log (by the system). Returns
    how many completed; the repair issue follows what is still owed.
    """
    queue = await async_pending_erasures(hass)
    completed = 0
    for job in queue.of_store(entry.entry_id):
        try:
            deleted = await _async_delete_from_backend(client, job)
        except RecognitionError as err:
            LOGGER.info(
                "%s: erased entries still on the backend (will retry): %s", entry.title, err
            )
            break
        await queue.async_done(job)
        completed += 1
        await async_audit(
            hass,
            None,
            AuditAction.REMOVE,
            store_id=entry.entry_id,
            subject=job.person_id,
            details={
                "status": STATUS_COMPLETE,
                "backend_retry": True,
                "requested_at": job.requested_at,
                "collection_ids": [job.collection_id],
                "faces_deleted": deleted,
            },
        )
    async_sync_erasure_issue(hass, entry, queue.of_store(entry.entry_id))
    if completed:
        LOGGER.info("%s: %s erasures completed on the backend", entry.title, completed)
    return completed


async def async_forget_store_erasures(hass: HomeAssistant, store_id: str) -> None:
    """A removed store: its owed deletions can no longer be made here; log and drop them."""
    queue = await async_pending_erasures(hass)
    if dropped := await queue.async_forget_store(store_id):
        LOGGER.warning(
            "Store removed with %s erased entries still on its backend; delete them there "
            "(the audit log lists them as pending)",
            dropped,
        )
    ir.async_delete_issue(hass, DOMAIN, erasure_issue_id(store_id))
