"""Incident records: every match, its review and its retention, in an embedded SQLite database.

No Home Assistant imports: the store takes a path and runs each operation on a short-lived
connection, so callers run it in an executor (``hass.async_add_executor_job``) and nothing blocks
the event loop or holds a thread between calls. The schema is versioned with ``PRAGMA
user_version``; each migration runs once, in a transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
import sqlite3
import threading
from typing import Any, Final


class ReviewStatus(StrEnum):
    """Where a match stands with staff."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Incident:
    """One match, as staff will review it. No name: the person is referenced by UUID."""

    incident_id: str
    dedup_key: str
    occurred_at: datetime
    store_id: str
    store_name: str
    camera: str
    location: str
    watchlist_id: str
    watchlist: str
    category: str
    person_id: str  # '' once dismissed ("Not them") or anonymised: no longer about anyone
    similarity: float | None  # None once anonymised
    snapshot_ref: str | None = None  # the evidence crop's id while one is kept
    review_status: ReviewStatus = ReviewStatus.PENDING
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_reason: str | None = None
    anonymised_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        data = asdict(self)
        data["occurred_at"] = self.occurred_at.isoformat()
        data["reviewed_at"] = self.reviewed_at.isoformat() if self.reviewed_at else None
        data["anonymised_at"] = self.anonymised_at.isoformat() if self.anonymised_at else None
        data["review_status"] = str(self.review_status)
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionPolicy:
    """How long each kind of incident data is kept, in days from the incident.

    Evidence crops go first; then the link to the person (the incident is anonymised: person,
    evidence, similarity and the reviewer's reason go); the anonymous row, kept for trends, last.
    """

    evidence_unconfirmed: int
    evidence_confirmed: int
    link_unconfirmed: int
    link_confirmed: int
    anonymous_rows: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionResult:
    """What one retention pass removed, by kind, and the evidence crops to delete."""

    evidence_unconfirmed: int = 0
    evidence_confirmed: int = 0
    anonymised_unconfirmed: int = 0
    anonymised_confirmed: int = 0
    rows_deleted: int = 0
    evidence_ids: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        """The counts alone (for the audit log and the purge sensor)."""
        return {
            "evidence_unconfirmed": self.evidence_unconfirmed,
            "evidence_confirmed": self.evidence_confirmed,
            "anonymised_unconfirmed": self.anonymised_unconfirmed,
            "anonymised_confirmed": self.anonymised_confirmed,
            "rows_deleted": self.rows_deleted,
            "evidence_deleted": len(self.evidence_ids),
        }


@dataclass(frozen=True, slots=True)
class ReviewCounts:
    """Reviewed alerts of one camera, watchlist or store: how many staff confirmed or dismissed."""

    confirmed: int = 0
    dismissed: int = 0

    @property
    def share(self) -> float | None:
        """Percentage of reviewed alerts confirmed (one decimal); None before any review."""
        reviewed = self.confirmed + self.dismissed
        return None if reviewed == 0 else round(100 * self.confirmed / reviewed, 1)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, with the share."""
        return {"confirmed": self.confirmed, "dismissed": self.dismissed, "share": self.share}


@dataclass(frozen=True, slots=True, kw_only=True)
class Calibration:
    """How often a store's reviewed alerts were right: overall, per camera and per watchlist.

    Pending alerts are not counted. Watchlists are keyed by the name of their newest incident.
    """

    total: ReviewCounts
    cameras: dict[str, ReviewCounts]
    watchlists: dict[str, ReviewCounts]

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "total": self.total.as_dict(),
            "cameras": {key: counts.as_dict() for key, counts in self.cameras.items()},
            "watchlists": {key: counts.as_dict() for key, counts in self.watchlists.items()},
        }


_COLUMNS: Final = (
    "incident_id",
    "dedup_key",
    "occurred_at",
    "store_id",
    "store_name",
    "camera",
    "location",
    "watchlist_id",
    "watchlist",
    "category",
    "person_id",
    "similarity",
    "snapshot_ref",
    "review_status",
    "reviewed_by",
    "reviewed_at",
    "review_reason",
    "anonymised_at",
)

# Each entry moves the schema from version N to N + 1. Append; never edit a shipped migration.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """CREATE TABLE incidents (
            incident_id TEXT PRIMARY KEY,
            dedup_key TEXT NOT NULL UNIQUE,
            occurred_at TEXT NOT NULL,
            store_id TEXT NOT NULL,
            store_name TEXT NOT NULL,
            camera TEXT NOT NULL,
            location TEXT NOT NULL,
            watchlist_id TEXT NOT NULL,
            watchlist TEXT NOT NULL,
            category TEXT NOT NULL,
            person_id TEXT NOT NULL,
            similarity REAL NOT NULL,
            snapshot_ref TEXT,
            review_status TEXT NOT NULL DEFAULT 'pending',
            reviewed_by TEXT,
            reviewed_at TEXT,
            review_reason TEXT
        )""",
        "CREATE INDEX incidents_store_time ON incidents (store_id, occurred_at)",
        "CREATE INDEX incidents_person ON incidents (person_id)",
    ),
    (
        # The audit log (audit.py): append-only, each row chained to the one before by hash.
        """CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            store_id TEXT NOT NULL,
            subject TEXT NOT NULL,
            details TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""",
        "CREATE INDEX audit_log_subject ON audit_log (subject)",
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    ),
    (
        # Anonymisation: the similarity may be cleared (a rebuild, as SQLite cannot drop NOT
        # NULL), the row remembers when it was anonymised, and the evidence crop is referenced
        # by id. Rows from before kept their crop under their own id, if they had one.
        """CREATE TABLE incidents_new (
            incident_id TEXT PRIMARY KEY,
            dedup_key TEXT NOT NULL UNIQUE,
            occurred_at TEXT NOT NULL,
            store_id TEXT NOT NULL,
            store_name TEXT NOT NULL,
            camera TEXT NOT NULL,
            location TEXT NOT NULL,
            watchlist_id TEXT NOT NULL,
            watchlist TEXT NOT NULL,
            category TEXT NOT NULL,
            person_id TEXT NOT NULL,
            similarity REAL,
            snapshot_ref TEXT,
            review_status TEXT NOT NULL DEFAULT 'pending',
            reviewed_by TEXT,
            reviewed_at TEXT,
            review_reason TEXT,
            anonymised_at TEXT
        )""",
        """INSERT INTO incidents_new (
            incident_id, dedup_key, occurred_at, store_id, store_name, camera, location,
            watchlist_id, watchlist, category, person_id, similarity, snapshot_ref,
            review_status, reviewed_by, reviewed_at, review_reason
        ) SELECT
            incident_id, dedup_key, occurred_at, store_id, store_name, camera, location,
            watchlist_id, watchlist, category, person_id, similarity,
            CASE WHEN review_status = 'dismissed' THEN NULL
                 ELSE COALESCE(snapshot_ref, incident_id) END,
            review_status, reviewed_by, reviewed_at, review_reason
        FROM incidents""",
        "DROP TABLE incidents",
        "ALTER TABLE incidents_new RENAME TO incidents",
        "CREATE INDEX incidents_store_time ON incidents (store_id, occurred_at)",
        "CREATE INDEX incidents_person ON incidents (person_id)",
    ),
    (
        # The manager's console (console_queries.py): each page and trend reads one covering
        # index in its own order. Every index ends with the filterable columns it lacks.
        "CREATE INDEX incidents_time ON incidents (occurred_at, incident_id)",
        """CREATE INDEX incidents_hour ON incidents (substr(occurred_at, 1, 13), store_id,
            camera, watchlist_id, category, review_status, occurred_at)""",
        """CREATE INDEX incidents_category_hour ON incidents (category,
            substr(occurred_at, 1, 13), store_id, camera, watchlist_id, review_status,
            occurred_at)""",
        """CREATE INDEX incidents_store_status ON incidents (store_id, review_status,
            camera, watchlist_id, category, occurred_at)""",
        """CREATE INDEX incidents_camera_status ON incidents (camera, review_status,
            store_id, watchlist_id, category, occurred_at)""",
        """CREATE INDEX incidents_watchlist_status ON incidents (watchlist_id, review_status,
            store_id, camera, category, occurred_at)""",
        """CREATE INDEX incidents_person_visits ON incidents (person_id, occurred_at, camera,
            store_id, watchlist_id, category, review_status)""",
        """CREATE INDEX incidents_review_wait ON incidents
            ((julianday(reviewed_at) - julianday(occurred_at)) * 86400.0, store_id, camera,
            watchlist_id, category, review_status, occurred_at)
            WHERE reviewed_at IS NOT NULL""",
        "ANALYZE",
    ),
    (
        # Which export files hold which person's data (export_records.py), so that erasure
        # reaches them. Files written before are known from the audit log's export rows about a
        # person (subject-access archives, and evidence packs marked as such).
        """CREATE TABLE export_files (
            file TEXT NOT NULL,
            person_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            created_at TEXT NOT NULL,
            held_reason TEXT,
            held_at TEXT,
            PRIMARY KEY (file, person_id)
        )""",
        "CREATE INDEX export_files_person ON export_files (person_id)",
        """INSERT OR IGNORE INTO export_files (file, person_id, kind, created_at)
            SELECT json_extract(details, '$.file'), subject,
                CASE WHEN json_extract(details, '$.kind') = 'evidence_pack'
                     THEN 'evidence_pack' ELSE 'subject_access' END,
                at
            FROM audit_log
            WHERE action = 'export' AND subject != ''
                AND CASE WHEN json_valid(details)
                         THEN json_type(details, '$.file') = 'text' ELSE 0 END""",
    ),
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


class IncidentStoreError(Exception):
    """The database cannot be used (corrupt, or written by a newer SmartShop)."""


def _utc(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("incident times must be timezone-aware")
    return value.astimezone(UTC).isoformat()


def incident_from_row(row: sqlite3.Row) -> Incident:
    """An incident from its database row (every column, times parsed as UTC)."""
    data = dict(row)
    occurred = _utc(data.pop("occurred_at"))
    assert occurred is not None
    return Incident(
        **data
        | {
            "occurred_at": occurred,
            "reviewed_at": _utc(data["reviewed_at"]),
            "anonymised_at": _utc(data["anonymised_at"]),
            "review_status": ReviewStatus(data["review_status"]),
        }
    )


class IncidentStore:
    """Blocking API over the incident database; call it from an executor."""

    def __init__(self, path: Path) -> None:
        """Use (and create or migrate on first use) the database at path."""
        self.path = path
        self._lock = threading.Lock()
        self._ready = False

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """One short-lived connection to the (migrated) database, writes serialised."""
        with self._lock:
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            try:
                connection.row_factory = sqlite3.Row
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=FULL")
                if not self._ready:
                    self._migrate(connection)
                    self._ready = True
                yield connection
            except sqlite3.DatabaseError as err:
                raise IncidentStoreError(f"incident database {self.path.name}: {err}") from err
            finally:
                connection.close()

    def _migrate(self, connection: sqlite3.Connection) -> None:
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise IncidentStoreError(
                f"{self.path.name} has schema {version}, "
                f"newer than this SmartShop ({SCHEMA_VERSION})"
            )
        for number in range(version, SCHEMA_VERSION):
            connection.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[number]:
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {number + 1}")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def schema_version(self) -> int:
        """The database's schema version (after migrating)."""
        with self.connect() as connection:
            return int(connection.execute("PRAGMA user_version").fetchone()[0])

    def add(self, incident: Incident) -> bool:
        """Record an incident; False (and nothing written) when its dedup key is known already."""
        values = asdict(incident)
        values["occurred_at"] = _iso(incident.occurred_at)
        values["reviewed_at"] = _iso(incident.reviewed_at) if incident.reviewed_at else None
        values["anonymised_at"] = _iso(incident.anonymised_at) if incident.anonymised_at else None
        values["review_status"] = str(incident.review_status)
        placeholders = ", ".join(f":{column}" for column in _COLUMNS)
        with self.connect() as connection:
            cursor = connection.execute(
                f"INSERT OR IGNORE INTO incidents ({', '.join(_COLUMNS)}) "  # noqa: S608 (fixed column names)
                f"VALUES ({placeholders})",
                values,
            )
            return cursor.rowcount == 1

    def get(self, incident_id: str) -> Incident | None:
        """One incident by id."""
        with self.connect() as connection:
            row = connection.execute(
                "SELECT * FROM incidents WHERE incident_id = ?", (incident_id,)
            ).fetchone()
        return None if row is None else incident_from_row(row)

    def query(
        self,
        *,
        store_id: str | None = None,
        person_id: str | None = None,
        status: ReviewStatus | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[Incident]:
        """Newest first, filtered."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("store_id", store_id),
            ("person_id", person_id),
            ("review_status", str(status) if status else None),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            clauses.append("occurred_at >= ?")
            params.append(_iso(since))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.connect() as connection:
            rows = connection.execute(
                f"SELECT * FROM incidents {where} ORDER BY occurred_at DESC LIMIT ?",  # noqa: S608
                (*params, limit),
            ).fetchall()
        return [incident_from_row(row) for row in rows]

    def review(
        self, incident_id: str, status: ReviewStatus, *, by: str, reason: str, at: datetime
    ) -> tuple[bool, Incident | None]:
        """Record a reviewer's decision on a pending incident.

        A dismissal ("Not them") unlinks the incident from the entry: the customer was not that
        person, so the row keeps only the fact, time, place, similarity and reviewer; its
        evidence reference goes (the caller deletes the crop).

        Returns (changed, incident): changed is False when the incident was already reviewed
        (two phones answering one alert: the first answer counts) or does not exist (None).
        """
        unlink = status is ReviewStatus.DISMISSED
        with self.connect() as connection:
            changed = (
                connection.execute(
                    "UPDATE incidents SET review_status = ?, reviewed_by = ?, reviewed_at = ?, "
                    "review_reason = ?, "
                    "person_id = CASE WHEN ? THEN '' ELSE person_id END, "
                    "snapshot_ref = CASE WHEN ? THEN NULL ELSE snapshot_ref END "
                    "WHERE incident_id = ? AND review_status = 'pending'",
                    (str(status), by, _iso(at), reason, unlink, unlink, incident_id),
                ).rowcount
                == 1
            )
        return changed, self.get(incident_id)

    def clear_evidence(self, incident_id: str) -> None:
        """The incident has no evidence crop (none could be cut from the image)."""
        with self.connect() as connection:
            connection.execute(
                "UPDATE incidents SET snapshot_ref = NULL WHERE incident_id = ?", (incident_id,)
            )

    def apply_retention(
        self, *, now: datetime, policy: RetentionPolicy, store_id: str
    ) -> RetentionResult:
        """One retention pass over one store, in one transaction: delete rows past
        ``anonymous_rows``, anonymise those past their link retention, and drop evidence
        references past theirs.

        Returns the counts and the ids of the evidence crops the caller deletes from disk.
        """

        def cut(days: int) -> str:
            return _iso(now - timedelta(days=days))

        confirmed = "store_id = ? AND review_status = 'confirmed'"
        unconfirmed = "store_id = ? AND review_status != 'confirmed'"
        evidence: list[str] = []
        counts: dict[str, int] = {}
        with self.connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                where = "store_id = ? AND occurred_at < ?"
                old = (store_id, cut(policy.anonymous_rows))
                evidence += self._refs(connection, where, old)
                counts["rows_deleted"] = connection.execute(
                    f"DELETE FROM incidents WHERE {where}",  # noqa: S608 (fixed SQL)
                    old,
                ).rowcount
                for kind, status, days in (
                    ("anonymised_unconfirmed", unconfirmed, policy.link_unconfirmed),
                    ("anonymised_confirmed", confirmed, policy.link_confirmed),
                ):
                    where = f"{status} AND anonymised_at IS NULL AND occurred_at < ?"
                    params = (store_id, cut(days))
                    evidence += self._refs(connection, where, params)
                    counts[kind] = connection.execute(
                        "UPDATE incidents SET person_id = '', snapshot_ref = NULL, "  # noqa: S608 (fixed SQL)
                        "similarity = NULL, review_reason = NULL, anonymised_at = ? "
                        f"WHERE {where}",
                        (_iso(now), *params),
                    ).rowcount
                for kind, status, days in (
                    ("evidence_unconfirmed", unconfirmed, policy.evidence_unconfirmed),
                    ("evidence_confirmed", confirmed, policy.evidence_confirmed),
                ):
                    where = f"{status} AND occurred_at < ?"
                    params = (store_id, cut(days))
                    refs = self._refs(connection, where, params)
                    evidence += refs
                    counts[kind] = len(refs)
                    connection.execute(
                        f"UPDATE incidents SET snapshot_ref = NULL WHERE {where}",  # noqa: S608
                        params,
                    )
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        return RetentionResult(
            evidence_unconfirmed=counts["evidence_unconfirmed"],
            evidence_confirmed=counts["evidence_confirmed"],
            anonymised_unconfirmed=counts["anonymised_unconfirmed"],
            anonymised_confirmed=counts["anonymised_confirmed"],
            rows_deleted=counts["rows_deleted"],
            evidence_ids=tuple(evidence),
        )

    @staticmethod
    def _refs(connection: sqlite3.Connection, where: str, params: tuple[str, ...]) -> list[str]:
        """Evidence references of the rows ``where`` selects."""
        rows = connection.execute(
            f"SELECT snapshot_ref FROM incidents WHERE ({where}) AND snapshot_ref IS NOT NULL",  # noqa: S608
            params,
        ).fetchall()
        return [str(row[0]) for row in rows]

    def delete_person(self, person_id: str) -> list[Incident]:
        """Erase every incident of one person; returns what was deleted."""
        with self.connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            rows = connection.execute(
                "SELECT * FROM incidents WHERE person_id = ?", (person_id,)
            ).fetchall()
            connection.execute("DELETE FROM incidents WHERE person_id = ?", (person_id,))
            connection.execute("COMMIT")
        return [incident_from_row(row) for row in rows]

    def delete_store(self, store_id: str) -> int:
        """Erase a removed store's incidents."""
        with self.connect() as connection:
            return connection.execute(
                "DELETE FROM incidents WHERE store_id = ?", (store_id,)
            ).rowcount

    def calibration(self, store_id: str) -> Calibration:
        """Confirmed and dismissed alerts of one store, counted in SQL by camera and watchlist."""
        counts = (
            "SUM(review_status = 'confirmed') AS confirmed, "
            "SUM(review_status = 'dismissed') AS dismissed"
        )
        reviewed = "store_id = ? AND review_status IN ('confirmed', 'dismissed')"
        with self.connect() as connection:
            total = connection.execute(
                f"SELECT {counts} FROM incidents WHERE {reviewed}",  # noqa: S608 (fixed SQL)
                (store_id,),
            ).fetchone()
            cameras = connection.execute(
                f"SELECT camera AS name, {counts} FROM incidents "  # noqa: S608 (fixed SQL)
                f"WHERE {reviewed} GROUP BY camera ORDER BY camera",
                (store_id,),
            ).fetchall()
            # SQLite takes a bare column from the row of MAX(): the newest name of the watchlist.
            watchlists = connection.execute(
                f"SELECT watchlist AS name, MAX(occurred_at), {counts} "  # noqa: S608 (fixed SQL)
                f"FROM incidents WHERE {reviewed} GROUP BY watchlist_id ORDER BY watchlist",
                (store_id,),
            ).fetchall()

        def by_name(rows: list[sqlite3.Row]) -> dict[str, ReviewCounts]:
            return {
                row["name"]: ReviewCounts(int(row["confirmed"]), int(row["dismissed"]))
                for row in rows
            }

        return Calibration(
            total=ReviewCounts(int(total["confirmed"] or 0), int(total["dismissed"] or 0)),
            cameras=by_name(cameras),
            watchlists=by_name(watchlists),
        )

    def count(self, *, store_id: str | None = None) -> int:
        """Number of incidents (of one store)."""
        with self.connect() as connection:
            if store_id is None:
                return int(connection.execute("SELECT COUNT(*) FROM incidents").fetchone()[0])
            return int(
                connection.execute(
                    "SELECT COUNT(*) FROM incidents WHERE store_id = ?", (store_id,)
                ).fetchone()[0]
            )
