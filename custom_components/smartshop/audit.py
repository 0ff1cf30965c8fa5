"""The audit log: who did what to whom, append-only and hash-chained.

Every watchlist change, review, export, erasure, find-by-face, view of names and settings change
is one row in the integration's database. Each row's hash covers its own fields and the hash of
the row before, so an edited, inserted or deleted row breaks the chain from that row on, and
``verify`` names the first broken row. SQLite triggers refuse UPDATE and DELETE, so nothing in
SmartShop can rewrite history by mistake; the chain catches anyone who edits the file directly.

Rows hold identifiers, file names, field names and counts — never a face, a photo, a name or an
entry's reason — so the log can outlive an erasure and still prove it happened. The one free text
is the legal claim an owner gives for keeping evidence packs at an erasure, refused when it holds
the person's name.

No Home Assistant imports in the blocking part (``AuditLog``); ``async_audit`` is the one way the
integration writes a row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .incidents import IncidentStore

GENESIS: Final = "0" * 64
CSV_COLUMNS: Final = ("seq", "at", "actor", "action", "store_id", "subject", "details", "hash")


class AuditAction(StrEnum):
    """What happened (the ``action`` column)."""

    ENROL = "enrol"
    UPDATE = "update"
    APPROVE = "approve"
    ADD_PHOTO = "add_photo"
    REMOVE_PHOTO = "remove_photo"
    REMOVE = "remove"  # by staff: the erasure receipt is in details
    EXPIRE = "expire"  # the daily job removed an expired entry
    REVIEW = "review"
    THRESHOLD = "threshold"  # an entry's own threshold changed
    LIST_PEOPLE = "list_people"  # someone was shown names
    FIND_BY_FACE = "find_by_face"
    EXPORT = "export"  # a subject-access export
    PURGE = "purge"  # retention: incidents anonymised or deleted
    SETTINGS = "settings"  # options or compliance settings changed
    KEY_ROTATED = "key_rotated"
    CREDENTIALS_ROTATED = "credentials_rotated"  # a store's API token and engine keys
    REEMBED = "reembed"  # a store's watchlists were indexed again from the kept photos
    AUDIT_EXPORTED = "audit_exported"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the log."""

    seq: int
    at: datetime
    actor: str
    action: str
    store_id: str
    subject: str
    details: dict[str, Any]
    hash: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (action responses, exports)."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "store_id": self.store_id,
            "subject": self.subject,
            "details": self.details,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The result of verifying the chain."""

    rows: int
    first_broken: int | None  # seq of the first row that does not verify
    reason: str

    @property
    def intact(self) -> bool:
        """True when every row verifies."""
        return self.first_broken is None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "intact": self.intact,
            "rows": self.rows,
            "first_broken_row": self.first_broken,
            "reason": self.reason,
        }


def _canonical_details(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(
    prev_hash: str,
    seq: int,
    at: str,
    actor: str,
    action: str,
    store_id: str,
    subject: str,
    details: str,
) -> str:
    """The hash that chains a row to the one before it."""
    body = json.dumps(
        [prev_hash, seq, at, actor, action, store_id, subject, details],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


class AuditLog:
    """Blocking API over the audit table; call it from an executor."""

    def __init__(self, database: IncidentStore) -> None:
        """Use the incident database (same file, same write lock)."""
        self._database = database

    def append(
        self,
        action: AuditAction,
        *,
        actor: str,
        store_id: str = "",
        subject: str = "",
        details: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Add one row, chained to the last one, in one transaction."""
        when = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
        text = _canonical_details(details or {})
        with self._database.connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                last = connection.execute(
                    "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                seq, prev = (int(last["seq"]) + 1, str(last["hash"])) if last else (1, GENESIS)
                digest = row_hash(prev, seq, when, actor, str(action), store_id, subject, text)
                connection.execute(
                    "INSERT INTO audit_log "
                    "(seq, at, actor, action, store_id, subject, details, prev_hash, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (seq, when, actor, str(action), store_id, subject, text, prev, digest),
                )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        return AuditEntry(
            seq,
            datetime.fromisoformat(when),
            actor,
            str(action),
            store_id,
            subject,
            json.loads(text),
            digest,
        )

    def entries(
        self, *, subject: str | None = None, store_id: str | None = None, limit: int | None = None
    ) -> list[AuditEntry]:
        """Rows, oldest first, optionally about one subject or one store (newest ``limit``)."""
        clauses, params = [], []
        if subject is not None:
            clauses.append("subject = ?")
            params.append(subject)
        if store_id is not None:
            clauses.append("store_id = ?")
            params.append(store_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT * FROM audit_log {where} ORDER BY seq DESC"  # noqa: S608 (fixed clauses)
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._database.connect() as connection:
            rows = connection.execute(sql, params).fetchall()
        return [
            AuditEntry(
                int(row["seq"]),
                datetime.fromisoformat(row["at"]),
                row["actor"],
                row["action"],
                row["store_id"],
                row["subject"],
                json.loads(row["details"]),
                row["hash"],
            )
            for row in reversed(rows)
        ]

    def verify(self) -> ChainCheck:
        """Recompute the chain from the first row; report the first row that does not verify."""
        expected_prev, expected_seq, count = GENESIS, 1, 0
        with self._database.connect() as connection:
            cursor = connection.execute("SELECT * FROM audit_log ORDER BY seq")
            for row in cursor:
                count += 1
                seq = int(row["seq"])
                if seq != expected_seq:
                    return ChainCheck(count, seq, f"row {expected_seq} is missing")
                if row["prev_hash"] != expected_prev:
                    return ChainCheck(count, seq, "does not follow the row before it")
                digest = row_hash(
                    row["prev_hash"],
                    seq,
                    row["at"],
                    row["actor"],
                    row["action"],
                    row["store_id"],
                    row["subject"],
                    row["details"],
                )
                if digest != row["hash"]:
                    return ChainCheck(count, seq, "its content was changed after it was written")
                expected_prev, expected_seq = row["hash"], seq + 1
        return ChainCheck(count, None, "every row verifies")

    def export_csv(self, path: Path) -> int:
        """Write the whole log as CSV (atomically, 0600); returns the number of rows."""
        temporary = path.with_name(f".{path.name}.tmp")
        count = 0
        with (
            self._database.connect() as connection,
            temporary.open("w", newline="", encoding="utf-8") as handle,
        ):
            temporary.chmod(0o600)
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for row in connection.execute("SELECT * FROM audit_log ORDER BY seq"):
                writer.writerow([row[column] for column in CSV_COLUMNS])
                count += 1
        temporary.replace(path)
        return count
