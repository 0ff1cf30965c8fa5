"""Face verification accuracy and speed on the faces-dev pairs: SFace (the engine) vs dlib.

Prints one JSON document to stdout. For every pair in ``master.csv`` (file_x, file_y, Decision)
both photos go through the engine's own path (safe decode, YuNet on a copy at most 1024 px on
its longer side, largest face, SFace embedding), and the pair is called "same person" when the
cosine similarity is at least the threshold. Reported: accuracy at the engine's threshold
(cosine 0.363 = Similarity 80), the best accuracy over all thresholds (and the range of
thresholds that reach it), false accepts / rejects, and milliseconds per detection and per
embedding.

The peer is dlib's ResNet face descriptor (the model ``face_recognition`` wraps), run on the same
downscaled photos with its HOG detector and 5-point alignment, distance threshold 0.6. It is
optional and never a project requirement; to include it::

    .venv/bin/python -m pip install --target /tmp/dlib-peer dlib-bin face_recognition_models
    PYTHONPATH=/tmp/dlib-peer .venv/bin/python -m benchmarks.verification_accuracy

Run from the repository root: ``.venv/bin/python -m benchmarks.verification_accuracy``.
The photos are read from ``$SMARTSHOP_FACES_DEV`` or ``../shared/datasets/faces-dev``.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
import importlib.util
import json
import os
from pathlib import Path
import time
from typing import Any

import cv2
import numpy as np

from edge_bridge.detect import FaceDetector
from edge_bridge.embed import VERIFY_COSINE, FaceEmbedder, cosine_to_similarity
from edge_bridge.engine.operations import REQUEST_IMAGE_FORMATS
from edge_bridge.image_decoder import ImageLimits, decode
from edge_bridge.model_files import locate_models

DEFAULT_DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "faces-dev"
DETECT_MAX_SIDE = 1024
DLIB_THRESHOLD = 0.6


def decode_image(data: bytes) -> np.ndarray:
    """Decode as the engine does, without its 5 MB request limit (the photos are files)."""
    limits = ImageLimits(REQUEST_IMAGE_FORMATS, max_bytes=len(data), max_pixels=40_000_000)
    return decode(data, limits)


@dataclass
class Pair:
    first: str
    second: str
    same: bool


def load_pairs(dataset: Path) -> list[Pair]:
    with (dataset / "master.csv").open(newline="") as handle:
        return [
            Pair(row["file_x"], row["file_y"], row["Decision"].strip().lower() == "yes")
            for row in csv.DictReader(handle)
        ]


def downscaled(bgr: np.ndarray) -> tuple[np.ndarray, float]:
    height, width = bgr.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
    if scale == 1.0:
        return bgr, 1.0
    size = (round(width * scale), round(height * scale))
    return cv2.resize(bgr, size, interpolation=cv2.INTER_AREA), scale


def stats_ms(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples) * 1000.0
    return {
        "mean": round(float(values.mean()), 2),
        "p50": round(float(np.percentile(values, 50)), 2),
        "p95": round(float(np.percentile(values, 95)), 2),
        "n": len(samples),
    }


def evaluate(
    scores: dict[tuple[str, str], float],
    pairs: list[Pair],
    threshold: float,
    *,
    higher_is_same: bool,
) -> dict[str, Any]:
    """Accuracy at ``threshold`` and the best accuracy over all thresholds."""
    values = np.array([scores[(p.first, p.second)] for p in pairs])
    labels = np.array([p.same for p in pairs])
    signed = values if higher_is_same else -values

    def accuracy_at(cut: float) -> float:
        return float(((signed >= cut) == labels).mean())

    cut = threshold if higher_is_same else -threshold
    predicted = signed >= cut
    candidates = np.unique(signed)
    cuts = np.concatenate([[candidates[0] - 1e-6], (candidates[:-1] + candidates[1:]) / 2])
    cuts = np.concatenate([cuts, [candidates[-1] + 1e-6]])
    accuracies = np.array([accuracy_at(float(c)) for c in cuts])
    best = float(accuracies.max())
    best_cuts = cuts[accuracies == best]
    # Every threshold strictly between these two observed scores gives the best accuracy.
    below = candidates[candidates < best_cuts.min()]
    above = candidates[candidates > best_cuts.max()]
    low = float(below.max()) if below.size else float("-inf")
    high = float(above.min()) if above.size else float("inf")
    if not higher_is_same:
        low, high = -high, -low
    return {
        "pairs": len(pairs),
        "same_pairs": int(labels.sum()),
        "threshold": threshold,
        "accuracy": round(accuracy_at(cut), 4),
        "false_accepts": int((predicted & ~labels).sum()),
        "false_rejects": int((~predicted & labels).sum()),
        "best_accuracy": round(best, 4),
        "best_threshold_open_interval": [round(low, 4), round(high, 4)],
        "same_score_min_max": [
            round(float(values[labels].min()), 4),
            round(float(values[labels].max()), 4),
        ],
        "different_score_min_max": [
            round(float(values[~labels].min()), 4),
            round(float(values[~labels].max()), 4),
        ],
    }


def run_sface(dataset: Path, files: list[str], pairs: list[Pair]) -> dict[str, Any]:
    models = locate_models()
    detector = FaceDetector(models.detector, score_threshold=0.6)
    embedder = FaceEmbedder(models.recognizer)
    decode_times: list[float] = []
    detect_times: list[float] = []
    embed_times: list[float] = []
    embeddings: dict[str, np.ndarray] = {}
    missing: list[str] = []
    for name in files:
        data = (dataset / name).read_bytes()
        started = time.perf_counter()
        bgr = decode_image(data)
        small, scale = downscaled(bgr)
        decode_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        faces = detector.detect(small)
        detect_times.append(time.perf_counter() - started)
        if not faces:
            missing.append(name)
            continue
        started = time.perf_counter()
        embeddings[name] = embedder.embed(bgr, faces[0].scaled(1.0 / scale))
        embed_times.append(time.perf_counter() - started)
    usable = [p for p in pairs if p.first in embeddings and p.second in embeddings]
    scores = {
        (p.first, p.second): float(embeddings[p.first] @ embeddings[p.second]) for p in usable
    }
    result = evaluate(scores, usable, VERIFY_COSINE, higher_is_same=True)
    result["similarity_at_threshold"] = round(cosine_to_similarity(VERIFY_COSINE), 2)
    result["photos_without_face"] = missing
    result["ms_per_decode_and_downscale"] = stats_ms(decode_times)
    result["ms_per_detection"] = stats_ms(detect_times)
    result["ms_per_embedding"] = stats_ms(embed_times)
    result["model"] = "YuNet 2023mar int8 + SFace 2021dec int8 (OpenCV " + cv2.__version__ + ")"
    return result


def run_dlib(dataset: Path, files: list[str], pairs: list[Pair]) -> dict[str, Any]:
    if importlib.util.find_spec("dlib") is None:
        return {
            "skipped": "dlib is not installed (optional peer: pip install dlib-bin "
            "face_recognition_models into a separate --target and put it on PYTHONPATH)"
        }
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return {"skipped": "face_recognition_models (dlib's model files) is not installed"}
    import dlib

    model_dir = Path(next(iter(spec.submodule_search_locations))) / "models"
    hog = dlib.get_frontal_face_detector()
    shapes = dlib.shape_predictor(str(model_dir / "shape_predictor_5_face_landmarks.dat"))
    resnet = dlib.face_recognition_model_v1(
        str(model_dir / "dlib_face_recognition_resnet_model_v1.dat")
    )
    detect_times: list[float] = []
    embed_times: list[float] = []
    descriptors: dict[str, np.ndarray] = {}
    missing: list[str] = []
    for name in files:
        data = (dataset / name).read_bytes()
        small, _ = downscaled(decode_image(data))
        rgb = np.ascontiguousarray(small[:, :, ::-1])
        started = time.perf_counter()
        boxes = hog(rgb, 1)  # face_recognition's default: upsample once
        detect_times.append(time.perf_counter() - started)
        if len(boxes) == 0:
            missing.append(name)
            continue
        box = max(boxes, key=lambda b: b.width() * b.height())
        started = time.perf_counter()
        landmarks = shapes(rgb, box)
        descriptors[name] = np.asarray(resnet.compute_face_descriptor(rgb, landmarks, 1))
        embed_times.append(time.perf_counter() - started)
    usable = [p for p in pairs if p.first in descriptors and p.second in descriptors]
    scores = {
        (p.first, p.second): float(np.linalg.norm(descriptors[p.first] - descriptors[p.second]))
        for p in usable
    }
    result = evaluate(scores, usable, DLIB_THRESHOLD, higher_is_same=False)
    result["photos_without_face"] = missing
    result["pairs_skipped_no_face"] = len(pairs) - len(usable)
    result["ms_per_detection"] = stats_ms(detect_times)
    result["ms_per_embedding"] = stats_ms(embed_times)
    result["model"] = f"dlib {dlib.__version__} HOG + ResNet (face_recognition_models)"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        type=Path,
        default=Path(os.environ.get("SMARTSHOP_FACES_DEV", DEFAULT_DATASET)),
    )
    parser.add_argument("--skip-dlib", action="store_true")
    args = parser.parse_args()
    dataset: Path = args.dataset
    if not (dataset / "master.csv").is_file():
        print(json.dumps({"skipped": f"no master.csv in {dataset}"}))
        return
    pairs = load_pairs(dataset)
    files = sorted({p.first for p in pairs} | {p.second for p in pairs})
    report: dict[str, Any] = {
        "dataset": {"photos": len(files), "pairs": len(pairs), "path": str(dataset)},
        "machine": {"cpus": os.cpu_count()},
        "sface": run_sface(dataset, files, pairs),
    }
    report["dlib"] = (
        {"skipped": "--skip-dlib given"} if args.skip_dlib else run_dlib(dataset, files, pairs)
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
