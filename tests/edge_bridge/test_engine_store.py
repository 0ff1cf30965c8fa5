"""Durability, atomicity, concurrency and the no-write search path."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
import hashlib
from pathlib import Path
import sqlite3
import threading
import time
from typing import Any
import uuid

import numpy as np
import pytest

from edge_bridge.engine.store import (
    DB_FILE,
    CollectionNotFoundError,
    FaceStore,
    NewFace,
    StoreError,
    StoreLockedError,
)
from tests.edge_bridge.helpers_bridge import GUARD_S, unit_vectors


def new_face(vector: np.ndarray, face_id: str | None = None) -> NewFace:
    return NewFace(
        face_id=face_id or str(uuid.uuid4()),
        image_id=str(uuid.uuid4()),
        external_image_id="ext",
        bbox_width=0.2,
        bbox_height=0.3,
        bbox_left=0.1,
        bbox_top=0.1,
        confidence=99.0,
        model_version="test",
        created_at=time.time(),
        embedding=vector,
    )


def snapshot(directory: Path) -> dict[str, tuple[int, str]]:
    """Size and hash of every file; SQLite's -shm (shared-memory reader marks) is left out."""
    return {
        path.name: (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
        for path in sorted(directory.iterdir())
        if path.is_file() and not path.name.endswith("-shm")
    }


def test_collections_survive_restart(
    tmp_path: Path,
    engine_factory: Callable[..., Any],
    make_rekognition: Callable[..., Any],
    astronaut_jpeg: bytes,
    grace_hopper_jpeg: bytes,
) -> None:
    data = tmp_path / "engine-data"
    first = engine_factory(data)
    client = make_rekognition(endpoint_url=first.endpoint_url)
    client.create_collection(CollectionId="theft")
    created = client.describe_collection(CollectionId="theft")["CreationTimestamp"]
    astro = client.index_faces(
        CollectionId="theft", Image={"Bytes": astronaut_jpeg}, ExternalImageId="p-astro"
    )["FaceRecords"][0]["Face"]
    grace = client.index_faces(
        CollectionId="theft", Image={"Bytes": grace_hopper_jpeg}, ExternalImageId="p-grace"
    )["FaceRecords"][0]["Face"]
    client.delete_faces(CollectionId="theft", FaceIds=[grace["FaceId"]])
    client.create_collection(CollectionId="banned")
    first.stop()

    second = engine_factory(data)
    client = make_rekognition(endpoint_url=second.endpoint_url)
    assert {"theft", "banned"} <= set(client.list_collections()["CollectionIds"])
    described = client.describe_collection(CollectionId="theft")
    assert described["FaceCount"] == 1
    assert described["CreationTimestamp"] == created
    assert client.list_faces(CollectionId="theft")["Faces"] == [astro]
    matches = client.search_faces_by_image(CollectionId="theft", Image={"Bytes": astronaut_jpeg})[
        "FaceMatches"
    ]
    assert [m["Face"]["FaceId"] for m in matches] == [astro["FaceId"]]
    assert matches[0]["Face"]["ExternalImageId"] == "p-astro"
    none = client.search_faces_by_image(CollectionId="theft", Image={"Bytes": grace_hopper_jpeg})
    assert none["FaceMatches"] == []


def test_database_is_wal_sqlite_without_images(
    tmp_path: Path,
    engine_factory: Callable[..., Any],
    make_rekognition: Callable[..., Any],
    astronaut_jpeg: bytes,
) -> None:
    data = tmp_path / "engine-data"
    server = engine_factory(data)
    client = make_rekognition(endpoint_url=server.endpoint_url)
    client.create_collection(CollectionId="c1")
    client.index_faces(CollectionId="c1", Image={"Bytes": astronaut_jpeg})
    server.stop()
    with sqlite3.connect(data / DB_FILE) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        (blob,) = conn.execute("SELECT embedding FROM faces").fetchone()
    assert len(blob) == 128 * 4  # the embedding only
    for path in data.iterdir():
        assert astronaut_jpeg[100:164] not in path.read_bytes()


def test_second_engine_on_same_data_dir_refused(
    tmp_path: Path, engine_factory: Callable[..., Any]
) -> None:
    engine_factory(tmp_path / "shared")
    with pytest.raises(StoreLockedError, match="in use"):
        engine_factory(tmp_path / "shared")


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "broken"
    data.mkdir()
    (data / DB_FILE).write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(StoreError, match="cannot open the engine database") as info:
        FaceStore(data)
    assert isinstance(info.value, OSError)
    (data / DB_FILE).unlink()
    FaceStore(data).close()  # the directory lock was released by the failed attempt


def test_search_writes_nothing(
    tmp_path: Path,
    engine_factory: Callable[..., Any],
    make_rekognition: Callable[..., Any],
    astronaut_jpeg: bytes,
    grace_hopper_jpeg: bytes,
) -> None:
    data = tmp_path / "engine-data"
    server = engine_factory(data)
    client = make_rekognition(endpoint_url=server.endpoint_url)
    client.create_collection(CollectionId="watch")
    client.index_faces(CollectionId="watch", Image={"Bytes": astronaut_jpeg})
    before = snapshot(data)
    assert {"engine.sqlite3", "engine.sqlite3-wal"} <= set(before)
    for _ in range(4):
        client.search_faces_by_image(CollectionId="watch", Image={"Bytes": grace_hopper_jpeg})
        client.search_faces_by_image(CollectionId="watch", Image={"Bytes": astronaut_jpeg})
        client.detect_faces(Image={"Bytes": grace_hopper_jpeg})
    assert snapshot(data) == before


def test_concurrent_clients_get_consistent_results(
    rekognition: Any,
    make_rekognition: Callable[..., Any],
    collection_id: str,
    astronaut_jpeg: bytes,
    grace_hopper_jpeg: bytes,
) -> None:
    enrolled = {
        r["Face"]["FaceId"]
        for number in (1, 2)  # the same photo twice: distinct requests, not a replay
        for r in rekognition.index_faces(
            CollectionId=collection_id,
            Image={"Bytes": astronaut_jpeg},
            ExternalImageId=f"astronaut-{number}",
        )["FaceRecords"]
    }
    clients = [make_rekognition(), make_rekognition()]
    stop = threading.Event()
    rounds = [0]

    def churn() -> int:
        # Index and delete someone else while the searches run.
        writer = make_rekognition()
        while not stop.is_set():
            face = writer.index_faces(
                CollectionId=collection_id,
                Image={"Bytes": grace_hopper_jpeg},
                ExternalImageId=f"round-{rounds[0]}",  # each round a distinct request
            )
            writer.delete_faces(
                CollectionId=collection_id, FaceIds=[face["FaceRecords"][0]["Face"]["FaceId"]]
            )
            rounds[0] += 1
        return rounds[0]

    def search(client: Any) -> list[tuple[tuple[str, float], ...]]:
        results: list[tuple[tuple[str, float], ...]] = []
        # At least 12 searches, and on until writes have happened between them: however the
        # threads are scheduled, the searches overlap whole index-and-delete rounds.
        deadline = time.monotonic() + GUARD_S
        while len(results) < 12 or rounds[0] < 2:
            assert time.monotonic() < deadline, "the writer made no progress"
            matches = client.search_faces_by_image(
                CollectionId=collection_id, Image={"Bytes": astronaut_jpeg}
            )["FaceMatches"]
            results.append(tuple((m["Face"]["FaceId"], round(m["Similarity"], 4)) for m in matches))
        return results

    with ThreadPoolExecutor(max_workers=3) as pool:
        writer = pool.submit(churn)
        outcomes = list(pool.map(search, clients))
        stop.set()
        assert writer.result() >= 2
    every = [result for outcome in outcomes for result in outcome]
    assert len(set(every)) == 1  # identical answers for both clients, every time
    assert {face_id for face_id, _ in every[0]} == enrolled


def test_add_is_atomic(tmp_path: Path) -> None:
    store = FaceStore(tmp_path / "atomic")
    try:
        store.create_collection("c", created_at=time.time(), face_model_version="v")
        vectors = unit_vectors(3)
        duplicate = str(uuid.uuid4())
        store.add_faces("c", [new_face(vectors[0], duplicate)])
        batch = [new_face(vectors[1]), new_face(vectors[2], duplicate)]
        with pytest.raises(sqlite3.IntegrityError):
            store.add_faces("c", batch)
        assert store.face_count("c") == 1
        faces, more = store.list_faces("c", after_seq=0, limit=10)
        assert [f.face_id for f in faces] == [duplicate]
        assert not more
        hits = store.search("c", vectors[1], min_cosine=0.99, limit=5)
        assert hits == []
    finally:
        store.close()


def test_store_reload_matches_memory(tmp_path: Path) -> None:
    vectors = unit_vectors(2500, seed=4)
    store = FaceStore(tmp_path / "reload")
    store.create_collection("big", created_at=1.0, face_model_version="v")
    faces = [new_face(v) for v in vectors]
    store.add_faces("big", faces)
    store.delete_faces("big", [f.face_id for f in faces[::3]])
    expected = store.search("big", vectors[1], min_cosine=-1.0, limit=4096)
    store.close()
    reopened = FaceStore(tmp_path / "reload")
    try:
        assert reopened.face_count("big") == len(faces) - len(faces[::3])
        again = reopened.search("big", vectors[1], min_cosine=-1.0, limit=4096)
        assert [(r.face_id, round(s, 5)) for r, s in again] == [
            (r.face_id, round(s, 5)) for r, s in expected
        ]
        with pytest.raises(CollectionNotFoundError):
            reopened.face_count("absent")
    finally:
        reopened.close()
