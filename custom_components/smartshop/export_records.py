"""Which files in the exports folder hold which person's data, so that erasure reaches them.

What SmartShop writes into ``<config>/smartshop/exports`` (exports.py), and what each holds of a
watchlisted person:

- a subject-access archive (subject_access.py): the entry with its name, reason and incident
  reference, every stored photo and the reference photo, the incidents with their evidence crops,
  and the audit rows about the person;
- an evidence pack (evidence_pack.py): the match crop and the entry's reference photo of one
  confirmed incident, with its time, place, reviewer and the reviewer's reason (the person's face,
  not their name);
- an audit-log CSV (audit_actions.py): every row of the audit log. Rows hold identifiers, field
  names and counts, so a person appears only as their entry's random UUID (staff appear by their
  user name), never by name or face;
- a period report, PDF and CSV (reports.py): incidents by time, store, camera, location,
  watchlist, category, outcome and similarity, with their incident id: no name, no photo, not
  even the entry's UUID.

The first two show or name one person and are recorded here, with that person's UUID, when they
are written; the last two show and name no one and are not. A file is recorded *before* it is
written, so a file that exists is always known; a record whose file never came to be (a failed
write) is harmless, as erasure counts a missing file as already gone.

The records are a table (``export_files``) in the integration's database rather than a manifest
beside the exports because the record has to be as durable as the audit row that proves the
erasure and change with the rest of an erasure: the database has one write lock, transactions and
versioned migrations, and is in Home Assistant's backups with the audit log. Its migration also
finds the exports written before the table existed, from the audit log's export rows about a
person. A manifest in the exports folder would be one more file to lock and rewrite atomically,
would be copied or deleted by hand with the exports, and a damaged one would go unnoticed.

After an erasure, an evidence pack kept for a legal claim stays recorded with the reason and time
it was kept (``held_reason``, ``held_at``); the records of deleted files go.

No Home Assistant imports: every method blocks, so callers run it in an executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .incidents import IncidentStore


class ExportKind(StrEnum):
    """What an export about a person is."""

    SUBJECT_ACCESS = "subject_access"
    EVIDENCE_PACK = "evidence_pack"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportRecord:
    """One export file holding one person's data."""

    file: str
    person_id: str
    kind: ExportKind
    created_at: datetime
    held_reason: str | None = None
    held_at: datetime | None = None


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("export times must be timezone-aware")
    return value.astimezone(UTC).isoformat()


def _record(row: sqlite3.Row) -> ExportRecord:
    held_at = row["held_at"]
    return ExportRecord(
        file=row["file"],
        person_id=row["person_id"],
        kind=ExportKind(row["kind"]),
        created_at=datetime.fromisoformat(row["created_at"]).astimezone(UTC),
        held_reason=row["held_reason"],
        held_at=datetime.fromisoformat(held_at).astimezone(UTC) if held_at else None,
    )


class ExportRecords:
    """Blocking API over the ``export_files`` table; call it from an executor."""

    def __init__(self, database: IncidentStore) -> None:
        """Use the incident database (same file, same write lock)."""
        self._database = database

    def add(self, file: str, person_id: str, kind: ExportKind, *, at: datetime) -> None:
        """Record that ``file`` holds the person's data (again, if a file of that name was
        recorded before: it is being replaced)."""
        if not person_id:
            raise ValueError("an export record needs the person's id")
        with self._database.connect() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO export_files (file, person_id, kind, created_at) "
                "VALUES (?, ?, ?, ?)",
                (file, person_id, str(kind), _iso(at)),
            )

    def of_person(self, person_id: str) -> list[ExportRecord]:
        """Every export recorded as holding the person's data, oldest first."""
        with self._database.connect() as connection:
            rows = connection.execute(
                "SELECT * FROM export_files WHERE person_id = ? ORDER BY created_at, file",
                (person_id,),
            ).fetchall()
        return [_record(row) for row in rows]

    def forget(self, file: str, person_id: str) -> None:
        """The file is gone: drop its record."""
        with self._database.connect() as connection:
            connection.execute(
                "DELETE FROM export_files WHERE file = ? AND person_id = ?", (file, person_id)
            )

    def hold(self, file: str, person_id: str, *, reason: str, at: datetime) -> None:
        """The file is kept for a legal claim after its person was erased: say why and since
        when."""
        with self._database.connect() as connection:
            connection.execute(
                "UPDATE export_files SET held_reason = ?, held_at = ? "
                "WHERE file = ? AND person_id = ?",
                (reason, _iso(at), file, person_id),
            )
