"""Subject-access export: everything SmartShop holds about one watchlisted person, in one zip.

The archive, written to the exports folder (0600) for an administrator to download, holds:

- ``summary.txt``: in plain words, what is held, why, since when, who added it, expiry and
  review dates, and how many photos, incidents and audit entries;
- ``entry.json``: the entry's metadata;
- ``photos/<face_id>.jpg``: every stored photo, and ``photos/reference.jpg``, the one staff see;
- ``incidents.json`` and ``incidents/<incident_id>.jpg``: every incident about the person, with
  its review, and the evidence crops still held;
- ``audit.json``: every row of the audit log about the person.

It is built in an executor, under a temporary name renamed when complete, so a half-written
archive is never offered. Every ``PROGRESS_EVERY`` images (and once at the end) a
``smartshop_export_progress`` event reports ``{export, done, total}``. The export itself is an
EXPORT row of the audit log (file name and counts), and the archive is recorded as holding the
person's data (export_records.py): erasing the person deletes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
import json
from pathlib import Path
from typing import Any, Final
import zipfile

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from .audit import AuditAction, AuditEntry
from .const import DOMAIN, EVENT_EXPORT_PROGRESS
from .data import SmartShopConfigEntry
from .database import async_audit, async_record_export, audit_log
from .export_records import ExportKind
from .exports import (
    download_path,
    export_name,
    exports_dir,
    exports_lock,
    prepare_export_path,
)
from .incidents import Incident, IncidentStore
from .people import Person
from .snapshots import SnapshotKind, SnapshotStore

PROGRESS_EVERY: Final = 25
MAX_INCIDENTS: Final = 100_000


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectData:
    """What is held about one person, gathered before the archive is written."""

    person: Person
    store: str
    watchlist: str
    incidents: list[Incident]
    audit: list[AuditEntry]


@dataclass(frozen=True, slots=True)
class ExportCounts:
    """How much went into an archive."""

    photos: int
    incidents: int
    evidence: int
    audit_entries: int

    def as_dict(self) -> dict[str, int]:
        """JSON-friendly form."""
        return {
            "photos": self.photos,
            "incidents": self.incidents,
            "evidence": self.evidence,
            "audit_entries": self.audit_entries,
        }


def _date(value: datetime) -> str:
    return dt_util.as_local(value).strftime("%d %B %Y")


def summary_text(data: SubjectData, counts: ExportCounts, made_at: datetime) -> str:
    """The archive's plain-words summary."""
    person = data.person
    lines = [
        "Personal data held by SmartShop",
        "",
        f"Made on {_date(made_at)} for the person with reference {person.person_id}.",
        "",
        f"What is held: a watchlist entry in the store {data.store!r}, on the watchlist "
        f"{data.watchlist!r} (category: {person.category}), with {counts.photos} photo(s) of the "
        "face, a biometric template of each photo on the recognition backend, and "
        f"{counts.incidents} record(s) of being recognised at the store ({counts.evidence} with "
        "an image of the face as evidence).",
        f"Name recorded: {person.display_name}",
        f"Why: {person.reason}",
        f"Incident reference: {person.incident_reference}",
        f"Added by: {person.added_by}",
        f"Held since: {_date(person.added_at)}",
        f"Deleted automatically on: {_date(person.expires_at)}",
        f"Next review by staff: {_date(person.review_at)}",
        f"Actions recorded about this entry (audit log): {counts.audit_entries}",
        "",
        "Files: entry.json (the entry), photos/ (the photos), incidents.json and incidents/ "
        "(each recognition, its review and its evidence image), audit.json (who did what to "
        "this entry, and when).",
        "",
    ]
    return "\n".join(lines)


def _incident_record(incident: Incident) -> dict[str, Any]:
    record = incident.as_dict()
    record.pop("store_id", None)
    return record


def write_archive(
    path: Path,
    data: SubjectData,
    snapshots: SnapshotStore,
    made_at: datetime,
    progress: Callable[[int, int], None],
) -> ExportCounts:
    """Write the zip (blocking: run in an executor): a temporary file first, 0600, renamed."""
    person = data.person
    images: list[tuple[str, SnapshotKind, str]] = [
        ("photos/reference.jpg", SnapshotKind.REFERENCE, person.person_id)
    ]
    images += [(f"photos/{face}.jpg", SnapshotKind.PHOTO, face) for face in person.face_ids]
    images += [
        (f"incidents/{i.incident_id}.jpg", SnapshotKind.INCIDENT, i.incident_id)
        for i in data.incidents
    ]
    temporary = path.with_name(f".{path.name}.tmp")
    photos = evidence = 0
    try:
        with temporary.open("wb") as handle:
            temporary.chmod(0o600)
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for done, (name, kind, ident) in enumerate(images, start=1):
                    try:
                        jpeg = snapshots.load(kind, ident)
                    except ValueError:
                        jpeg = None  # an id no stored file can have
                    if jpeg is not None:
                        archive.writestr(name, jpeg)
                        if kind is SnapshotKind.INCIDENT:
                            evidence += 1
                        else:
                            photos += 1
                    if done % PROGRESS_EVERY == 0 or done == len(images):
                        progress(done, len(images))
                counts = ExportCounts(photos, len(data.incidents), evidence, len(data.audit))
                archive.writestr("summary.txt", summary_text(data, counts, made_at))
                entry = person.as_dict() | {"store": data.store, "watchlist": data.watchlist}
                archive.writestr("entry.json", json.dumps(entry, indent=2, ensure_ascii=False))
                archive.writestr(
                    "incidents.json",
                    json.dumps(
                        [_incident_record(i) for i in data.incidents], indent=2, ensure_ascii=False
                    ),
                )
                archive.writestr(
                    "audit.json",
                    json.dumps([e.as_dict() for e in data.audit], indent=2, ensure_ascii=False),
                )
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return counts


def _gather(
    hass: HomeAssistant, incidents: IncidentStore, person: Person, store: str, watchlist: str
) -> SubjectData:
    """Read the person's incidents (every store's) and audit rows (blocking)."""
    held = incidents.query(person_id=person.person_id, limit=MAX_INCIDENTS)
    return SubjectData(
        person=person,
        store=store,
        watchlist=watchlist,
        incidents=sorted(held, key=lambda incident: incident.occurred_at),
        audit=audit_log(hass).entries(subject=person.person_id),
    )


async def async_export_person(
    hass: HomeAssistant, entry: SmartShopConfigEntry, person: Person, context: Context
) -> dict[str, Any]:
    """Write the person's archive; the action's response (file, download path, counts)."""
    made_at = dt_util.utcnow()
    name = export_name(f"subject-access-{person.person_id[:8]}", ".zip", made_at)

    def progress(done: int, total: int) -> None:
        # Called in the executor: Bus.fire hands the event to the event loop.
        hass.bus.fire(
            EVENT_EXPORT_PROGRESS, {"export": name, "done": done, "total": total}, context=context
        )

    # An erasure meanwhile either waits for the archive (and deletes it) or has already taken
    # the person: then there is nothing to export.
    async with exports_lock(hass):
        if entry.runtime_data.watchlists.store.get(person.person_id) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="person_not_found",
                translation_placeholders={"person_id": person.person_id},
            )
        watchlist = entry.runtime_data.watchlists.watchlists.get(person.watchlist_id)
        data = await hass.async_add_executor_job(
            _gather,
            hass,
            entry.runtime_data.incidents,
            Person.from_dict(person.as_dict()),  # a copy: staff may change the entry meanwhile
            entry.title,
            watchlist.name if watchlist is not None else person.watchlist_id,
        )
        path = await hass.async_add_executor_job(prepare_export_path, exports_dir(hass), name)
        await async_record_export(hass, name, person.person_id, ExportKind.SUBJECT_ACCESS)
        counts = await hass.async_add_executor_job(
            write_archive, path, data, entry.runtime_data.snapshots, made_at, progress
        )
    await async_audit(
        hass,
        context,
        AuditAction.EXPORT,
        store_id=entry.entry_id,
        subject=person.person_id,
        details={"file": name, **counts.as_dict()},
    )
    return {
        "file": name,
        "download_path": download_path(name),
        "person_id": person.person_id,
        "counts": counts.as_dict(),
    }
