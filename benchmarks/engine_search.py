"""Engine search latency at 10k / 100k / 1M enrolled faces, and a full signed round trip.

Prints one JSON document to stdout.

* ``index``: the search path without image work: ``CollectionIndex.search`` (matrix @ query,
  threshold, argpartition, sort) over synthetic unit 128-d embeddings put straight into the
  in-memory matrix, with the default FaceMatchThreshold (80) and MaxFaces 4096.
* ``store``: the same plus the SQLite metadata fetch for the hits (``FaceStore.search``), at the
  sizes listed in ``--store-sizes`` (rows are really inserted, so keep these modest).
* ``round_trip``: a real engine on 127.0.0.1 with ``--round-trip-size`` synthetic faces plus one
  real enrolment, searched with signed boto3 ``SearchFacesByImage`` calls (decode, detect, align,
  embed, search, HTTP, SigV4) using the 512x512 fixture portrait and a 200x200 face crop.

Run from the repository root:
``.venv/bin/python -m benchmarks.engine_search [--sizes 10000,100000,1000000] [--queries 300]``
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import gc
import json
import os
from pathlib import Path
import tempfile
import time
from typing import Any
import uuid

import numpy as np

from edge_bridge.embed import similarity_to_cosine
from edge_bridge.engine.index import CollectionIndex
from edge_bridge.engine.store import FaceStore, NewFace

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "faces" / "astronaut.jpg"
DIM = 128
CHUNK = 100_000


def rss_mb() -> float:
    """Resident set size of this process in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def unit_vectors(count: int, rng: np.random.Generator) -> np.ndarray:
    vectors = rng.standard_normal((count, DIM), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def percentiles(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p95_ms": round(float(np.percentile(values, 95)), 3),
        "mean_ms": round(float(values.mean()), 3),
        "n": len(samples),
    }


def timed(call: Callable[[], Any], repeats: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def bench_index(size: int, queries: int, rng: np.random.Generator) -> dict[str, Any]:
    gc.collect()
    before = rss_mb()
    index = CollectionIndex(DIM, capacity=size)
    for start in range(0, size, CHUNK):
        count = min(CHUNK, size - start)
        index.add(np.arange(start + 1, start + count + 1), unit_vectors(count, rng))
    after = rss_mb()
    min_cos = similarity_to_cosine(80.0)
    probes = unit_vectors(queries, rng)
    # Half the probes are noisy copies of enrolled faces, so there are real hits to rank.
    for i in range(0, queries, 2):
        target = index.vector(int(rng.integers(1, size + 1)))
        assert target is not None
        noisy = target + rng.standard_normal(DIM).astype(np.float32) * 0.05
        probes[i] = noisy / np.linalg.norm(noisy)
    position = iter(range(10**9))

    def one() -> None:
        index.search(probes[next(position) % queries], min_cosine=min_cos, limit=4096)

    samples = timed(one, queries)
    hits = [
        len(index.search(p, min_cosine=min_cos, limit=4096)[0]) for p in probes[: min(20, queries)]
    ]
    result = {
        "faces": size,
        "search": percentiles(samples),
        "hits_per_query_mean": round(float(np.mean(hits)), 2),
        "matrix_mb": round(index.nbytes / 2**20, 1),
        "rss_growth_mb": round(after - before, 1),
    }
    return result


def synthetic_faces(count: int, rng: np.random.Generator) -> list[NewFace]:
    vectors = unit_vectors(count, rng)
    now = time.time()
    return [
        NewFace(
            face_id=str(uuid.uuid4()),
            image_id=str(uuid.uuid4()),
            external_image_id=f"synthetic-{i}",
            bbox_width=0.2,
            bbox_height=0.25,
            bbox_left=0.4,
            bbox_top=0.3,
            confidence=99.0,
            model_version="synthetic",
            created_at=now,
            embedding=vectors[i],
        )
        for i in range(count)
    ]


def bench_store(size: int, queries: int, rng: np.random.Generator) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        store = FaceStore(Path(tmp))
        try:
            store.create_collection("bench", created_at=time.time(), face_model_version="v")
            started = time.perf_counter()
            for start in range(0, size, 10_000):
                store.add_faces("bench", synthetic_faces(min(10_000, size - start), rng))
            insert_s = time.perf_counter() - started
            probes = unit_vectors(queries, rng)
            min_cos = similarity_to_cosine(80.0)
            position = iter(range(10**9))

            def one() -> None:
                store.search(
                    "bench", probes[next(position) % queries], min_cosine=min_cos, limit=4096
                )

            samples = timed(one, queries)
            reload_started = time.perf_counter()
            store.close()
            store = FaceStore(Path(tmp))
            reload_s = time.perf_counter() - reload_started
        finally:
            store.close()
    return {
        "faces": size,
        "search_with_metadata": percentiles(samples),
        "insert_s": round(insert_s, 2),
        "reload_s": round(reload_s, 2),
    }


def bench_round_trip(size: int, requests: int, rng: np.random.Generator) -> dict[str, Any]:
    import boto3
    from botocore.config import Config
    import cv2

    from edge_bridge.engine import EngineConfig, EngineThread

    portrait = FIXTURE.read_bytes()
    image = cv2.imdecode(np.frombuffer(portrait, dtype=np.uint8), cv2.IMREAD_COLOR)
    ok, crop = cv2.imencode(".jpg", image[20:280, 130:330], [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    crop_bytes = crop.tobytes()
    with tempfile.TemporaryDirectory() as tmp:
        store = FaceStore(Path(tmp))
        store.create_collection("bench", created_at=time.time(), face_model_version="v")
        for start in range(0, size, 10_000):
            store.add_faces("bench", synthetic_faces(min(10_000, size - start), rng))
        store.close()
        key, secret = "AKIDBENCHMARK", uuid.uuid4().hex
        config = EngineConfig(data_dir=Path(tmp), credentials={key: secret})
        with EngineThread(config) as server:
            client = boto3.client(
                "rekognition",
                endpoint_url=server.endpoint_url,
                region_name="eu-west-2",
                aws_access_key_id=key,
                aws_secret_access_key=secret,
                config=Config(retries={"max_attempts": 1}, proxies={}),
            )
            client.index_faces(CollectionId="bench", Image={"Bytes": portrait})
            results: dict[str, Any] = {"faces": size + 1}
            for name, data in (("portrait_512px", portrait), ("face_crop_200x260px", crop_bytes)):
                matches: list[int] = []

                def one(payload: bytes = data, found: list[int] = matches) -> None:
                    response = client.search_faces_by_image(
                        CollectionId="bench", Image={"Bytes": payload}
                    )
                    found.append(len(response["FaceMatches"]))

                samples = timed(one, requests)
                results[name] = percentiles(samples)
                results[name]["matched"] = min(matches) >= 1
            started = time.perf_counter()
            client.describe_collection(CollectionId="bench")
            results["describe_collection_ms"] = round((time.perf_counter() - started) * 1e3, 3)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--store-sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--round-trip-size", type=int, default=10_000)
    parser.add_argument("--round-trip-requests", type=int, default=60)
    parser.add_argument("--skip-round-trip", action="store_true")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    store_sizes = [int(s) for s in args.store_sizes.split(",") if s]
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "numpy": np.__version__},
        "threshold": {"similarity": 80.0, "cosine": round(similarity_to_cosine(80.0), 4)},
        "index": [],
        "store": [bench_store(size, min(args.queries, 200), rng) for size in store_sizes],
    }
    for size in sizes:
        report["index"].append(bench_index(size, args.queries, rng))
        gc.collect()  # free the previous matrix before building the next
    if not args.skip_round_trip:
        report["round_trip"] = bench_round_trip(args.round_trip_size, args.round_trip_requests, rng)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
