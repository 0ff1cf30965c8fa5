"""Durable face store: SQLite (WAL) for records, an in-memory float32 matrix per collection.

Only embeddings and metadata are stored, never image bytes. The data directory is private to
the bridge's user: created 0700, and an existing one (with its database, WAL and shared-memory
files and lock) tightened to 0700/0600 at start, with a warning when others could read it.

Every write is one SQLite transaction, committed before the in-memory index changes, both under
the collection's write lock, so a search sees either the whole of a change or none of it, and a
crash (or a failed commit: disk full) can never leave the matrix ahead of the database.
Searches take the collection's read lock and search its vector index (``index.CollectionIndex``).

Users (Rekognition's user vectors) are rows of ``users``; a face belongs to at most one user
(``faces.user_seq``). Each collection keeps its users' templates in memory
(``index.UserIndex``), recomputed for a user whenever its faces change, under the same lock.
Changes that carry a ClientRequestToken record it (``request_tokens``) in the same transaction,
with a digest of the request and the result, so a retry with the same token gets the original
answer instead of doing the change twice.

The schema is versioned (``meta.schema_version``); a database from an older version is migrated
in one transaction when it is opened (``_MIGRATIONS``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
import contextlib
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
import fcntl
import json
import logging
import os
from pathlib import Path
import sqlite3
import threading
from typing import IO, Any, Final

import numpy as np

from .index import (
    DEFAULT_DIM,
    DEFAULT_TEMPLATE_POLICY,
    CollectionIndex,
    TemplatePolicy,
    UserIndex,
    template_cosine,
)
from .rwlock import RWLock

_LOGGER = logging.getLogger(__name__)

DB_FILE: Final = "engine.sqlite3"
LOCK_FILE: Final = "engine.lock"
# Files SQLite keeps next to the database (it creates them with the database file's mode).
DB_COMPANIONS: Final = ("-wal", "-shm", "-journal")
DIR_MODE: Final = 0o700
FILE_MODE: Final = 0o600
SCHEMA_VERSION: Final = 2
_LOAD_CHUNK: Final = 10_000
# How long a ClientRequestToken is remembered (a retry after that runs as a new request).
REQUEST_TOKEN_TTL_S: Final = 24 * 3600.0

# Reasons a face is not associated, disassociated or deleted (Rekognition's enum values).
FACE_NOT_FOUND: Final = "FACE_NOT_FOUND"
ASSOCIATED_TO_A_DIFFERENT_USER: Final = "ASSOCIATED_TO_A_DIFFERENT_USER"
LOW_MATCH_CONFIDENCE: Final = "LOW_MATCH_CONFIDENCE"

# Version 1: collections and faces. Created as is, then migrated by _MIGRATIONS.
_SCHEMA_V1: Final = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS collections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    face_model_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS faces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    face_id TEXT NOT NULL UNIQUE,
    collection_id TEXT NOT NULL REFERENCES collections(collection_id) ON DELETE CASCADE,
    image_id TEXT NOT NULL,
    external_image_id TEXT,
    bbox_width REAL NOT NULL,
    bbox_height REAL NOT NULL,
    bbox_left REAL NOT NULL,
    bbox_top REAL NOT NULL,
    confidence REAL NOT NULL,
    model_version TEXT NOT NULL,
    created_at REAL NOT NULL,
    embedding BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS faces_by_collection ON faces(collection_id, id);
"""

# _MIGRATIONS[n - 1] takes a database from schema version n to n + 1.
_MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (  # 1 -> 2: users, the face -> user association, idempotency tokens
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            collection_id TEXT NOT NULL REFERENCES collections(collection_id) ON DELETE CASCADE,
            user_id TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (collection_id, user_id)
        )""",
        "ALTER TABLE faces ADD COLUMN user_seq INTEGER REFERENCES users(id) ON DELETE SET NULL",
        "CREATE INDEX faces_by_user ON faces(user_seq, id)",
        """CREATE TABLE request_tokens (
            collection_id TEXT NOT NULL REFERENCES collections(collection_id) ON DELETE CASCADE,
            operation TEXT NOT NULL,
            token TEXT NOT NULL,
            digest TEXT NOT NULL,
            result TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (collection_id, operation, token)
        )""",
        "CREATE INDEX request_tokens_by_age ON request_tokens(created_at)",
    ),
)
assert len(_MIGRATIONS) == SCHEMA_VERSION - 1

_SELECT_FACES_AFTER: Final = (
    "SELECT f.id, f.face_id, f.collection_id, f.image_id, f.external_image_id, f.bbox_width, "
    "f.bbox_height, f.bbox_left, f.bbox_top, f.confidence, f.model_version, f.created_at, "
    "u.user_id FROM faces f LEFT JOIN users u ON u.id = f.user_seq "
    "WHERE f.collection_id=? AND f.id>? ORDER BY f.id LIMIT ?"
)
_SELECT_USER_FACES_AFTER: Final = (
    "SELECT f.id, f.face_id, f.collection_id, f.image_id, f.external_image_id, f.bbox_width, "
    "f.bbox_height, f.bbox_left, f.bbox_top, f.confidence, f.model_version, f.created_at, "
    "u.user_id FROM faces f LEFT JOIN users u ON u.id = f.user_seq "
    "WHERE f.collection_id=? AND f.user_seq=? AND f.id>? ORDER BY f.id LIMIT ?"
)
_SELECT_FACES_BY_ROWID: Final = (
    "SELECT f.id, f.face_id, f.collection_id, f.image_id, f.external_image_id, f.bbox_width, "
    "f.bbox_height, f.bbox_left, f.bbox_top, f.confidence, f.model_version, f.created_at, "
    "u.user_id FROM faces f LEFT JOIN users u ON u.id = f.user_seq "
    "WHERE f.id IN (SELECT value FROM json_each(?))"
)
_DELETE_COLLECTION: Final = (
    "DELETE FROM request_tokens WHERE collection_id=?",
    "DELETE FROM faces WHERE collection_id=?",
    "DELETE FROM users WHERE collection_id=?",
    "DELETE FROM collections WHERE collection_id=?",
)
_SELECT_ROWIDS_BY_FACE_ID: Final = (
    "SELECT face_id, id FROM faces "
    "WHERE collection_id=? AND face_id IN (SELECT value FROM json_each(?))"
)
_SELECT_FACE_OWNERS: Final = (
    "SELECT f.face_id, f.id, f.user_seq, u.user_id, f.embedding FROM faces f "
    "LEFT JOIN users u ON u.id = f.user_seq "
    "WHERE f.collection_id=? AND f.face_id IN (SELECT value FROM json_each(?))"
)


def secure_data_dir(data_dir: Path) -> None:
    """Create ``data_dir`` 0700, or tighten it and the engine's files in it (warning if needed).

    Face embeddings are personal data: no other local user may read them.
    """
    data_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    loose: list[str] = []
    mode = data_dir.stat().st_mode & 0o777
    if mode != DIR_MODE:
        if mode & 0o077:
            loose.append(f"{data_dir} ({mode:o})")
        data_dir.chmod(DIR_MODE)
    names = [DB_FILE, LOCK_FILE, *(DB_FILE + suffix for suffix in DB_COMPANIONS)]
    for name in names:
        path = data_dir / name
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, FILE_MODE) if name == DB_FILE else None
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        finally:
            if fd is not None:
                os.close(fd)
        if mode != FILE_MODE:
            if mode & 0o077:
                loose.append(f"{name} ({mode:o})")
            path.chmod(FILE_MODE)
    if loose:
        _LOGGER.warning(
            "Engine data was readable by other local users; made private (0700/0600): %s",
            ", ".join(loose),
        )


class StoreError(OSError):
    """The store cannot be used (an OSError, so start-up code can report it with I/O errors)."""


class CollectionNotFoundError(LookupError):
    """The collection does not exist."""


class CollectionExistsError(ValueError):
    """The collection already exists."""


class StoreLockedError(StoreError):
    """Another process holds the data directory."""


class UserNotFoundError(LookupError):
    """The user does not exist in the collection."""


class UserExistsError(ValueError):
    """The user already exists in the collection."""


class UserQuotaError(ValueError):
    """The user has, or would get, more faces than allowed."""


class RequestTokenMismatchError(ValueError):
    """A ClientRequestToken was used before with different parameters."""


@dataclass(frozen=True)
class RequestToken:
    """A change's idempotency token: the operation, the client's token and a digest of the
    request's other parameters."""

    operation: str
    token: str
    digest: str


@dataclass(frozen=True)
class UserInfo:
    """A user of a collection and how many faces are associated with it."""

    seq: int
    user_id: str
    face_count: int


@dataclass(frozen=True)
class FaceRefusal:
    """A face that was not associated (or disassociated), with the reasons.

    ``user_id`` is the user the face belongs to when that is the reason; ``cosine`` is the
    face's score against the user's template for LOW_MATCH_CONFIDENCE.
    """

    face_id: str
    reasons: tuple[str, ...]
    user_id: str | None = None
    cosine: float | None = None


@dataclass(frozen=True)
class AssociationResult:
    """The outcome of associating or disassociating faces (``changed``: the faces that were)."""

    changed: list[str]
    refused: list[FaceRefusal]
    user_face_count: int

    def to_json(self) -> str:
        """Serialise (stored with the request token)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> AssociationResult:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        refused = [
            FaceRefusal(
                face_id=str(item["face_id"]),
                reasons=tuple(str(reason) for reason in item["reasons"]),
                user_id=item.get("user_id"),
                cosine=item.get("cosine"),
            )
            for item in data["refused"]
        ]
        return cls([str(f) for f in data["changed"]], refused, int(data["user_face_count"]))


@dataclass(frozen=True)
class CollectionInfo:
    """A collection's durable attributes and its current face count."""

    collection_id: str
    created_at: float
    face_model_version: str
    face_count: int
    user_count: int = 0


@dataclass(frozen=True)
class FaceRecord:
    """One indexed face (no image data)."""

    seq: int
    face_id: str
    collection_id: str
    image_id: str
    external_image_id: str | None
    bbox_width: float
    bbox_height: float
    bbox_left: float
    bbox_top: float
    confidence: float
    model_version: str
    created_at: float
    user_id: str | None = None


@dataclass(frozen=True)
class NewFace:
    """A face to add: its record fields and its unit-length embedding."""

    face_id: str
    image_id: str
    external_image_id: str | None
    bbox_width: float
    bbox_height: float
    bbox_left: float
    bbox_top: float
    confidence: float
    model_version: str
    created_at: float
    embedding: np.ndarray


@dataclass(eq=False)
class _Collection:
    """A collection's face and user indexes with the lock that guards them; ``dropped`` once
    it is deleted."""

    index: CollectionIndex
    users: UserIndex
    lock: RWLock = field(default_factory=RWLock)
    dropped: bool = False


class FaceStore:
    """Collections and faces in ``data_dir``; safe for concurrent use from many threads."""

    def __init__(
        self,
        data_dir: Path,
        *,
        dim: int = DEFAULT_DIM,
        template_policy: TemplatePolicy | str = DEFAULT_TEMPLATE_POLICY,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.dim = dim
        self.template_policy = TemplatePolicy(template_policy)
        secure_data_dir(self.data_dir)
        self._lock_handle = _lock_data_dir(self.data_dir / LOCK_FILE)
        self._db_lock = threading.RLock()
        self._registry_lock = threading.Lock()
        self._collections: dict[str, _Collection] = {}
        self._closed = False
        try:
            self._conn = sqlite3.connect(
                self.data_dir / DB_FILE, check_same_thread=False, isolation_level=None
            )
            self._init_schema()
            self._load()
        except sqlite3.Error as err:
            self._release()
            raise StoreError(f"cannot open the engine database in {self.data_dir}: {err}") from err
        except BaseException:
            self._release()
            raise

    # -- lifecycle -----------------------------------------------------------------------------

    def _init_schema(self) -> None:
        conn = self._conn
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(f"BEGIN IMMEDIATE;{_SCHEMA_V1}COMMIT;")
        with self._transaction() as tx:
            row = tx.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            # No version row: a new database (or one whose first start stopped before writing
            # it), which has exactly the version 1 tables.
            version = 1 if row is None else int(row[0])
            if not 1 <= version <= SCHEMA_VERSION:
                raise StoreError(f"unsupported store schema version {version} in {self.data_dir}")
            for step in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[step - 1]:
                    tx.execute(statement)
            if row is not None and version != SCHEMA_VERSION:
                _LOGGER.info(
                    "Engine database migrated from schema %d to %d", version, SCHEMA_VERSION
                )
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (str(SCHEMA_VERSION),),
            )

    def _load(self) -> None:
        conn = self._conn
        for (collection_id,) in conn.execute("SELECT collection_id FROM collections").fetchall():
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM faces WHERE collection_id=?", (collection_id,)
            ).fetchone()
            index = CollectionIndex(self.dim, capacity=max(1024, int(count)))
            cursor = conn.execute(
                "SELECT id, embedding FROM faces WHERE collection_id=? ORDER BY id",
                (collection_id,),
            )
            while rows := cursor.fetchmany(_LOAD_CHUNK):
                ids = [row[0] for row in rows]
                vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32)
                index.add(ids, vectors.reshape(len(rows), self.dim))
            users = UserIndex(self.dim, self.template_policy)
            faces_of: dict[int, list[bytes]] = {
                int(seq): []
                for (seq,) in conn.execute(
                    "SELECT id FROM users WHERE collection_id=?", (collection_id,)
                ).fetchall()
            }
            for user_seq, blob in conn.execute(
                "SELECT user_seq, embedding FROM faces "
                "WHERE collection_id=? AND user_seq IS NOT NULL ORDER BY user_seq, id",
                (collection_id,),
            ):
                faces_of.setdefault(int(user_seq), []).append(blob)
            for user_seq, blobs in faces_of.items():
                users.set_user(user_seq, self._vectors(blobs))
            self._collections[collection_id] = _Collection(index, users)

    def close(self) -> None:
        """Close the database and release the data directory."""
        if self._closed:
            return
        self._closed = True
        with self._db_lock:
            self._conn.close()
        self._release()

    def _release(self) -> None:
        handle = self._lock_handle
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db_lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")  # may fail too (disk full): then roll back
            except BaseException:
                if self._conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):  # SQLite rolled back itself
                        self._conn.execute("ROLLBACK")
                raise

    def _collection(self, collection_id: str) -> _Collection:
        with self._registry_lock:
            collection = self._collections.get(collection_id)
        if collection is None:
            raise CollectionNotFoundError(collection_id)
        return collection

    def _vectors(self, blobs: Sequence[bytes]) -> np.ndarray:
        return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), self.dim)

    @contextmanager
    def _guarded(self, collection_id: str, *, write: bool) -> Iterator[_Collection]:
        collection = self._collection(collection_id)
        with collection.lock.write() if write else collection.lock.read():
            if collection.dropped:
                raise CollectionNotFoundError(collection_id)
            yield collection

    @contextmanager
    def _locked(self, collection_id: str, *, write: bool) -> Iterator[CollectionIndex]:
        with self._guarded(collection_id, write=write) as collection:
            yield collection.index

    def _reading(self, collection_id: str) -> AbstractContextManager[CollectionIndex]:
        return self._locked(collection_id, write=False)

    def _writing(self, collection_id: str) -> AbstractContextManager[CollectionIndex]:
        return self._locked(collection_id, write=True)

    # -- collections ---------------------------------------------------------------------------

    def create_collection(
        self, collection_id: str, *, created_at: float, face_model_version: str
    ) -> CollectionInfo:
        """Create an empty collection."""
        with self._registry_lock:
            if collection_id in self._collections:
                raise CollectionExistsError(collection_id)
            with self._transaction() as conn:
                conn.execute(
                    "INSERT INTO collections(collection_id, created_at, face_model_version) "
                    "VALUES (?, ?, ?)",
                    (collection_id, created_at, face_model_version),
                )
            self._collections[collection_id] = _Collection(
                CollectionIndex(self.dim), UserIndex(self.dim, self.template_policy)
            )
        return CollectionInfo(collection_id, created_at, face_model_version, 0)

    def delete_collection(self, collection_id: str) -> None:
        """Delete a collection with all its faces, users and request tokens."""
        with self._registry_lock:
            collection = self._collections.get(collection_id)
            if collection is None:
                raise CollectionNotFoundError(collection_id)
            with collection.lock.write():
                with self._transaction() as conn:
                    for statement in _DELETE_COLLECTION:
                        conn.execute(statement, (collection_id,))
                collection.dropped = True
                del self._collections[collection_id]

    def describe_collection(self, collection_id: str) -> CollectionInfo:
        """Return a collection's attributes and face count."""
        with self._guarded(collection_id, write=False) as collection, self._db_lock:
            row = self._conn.execute(
                "SELECT created_at, face_model_version FROM collections WHERE collection_id=?",
                (collection_id,),
            ).fetchone()
            if row is None:  # pragma: no cover - the index and table change together
                raise CollectionNotFoundError(collection_id)
            return CollectionInfo(
                collection_id,
                float(row[0]),
                str(row[1]),
                len(collection.index),
                len(collection.users),
            )

    def list_collections(
        self, *, after_seq: int, limit: int
    ) -> tuple[list[tuple[int, CollectionInfo]], bool]:
        """Return (position, collection) pairs in creation order after ``after_seq``.

        The flag says whether more follow.
        """
        with self._db_lock:
            rows = self._conn.execute(
                "SELECT seq, collection_id, created_at, face_model_version FROM collections "
                "WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit + 1),
            ).fetchall()
        with self._registry_lock:
            found = {row[1]: self._collections.get(row[1]) for row in rows[:limit]}
        counts = {cid: 0 if c is None else len(c.index) for cid, c in found.items()}
        page = [
            (int(r[0]), CollectionInfo(str(r[1]), float(r[2]), str(r[3]), counts[r[1]]))
            for r in rows[:limit]
        ]
        return page, len(rows) > limit

    # -- faces ---------------------------------------------------------------------------------

    def add_faces(self, collection_id: str, faces: Sequence[NewFace]) -> list[int]:
        """Add faces atomically; return their sequence numbers."""
        if not faces:
            self._collection(collection_id)
            return []
        vectors = np.stack([np.asarray(f.embedding, dtype=np.float32).reshape(-1) for f in faces])
        if vectors.shape[1] != self.dim:
            raise ValueError(f"embeddings must have {self.dim} dimensions")
        with self._writing(collection_id) as index:
            rowids: list[int] = []
            with self._transaction() as conn:
                for face, vector in zip(faces, vectors, strict=True):
                    cursor = conn.execute(
                        "INSERT INTO faces(face_id, collection_id, image_id, external_image_id, "
                        "bbox_width, bbox_height, bbox_left, bbox_top, confidence, "
                        "model_version, created_at, embedding) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            face.face_id,
                            collection_id,
                            face.image_id,
                            face.external_image_id,
                            face.bbox_width,
                            face.bbox_height,
                            face.bbox_left,
                            face.bbox_top,
                            face.confidence,
                            face.model_version,
                            face.created_at,
                            vector.tobytes(),
                        ),
                    )
                    if cursor.lastrowid is None:  # pragma: no cover - sqlite always sets it
                        raise StoreError("insert returned no row id")
                    rowids.append(cursor.lastrowid)
            index.add(rowids, vectors)
        return rowids

    def delete_faces(self, collection_id: str, face_ids: Sequence[str]) -> list[str]:
        """Delete faces by FaceId; return the ids that were deleted (see
        :meth:`delete_unassociated_faces`: faces of a user are kept)."""
        return self.delete_unassociated_faces(collection_id, face_ids)[0]

    def delete_unassociated_faces(
        self, collection_id: str, face_ids: Sequence[str]
    ) -> tuple[list[str], dict[str, str]]:
        """Delete faces by FaceId, except those associated with a user.

        Returns the ids deleted and, for faces kept because they belong to a user, face id ->
        user id. Ids in neither were not found.
        """
        unique = list(dict.fromkeys(face_ids))
        with self._writing(collection_id) as index:
            owners = self._owners(collection_id, unique)
            kept = {fid: str(o[2]) for fid, o in owners.items() if o[2] is not None}
            doomed = [int(o[0]) for fid, o in owners.items() if fid not in kept]
            if doomed:
                with self._transaction() as conn:
                    conn.executemany("DELETE FROM faces WHERE id=?", [(r,) for r in doomed])
                index.remove(doomed)
        deleted = [fid for fid in unique if fid in owners and fid not in kept]
        return deleted, kept

    def _owners(
        self, collection_id: str, face_ids: Sequence[str]
    ) -> dict[str, tuple[int, int | None, str | None, bytes]]:
        """face id -> (row id, user row id, user id, embedding) for the faces that exist."""
        with self._db_lock:
            rows = self._conn.execute(
                _SELECT_FACE_OWNERS, (collection_id, json.dumps(list(face_ids)))
            ).fetchall()
        return {
            str(r[0]): (int(r[1]), None if r[2] is None else int(r[2]), r[3], bytes(r[4]))
            for r in rows
        }

    def _lookup(self, collection_id: str, face_ids: Sequence[str]) -> dict[str, int]:
        with self._db_lock:
            rows = self._conn.execute(
                _SELECT_ROWIDS_BY_FACE_ID, (collection_id, json.dumps(list(face_ids)))
            ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def list_faces(
        self,
        collection_id: str,
        *,
        after_seq: int,
        limit: int,
        face_ids: Sequence[str] | None = None,
        user_id: str | None = None,
    ) -> tuple[list[FaceRecord], bool]:
        """Return faces in indexing order after ``after_seq``, and whether more follow.

        ``face_ids`` and ``user_id`` (the faces associated with that user) filter the list;
        an unknown user raises :class:`UserNotFoundError`.
        """
        with self._reading(collection_id), self._db_lock:
            user_seq = None if user_id is None else self._user_seq(collection_id, user_id)
            if face_ids is not None:
                owners = self._owners(collection_id, list(dict.fromkeys(face_ids)))
                wanted = sorted(
                    o[0] for o in owners.values() if user_seq is None or o[1] == user_seq
                )
                ids = [rowid for rowid in wanted if rowid > after_seq][: limit + 1]
                records = self._records(ids)
            elif user_seq is not None:
                rows = self._conn.execute(
                    _SELECT_USER_FACES_AFTER, (collection_id, user_seq, after_seq, limit + 1)
                ).fetchall()
                records = [_record(row) for row in rows]
            else:
                rows = self._conn.execute(
                    _SELECT_FACES_AFTER, (collection_id, after_seq, limit + 1)
                ).fetchall()
                records = [_record(row) for row in rows]
        return records[:limit], len(records) > limit

    def _records(self, rowids: Sequence[int]) -> list[FaceRecord]:
        with self._db_lock:
            rows = self._conn.execute(
                _SELECT_FACES_BY_ROWID, (json.dumps([int(r) for r in rowids]),)
            ).fetchall()
        out = {int(row[0]): _record(row) for row in rows}
        return [out[rowid] for rowid in rowids if rowid in out]

    def face_embedding(self, collection_id: str, face_id: str) -> tuple[int, np.ndarray] | None:
        """Return (sequence number, embedding) of a face in a collection, or None."""
        with self._reading(collection_id) as index:
            found = self._lookup(collection_id, [face_id])
            if face_id not in found:
                return None
            vector = index.vector(found[face_id])
            if vector is None:  # pragma: no cover - the index and table change together
                return None
            return found[face_id], vector

    def search(
        self,
        collection_id: str,
        query: np.ndarray,
        *,
        min_cosine: float,
        limit: int,
        exclude_seq: int | None = None,
    ) -> list[tuple[FaceRecord, float]]:
        """Return up to ``limit`` (face, cosine) pairs with cosine >= ``min_cosine``, best first."""
        with self._reading(collection_id) as index:
            rowids, scores = index.search(
                query, min_cosine=min_cosine, limit=limit, exclude_rowid=exclude_seq
            )
            records = self._records([int(r) for r in rowids])
        by_id = {record.seq: record for record in records}
        return [
            (by_id[int(rowid)], float(score))
            for rowid, score in zip(rowids, scores, strict=True)
            if int(rowid) in by_id
        ]

    def face_count(self, collection_id: str) -> int:
        """Number of faces in a collection."""
        with self._reading(collection_id) as index:
            return len(index)

    # -- users ---------------------------------------------------------------------------------

    def _user_seq(self, collection_id: str, user_id: str) -> int:
        with self._db_lock:
            row = self._conn.execute(
                "SELECT id FROM users WHERE collection_id=? AND user_id=?",
                (collection_id, user_id),
            ).fetchone()
        if row is None:
            raise UserNotFoundError(user_id)
        return int(row[0])

    def _user_face_count(self, user_seq: int) -> int:
        with self._db_lock:
            (count,) = self._conn.execute(
                "SELECT COUNT(*) FROM faces WHERE user_seq=?", (user_seq,)
            ).fetchone()
        return int(count)

    def _refresh_user(self, collection: _Collection, user_seq: int) -> int:
        """Recompute a user's template from its faces in the database; return the face count."""
        with self._db_lock:
            blobs = [
                bytes(row[0])
                for row in self._conn.execute(
                    "SELECT embedding FROM faces WHERE user_seq=? ORDER BY id", (user_seq,)
                )
            ]
        collection.users.set_user(user_seq, self._vectors(blobs))
        return len(blobs)

    def _token_result(self, collection_id: str, token: RequestToken | None) -> str | None:
        """The stored result of an earlier request with this token, or None.

        Raises :class:`RequestTokenMismatchError` when that request had other parameters.
        """
        if token is None:
            return None
        with self._db_lock:
            row = self._conn.execute(
                "SELECT digest, result FROM request_tokens "
                "WHERE collection_id=? AND operation=? AND token=?",
                (collection_id, token.operation, token.token),
            ).fetchone()
        if row is None:
            return None
        if str(row[0]) != token.digest:
            raise RequestTokenMismatchError(token.token)
        return str(row[1])

    @staticmethod
    def _remember_token(
        conn: sqlite3.Connection,
        collection_id: str,
        token: RequestToken | None,
        result: str,
        now: float,
    ) -> None:
        """Record a token with its request's result (inside the change's transaction)."""
        if token is None:
            return
        conn.execute(
            "DELETE FROM request_tokens WHERE created_at < ?", (now - REQUEST_TOKEN_TTL_S,)
        )
        conn.execute(
            "INSERT OR REPLACE INTO request_tokens"
            "(collection_id, operation, token, digest, result, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (collection_id, token.operation, token.token, token.digest, result, now),
        )

    def create_user(
        self, collection_id: str, user_id: str, *, now: float, token: RequestToken | None = None
    ) -> None:
        """Create a user without faces. A repeat of a request with the same token succeeds;
        otherwise an existing user raises :class:`UserExistsError`."""
        with self._guarded(collection_id, write=True) as collection:
            if self._token_result(collection_id, token) is not None:
                return
            with self._transaction() as conn:
                try:
                    cursor = conn.execute(
                        "INSERT INTO users(collection_id, user_id, created_at) VALUES (?, ?, ?)",
                        (collection_id, user_id, now),
                    )
                except sqlite3.IntegrityError as err:
                    raise UserExistsError(user_id) from err
                self._remember_token(conn, collection_id, token, "{}", now)
            if cursor.lastrowid is None:  # pragma: no cover - sqlite always sets it
                raise StoreError("insert returned no row id")
            collection.users.set_user(cursor.lastrowid, np.zeros((0, self.dim), np.float32))

    def delete_user(
        self, collection_id: str, user_id: str, *, now: float, token: RequestToken | None = None
    ) -> None:
        """Delete a user; its faces stay in the collection, unassociated.

        A repeat of a request with the same token succeeds; otherwise an unknown user raises
        :class:`UserNotFoundError`.
        """
        with self._guarded(collection_id, write=True) as collection:
            if self._token_result(collection_id, token) is not None:
                return
            user_seq = self._user_seq(collection_id, user_id)
            with self._transaction() as conn:
                conn.execute("UPDATE faces SET user_seq=NULL WHERE user_seq=?", (user_seq,))
                conn.execute("DELETE FROM users WHERE id=?", (user_seq,))
                self._remember_token(conn, collection_id, token, "{}", now)
            collection.users.remove_user(user_seq)

    def list_users(
        self, collection_id: str, *, after_seq: int, limit: int
    ) -> tuple[list[UserInfo], bool]:
        """Return users in creation order after ``after_seq``, and whether more follow."""
        with self._reading(collection_id), self._db_lock:
            rows = self._conn.execute(
                "SELECT u.id, u.user_id, (SELECT COUNT(*) FROM faces f WHERE f.user_seq = u.id) "
                "FROM users u WHERE u.collection_id=? AND u.id>? ORDER BY u.id LIMIT ?",
                (collection_id, after_seq, limit + 1),
            ).fetchall()
        users = [UserInfo(int(r[0]), str(r[1]), int(r[2])) for r in rows]
        return users[:limit], len(users) > limit

    def associate_faces(
        self,
        collection_id: str,
        user_id: str,
        face_ids: Sequence[str],
        *,
        min_cosine: float,
        max_user_faces: int,
        now: float,
        token: RequestToken | None = None,
    ) -> AssociationResult:
        """Associate faces with a user, atomically.

        A face already the user's is left out of both lists; one that does not exist is
        FACE_NOT_FOUND, one of another user ASSOCIATED_TO_A_DIFFERENT_USER. When the user
        already has faces, a face whose cosine with the user's template (as it was before this
        call) is below ``min_cosine`` is LOW_MATCH_CONFIDENCE. If the user has
        ``max_user_faces`` or the faces accepted would take it past that, nothing changes and
        :class:`UserQuotaError` is raised.
        """
        unique = list(dict.fromkeys(face_ids))
        with self._guarded(collection_id, write=True) as collection:
            stored = self._token_result(collection_id, token)
            if stored is not None:
                return AssociationResult.from_json(stored)
            user_seq = self._user_seq(collection_id, user_id)
            count = self._user_face_count(user_seq)
            template = collection.users.template(user_seq)
            owners = self._owners(collection_id, unique)
            accepted: list[str] = []
            refused: list[FaceRefusal] = []
            for face_id in unique:
                owner = owners.get(face_id)
                if owner is None:
                    refused.append(FaceRefusal(face_id, (FACE_NOT_FOUND,)))
                    continue
                _, owner_seq, owner_id, blob = owner
                if owner_seq == user_seq:
                    continue
                if owner_seq is not None:
                    refused.append(
                        FaceRefusal(face_id, (ASSOCIATED_TO_A_DIFFERENT_USER,), user_id=owner_id)
                    )
                    continue
                if count and template is not None:
                    cosine = template_cosine(template, np.frombuffer(blob, dtype=np.float32))
                    if cosine is not None and cosine < min_cosine:
                        refused.append(FaceRefusal(face_id, (LOW_MATCH_CONFIDENCE,), cosine=cosine))
                        continue
                accepted.append(face_id)
            if count >= max_user_faces or count + len(accepted) > max_user_faces:
                raise UserQuotaError(user_id)
            result = AssociationResult(accepted, refused, count + len(accepted))
            with self._transaction() as conn:
                conn.executemany(
                    "UPDATE faces SET user_seq=? WHERE id=?",
                    [(user_seq, owners[face_id][0]) for face_id in accepted],
                )
                self._remember_token(conn, collection_id, token, result.to_json(), now)
            if accepted:
                self._refresh_user(collection, user_seq)
            return result

    def disassociate_faces(
        self,
        collection_id: str,
        user_id: str,
        face_ids: Sequence[str],
        *,
        now: float,
        token: RequestToken | None = None,
    ) -> AssociationResult:
        """Remove faces from a user, atomically.

        A face not associated with any user is left out of both lists; one that does not exist
        is FACE_NOT_FOUND, one of another user ASSOCIATED_TO_A_DIFFERENT_USER.
        """
        unique = list(dict.fromkeys(face_ids))
        with self._guarded(collection_id, write=True) as collection:
            stored = self._token_result(collection_id, token)
            if stored is not None:
                return AssociationResult.from_json(stored)
            user_seq = self._user_seq(collection_id, user_id)
            owners = self._owners(collection_id, unique)
            removed: list[str] = []
            refused: list[FaceRefusal] = []
            for face_id in unique:
                owner = owners.get(face_id)
                if owner is None:
                    refused.append(FaceRefusal(face_id, (FACE_NOT_FOUND,)))
                elif owner[1] == user_seq:
                    removed.append(face_id)
                elif owner[1] is not None:
                    refused.append(
                        FaceRefusal(face_id, (ASSOCIATED_TO_A_DIFFERENT_USER,), user_id=owner[2])
                    )
            count = self._user_face_count(user_seq) - len(removed)
            result = AssociationResult(removed, refused, count)
            with self._transaction() as conn:
                conn.executemany(
                    "UPDATE faces SET user_seq=NULL WHERE id=?",
                    [(owners[face_id][0],) for face_id in removed],
                )
                self._remember_token(conn, collection_id, token, result.to_json(), now)
            if removed:
                self._refresh_user(collection, user_seq)
            return result

    def user_template(self, collection_id: str, user_id: str) -> tuple[int, np.ndarray]:
        """Return (user row id, template rows) of a user; no rows when it has no faces."""
        with self._guarded(collection_id, write=False) as collection:
            user_seq = self._user_seq(collection_id, user_id)
            template = collection.users.template(user_seq)
        if template is None:  # pragma: no cover - the index and table change together
            raise UserNotFoundError(user_id)
        return user_seq, template

    def search_users(
        self,
        collection_id: str,
        query: np.ndarray,
        *,
        min_cosine: float,
        limit: int,
        exclude_user: int | None = None,
    ) -> list[tuple[UserInfo, float]]:
        """Return up to ``limit`` (user, cosine) with cosine >= ``min_cosine``, best first.

        A user's cosine is the query's best cosine with the user's template rows; ``query`` is
        one embedding or another user's template rows.
        """
        with self._guarded(collection_id, write=False) as collection:
            hits = collection.users.search(
                query, min_cosine=min_cosine, limit=limit, exclude_user=exclude_user
            )
            if not hits:
                return []
            with self._db_lock:
                rows = self._conn.execute(
                    "SELECT u.id, u.user_id, "
                    "(SELECT COUNT(*) FROM faces f WHERE f.user_seq = u.id) FROM users u "
                    "WHERE u.id IN (SELECT value FROM json_each(?))",
                    (json.dumps([seq for seq, _ in hits]),),
                ).fetchall()
        users = {int(r[0]): UserInfo(int(r[0]), str(r[1]), int(r[2])) for r in rows}
        return [(users[seq], cosine) for seq, cosine in hits if seq in users]


def _record(row: Sequence[Any]) -> FaceRecord:
    return FaceRecord(
        seq=int(row[0]),
        face_id=str(row[1]),
        collection_id=str(row[2]),
        image_id=str(row[3]),
        external_image_id=None if row[4] is None else str(row[4]),
        bbox_width=float(row[5]),
        bbox_height=float(row[6]),
        bbox_left=float(row[7]),
        bbox_top=float(row[8]),
        confidence=float(row[9]),
        model_version=str(row[10]),
        created_at=float(row[11]),
        user_id=None if row[12] is None else str(row[12]),
    )


def _lock_data_dir(path: Path) -> IO[str]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, FILE_MODE)
    handle = os.fdopen(fd, "a+", encoding="utf-8")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as err:
        handle.close()
        raise StoreLockedError(
            f"{path.parent} is in use by another engine process (lock file {path.name})"
        ) from err
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
