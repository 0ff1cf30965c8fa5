"""Durable face store: SQLite (WAL) for records, an in-memory float32 matrix per collection.

Only embeddings and metadata are stored, never image bytes. The data directory is private to
the bridge's user: created 0700, and an existing one (with its database, WAL and shared-memory
files and lock) tightened to 0700/0600 at start, with a warning when others could read it.

Every write is one SQLite transaction, committed before the in-memory index changes, both under
the collection's write lock, so a search sees either the whole of a change or none of it, and a
crash (or a failed commit: disk full) can never leave the matrix ahead of the database.
Searches take the collection's read lock and search its vector index (``index.CollectionIndex``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
import contextlib
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
import fcntl
import json
import logging
import os
from pathlib import Path
import sqlite3
import threading
from typing import IO, Any, Final

import numpy as np

from .index import DEFAULT_DIM, CollectionIndex
from .rwlock import RWLock

_LOGGER = logging.getLogger(__name__)

DB_FILE: Final = "engine.sqlite3"
LOCK_FILE: Final = "engine.lock"
# Files SQLite keeps next to the database (it creates them with the database file's mode).
DB_COMPANIONS: Final = ("-wal", "-shm", "-journal")
DIR_MODE: Final = 0o700
FILE_MODE: Final = 0o600
SCHEMA_VERSION: Final = 1
_LOAD_CHUNK: Final = 10_000

_SCHEMA: Final = """
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

_SELECT_FACES_AFTER: Final = (
    "SELECT id, face_id, collection_id, image_id, external_image_id, bbox_width, bbox_height, "
    "bbox_left, bbox_top, confidence, model_version, created_at FROM faces "
    "WHERE collection_id=? AND id>? ORDER BY id LIMIT ?"
)
_SELECT_FACES_BY_ROWID: Final = (
    "SELECT id, face_id, collection_id, image_id, external_image_id, bbox_width, bbox_height, "
    "bbox_left, bbox_top, confidence, model_version, created_at FROM faces "
    "WHERE id IN (SELECT value FROM json_each(?))"
)
_SELECT_ROWIDS_BY_FACE_ID: Final = (
    "SELECT face_id, id FROM faces "
    "WHERE collection_id=? AND face_id IN (SELECT value FROM json_each(?))"
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


@dataclass(frozen=True)
class CollectionInfo:
    """A collection's durable attributes and its current face count."""

    collection_id: str
    created_at: float
    face_model_version: str
    face_count: int


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
    """A collection's index with the lock that guards it; ``dropped`` once it is deleted."""

    index: CollectionIndex
    lock: RWLock = field(default_factory=RWLock)
    dropped: bool = False


class FaceStore:
    """Collections and faces in ``data_dir``; safe for concurrent use from many threads."""

    def __init__(self, data_dir: Path, *, dim: int = DEFAULT_DIM) -> None:
        self.data_dir = Path(data_dir)
        self.dim = dim
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
        conn.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        elif int(row[0]) != SCHEMA_VERSION:
            raise StoreError(f"unsupported store schema version {row[0]} in {self.data_dir}")

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
            self._collections[collection_id] = _Collection(index)

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

    @contextmanager
    def _locked(self, collection_id: str, *, write: bool) -> Iterator[CollectionIndex]:
        collection = self._collection(collection_id)
        with collection.lock.write() if write else collection.lock.read():
            if collection.dropped:
                raise CollectionNotFoundError(collection_id)
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
            self._collections[collection_id] = _Collection(CollectionIndex(self.dim))
        return CollectionInfo(collection_id, created_at, face_model_version, 0)

    def delete_collection(self, collection_id: str) -> None:
        """Delete a collection and all its faces."""
        with self._registry_lock:
            collection = self._collections.get(collection_id)
            if collection is None:
                raise CollectionNotFoundError(collection_id)
            with collection.lock.write():
                with self._transaction() as conn:
                    conn.execute("DELETE FROM faces WHERE collection_id=?", (collection_id,))
                    conn.execute("DELETE FROM collections WHERE collection_id=?", (collection_id,))
                collection.dropped = True
                del self._collections[collection_id]

    def describe_collection(self, collection_id: str) -> CollectionInfo:
        """Return a collection's attributes and face count."""
        with self._reading(collection_id) as index, self._db_lock:
            row = self._conn.execute(
                "SELECT created_at, face_model_version FROM collections WHERE collection_id=?",
                (collection_id,),
            ).fetchone()
            if row is None:  # pragma: no cover - the index and table change together
                raise CollectionNotFoundError(collection_id)
            return CollectionInfo(collection_id, float(row[0]), str(row[1]), len(index))

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
        """Delete faces by FaceId; return the ids that existed and were deleted."""
        unique = list(dict.fromkeys(face_ids))
        with self._writing(collection_id) as index:
            found = self._lookup(collection_id, unique)
            if found:
                with self._transaction() as conn:
                    conn.executemany(
                        "DELETE FROM faces WHERE id=?", [(rowid,) for rowid in found.values()]
                    )
                index.remove(list(found.values()))
        return [face_id for face_id in unique if face_id in found]

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
    ) -> tuple[list[FaceRecord], bool]:
        """Return faces in indexing order after ``after_seq``, and whether more follow."""
        with self._reading(collection_id), self._db_lock:
            if face_ids is not None:
                wanted = sorted(self._lookup(collection_id, list(dict.fromkeys(face_ids))).values())
                ids = [rowid for rowid in wanted if rowid > after_seq][: limit + 1]
                records = self._records(ids)
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
