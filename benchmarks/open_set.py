"""Open-set identification on faces-dev: flip TTA and person templates, at the engine's scale.

A shop's watchlist is an open set: most faces the camera sees belong to nobody on it. This
benchmark asks, for a watchlist of enrolled people, how many of their other photos are found
(TPIR: the best-scoring person is the right one and scores at least the threshold), how many
strangers are matched to someone (FPIR), and how often a watchlisted person is matched to the
wrong entry.

Protocol. Identities come from the "Yes" pairs of ``master.csv`` and
``face-recognition-pivot.csv`` (61 photos of 13 people; ``img11_reflection.jpg`` is a mirror of
``img11.jpg`` and the two group photos have unlabelled faces, so those three are left out). For
each split (seed 0, 1, ...) a random subset of the people with at least 4 photos is enrolled:
each enrolled person's photos are shuffled, the first k (k = 1 and k = 3) are the enrolment and
the photos from the fourth on are the genuine probes, the same probes for k = 1 and k = 3 so the
two are compared on the same searches. Every photo of every other person, plus the committed
public-domain portraits (``tests/fixtures/faces``), is a stranger probe.

Variants: flip TTA off / on (``FaceEmbedder(flip_tta=...)``); template ``mean`` (one vector per
person: the normalised mean of their enrolment embeddings) or ``max`` (each enrolment face kept,
a person scores their best face, which is what the engine does today with several IndexFaces per
person); and ``mixed`` (enrolment without TTA, probes with it: a collection enrolled before TTA
searched by an engine that has it on).

Every photo goes through the engine's own path: the engine's decoder, YuNet (score >= 0.6) on a
copy at most 1024 px on its longer side, the largest face, ``FaceEmbedder.align`` on the full
image and ``embed_aligned``. Cosines are turned into the engine's Similarity with
``edge_bridge.embed.cosine_to_similarity`` and thresholds into cosines with
``similarity_to_cosine``, exactly as ``engine/operations.py`` filters FaceMatchThreshold.

Reported per variant: TPIR at FPIR 1 % and 0.1 % (the threshold is set on the pooled stranger
scores; with a few dozen distinct stranger photos 0.1 % is an extrapolation, flagged in the
output); FPIR, TPIR and wrong-person matches at Similarity 80, 90, 93, 95 (the integration's
default), 97, 98 and 99 (``wrong_person_top``: the best match at or above the threshold is
another person; ``wrong_person_any``: another person is anywhere in the matches); rank-1
accuracy; the lowest genuine and highest stranger scores. Also verification accuracy on the
master.csv pairs with and without TTA, and ms per face (detection + alignment + embedding) on the
faces-dev photos and on the 512x512 fixture portrait, with the load average at the time.

``--probe-face-px N`` makes the probes (genuine and stranger, not the enrolment photos) CCTV-like:
each photo is shrunk so its face is N pixels wide and saved as JPEG quality 70 before detection.
A probe whose face is then not found counts as a miss (genuine) or as no match (stranger).

Run from the repository root::

    .venv/bin/python -m benchmarks.open_set            # full: 200 splits, 1-2 minutes here
    .venv/bin/python -m benchmarks.open_set --small    # CI: a subset, 10-25 s here
    .venv/bin/python -m benchmarks.open_set --probe-face-px 40   # CCTV-like probes

Photos are read from ``$SMARTSHOP_FACES_DEV`` or ``../shared/datasets/faces-dev``; when that
folder is absent the script prints "faces-dev not found" and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
from dataclasses import dataclass
import json
import math
import os
from pathlib import Path
import sys
import time
from typing import Any, Final

import cv2
import numpy as np

from benchmarks.verification_accuracy import Pair, decode_image, evaluate, load_pairs
from edge_bridge.detect import FaceDetector
from edge_bridge.embed import (
    VERIFY_COSINE,
    FaceEmbedder,
    cosine_to_similarity,
    normalise,
    similarity_to_cosine,
)
from edge_bridge.engine.operations import EngineLimits
from edge_bridge.image_decoder import ImageRejected
from edge_bridge.model_files import locate_models

ROOT: Final = Path(__file__).resolve().parents[1]
DEFAULT_DATASET: Final = ROOT.parent / "shared" / "datasets" / "faces-dev"
PUBLIC_DOMAIN_FACES: Final = (
    ROOT / "tests" / "fixtures" / "faces" / "astronaut.jpg",
    ROOT / "tests" / "fixtures" / "faces" / "grace_hopper.jpg",
)
EXCLUDED: Final = frozenset({"img11_reflection.jpg", "couple.jpg", "selfie-many-people.jpg"})
DETECTOR_SCORE: Final = 0.6  # EngineConfig.detector_score_threshold
DETECT_MAX_SIDE: Final = EngineLimits().detect_max_side
MAX_K: Final = 3
KS: Final = (1, 3)
DEFAULT_THRESHOLD: Final = 95.0  # the integration's DEFAULT_MATCH_THRESHOLD
THRESHOLDS: Final = (80.0, 90.0, 93.0, 95.0, 97.0, 98.0, 99.0)
FPIR_TARGETS: Final = (0.01, 0.001)


@dataclass(frozen=True)
class Photo:
    name: str
    person: str  # "stranger:<file>" for the public-domain extras
    plain: np.ndarray  # enrolment embedding without TTA
    tta: np.ndarray  # enrolment embedding with flip TTA
    # Embeddings when the photo is a probe: the same vectors, or those of the degraded copy
    # (``--probe-face-px``); None when the detector finds no face in the degraded copy.
    probe_plain: np.ndarray | None
    probe_tta: np.ndarray | None


def identities(dataset: Path) -> dict[str, str]:
    """file -> person id, from the "Yes" pairs of the labelled pair files (union-find)."""
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for file_name, column in (
        ("master.csv", "Decision"),
        ("face-recognition-pivot.csv", "decision"),
    ):
        path = dataset / file_name
        if not path.is_file():
            continue
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                first = row["file_x"].rsplit("/", 1)[-1]
                second = row["file_y"].rsplit("/", 1)[-1]
                root_first, root_second = find(first), find(second)
                if row[column].strip().lower() == "yes":
                    parent[root_first] = root_second
    members: dict[str, list[str]] = {}
    for name in list(parent):
        members.setdefault(find(name), []).append(name)
    labels: dict[str, str] = {}
    for files in members.values():
        files.sort(key=_natural)
        for name in files:
            labels[name] = "person:" + files[0].removesuffix(".jpg")
    return {name: person for name, person in labels.items() if name not in EXCLUDED}


def _natural(name: str) -> tuple[int, str]:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 0, name)


class Timer:
    """Per-face stage timings (seconds)."""

    def __init__(self) -> None:
        self.detect: list[float] = []
        self.align: list[float] = []
        self.embed_plain: list[float] = []
        self.embed_tta: list[float] = []


def read_photo(path: Path) -> np.ndarray:
    """Decode with the engine's decoder; a photo in another format (faces-dev has one WebP
    file named .jpg, which the engine would refuse) is decoded by OpenCV instead, as a client
    would convert it to JPEG before sending."""
    data = path.read_bytes()
    try:
        return decode_image(data)
    except ImageRejected:
        bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            raise
        return np.ascontiguousarray(bgr)


def degrade(bgr: np.ndarray, face_width: float, face_px: int) -> np.ndarray:
    """A CCTV-like copy: the image shrunk so the face is ``face_px`` wide, saved as JPEG q70."""
    factor = face_px / max(face_width, 1.0)
    if factor < 1.0:
        height, width = bgr.shape[:2]
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 70])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return decode_image(jpeg.tobytes())


def embed_photo(
    path: Path,
    detector: FaceDetector,
    plain: FaceEmbedder,
    tta: FaceEmbedder,
    timer: Timer,
    probe_face_px: int = 0,
) -> Photo | None:
    """The engine's path for the largest face; None when no face is found."""
    bgr = read_photo(path)
    found = embed_image(bgr, detector, plain, tta, timer)
    if found is None:
        return None
    face_width, plain_vector, tta_vector = found
    probe_plain: np.ndarray | None = plain_vector
    probe_tta: np.ndarray | None = tta_vector
    if probe_face_px > 0:
        degraded = embed_image(degrade(bgr, face_width, probe_face_px), detector, plain, tta, None)
        probe_plain, probe_tta = (None, None) if degraded is None else degraded[1:]
    return Photo(path.name, "", plain_vector, tta_vector, probe_plain, probe_tta)


def embed_image(
    bgr: np.ndarray,
    detector: FaceDetector,
    plain: FaceEmbedder,
    tta: FaceEmbedder,
    timer: Timer | None,
) -> tuple[float, np.ndarray, np.ndarray] | None:
    """(face width, plain embedding, TTA embedding) of the largest face, or None."""
    height, width = bgr.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
    started = time.perf_counter()
    if scale < 1.0:
        small = cv2.resize(
            bgr,
            (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA,
        )
        faces = [face.scaled(1.0 / scale) for face in detector.detect(small)]
    else:
        faces = detector.detect(bgr)
    detect_s = time.perf_counter() - started
    if not faces:
        return None
    started = time.perf_counter()
    aligned = plain.align(bgr, faces[0])
    align_s = time.perf_counter() - started
    started = time.perf_counter()
    plain_vector = plain.embed_aligned(aligned)
    plain_s = time.perf_counter() - started
    started = time.perf_counter()
    tta_vector = tta.embed_aligned(aligned)
    tta_s = time.perf_counter() - started
    if timer is not None:
        timer.detect.append(detect_s)
        timer.align.append(align_s)
        timer.embed_plain.append(plain_s)
        timer.embed_tta.append(tta_s)
    return faces[0].w, plain_vector, tta_vector


@dataclass
class Trials:
    """Pooled search outcomes of one variant over all splits (cosines)."""

    genuine_best: list[float]  # best score of the true person
    genuine_other: list[float]  # best score of any other enrolled person
    stranger_best: list[float]  # best score of any enrolled person


def person_scores(
    probe: np.ndarray, gallery: dict[str, np.ndarray], template: str
) -> dict[str, float]:
    """person -> score of ``probe`` against that person's enrolment (matrix of unit rows)."""
    scores: dict[str, float] = {}
    for person, rows in gallery.items():
        if template == "mean":
            scores[person] = float(normalise(rows.mean(axis=0)) @ probe)
        else:
            scores[person] = float((rows @ probe).max())
    return scores


def run_splits(
    photos: list[Photo], splits: int, enrol_people: int
) -> tuple[dict[str, Trials], dict[str, int]]:
    by_person: dict[str, list[Photo]] = {}
    for photo in photos:
        by_person.setdefault(photo.person, []).append(photo)
    eligible = sorted(
        (p for p, items in by_person.items() if p.startswith("person:") and len(items) > MAX_K),
        key=_natural,
    )
    enrol_count = min(enrol_people, len(eligible) - 1)
    variants: dict[str, tuple[int, str, str, str]] = {}  # name -> (k, template, gallery, probe)
    for k in KS:
        for tta_name in ("plain", "tta"):
            templates = ("mean",) if k == 1 else ("mean", "max")
            for template in templates:
                label = "single" if k == 1 else template
                variants[f"k{k}_{tta_name}_{label}"] = (k, template, tta_name, tta_name)
        variants[f"k{k}_mixed_{'single' if k == 1 else 'mean'}"] = (k, "mean", "plain", "tta")
    trials = {name: Trials([], [], []) for name in variants}
    counts = {"genuine_probes": 0, "stranger_probes": 0}
    stranger_photos: set[str] = set()
    for seed in range(splits):
        rng = np.random.default_rng(seed)
        chosen = [eligible[i] for i in rng.choice(len(eligible), enrol_count, replace=False)]
        enrolment: dict[str, list[Photo]] = {}
        genuine: list[Photo] = []
        for person in chosen:
            items = list(by_person[person])
            order = rng.permutation(len(items))
            shuffled = [items[i] for i in order]
            enrolment[person] = shuffled[:MAX_K]
            genuine.extend(shuffled[MAX_K:])
        strangers = [p for p in photos if p.person not in enrolment]
        stranger_photos.update(p.name for p in strangers)
        counts["genuine_probes"] += len(genuine)
        counts["stranger_probes"] += len(strangers)
        for name, (k, template, gallery_kind, probe_kind) in variants.items():
            gallery = {
                person: np.stack([getattr(p, gallery_kind) for p in items[:k]])
                for person, items in enrolment.items()
            }
            out = trials[name]
            for probe in genuine:
                vector = getattr(probe, "probe_" + probe_kind)
                if vector is None:  # no face found in the degraded probe: a miss
                    out.genuine_best.append(-math.inf)
                    out.genuine_other.append(-math.inf)
                    continue
                scores = person_scores(vector, gallery, template)
                out.genuine_best.append(scores[probe.person])
                out.genuine_other.append(
                    max(v for person, v in scores.items() if person != probe.person)
                )
            for probe in strangers:
                vector = getattr(probe, "probe_" + probe_kind)
                if vector is None:
                    out.stranger_best.append(-math.inf)
                    continue
                scores = person_scores(vector, gallery, template)
                out.stranger_best.append(max(scores.values()))
    counts["distinct_stranger_photos"] = len(stranger_photos)
    counts["enrolled_people_per_split"] = enrol_count
    counts["eligible_people"] = len(eligible)
    return trials, counts


def threshold_for_fpir(stranger: np.ndarray, target: float) -> float:
    """Smallest cosine cut with at most floor(target x N) stranger scores at or above it."""
    allowed = math.floor(target * stranger.size)
    ordered = np.sort(stranger)[::-1]
    if allowed >= ordered.size:
        return float("-inf")
    # Just above the (allowed + 1)-th highest stranger score.
    return float(np.nextafter(np.float32(ordered[allowed]), np.float32(np.inf)))


def at_cut(trials: Trials, cut: float) -> dict[str, Any]:
    best = np.asarray(trials.genuine_best)
    other = np.asarray(trials.genuine_other)
    stranger = np.asarray(trials.stranger_best)
    found = (best >= cut) & (best > other)
    wrong_top = (other >= cut) & (other >= best)
    wrong_any = other >= cut
    return {
        "tpir": round(float(found.mean()), 4),
        "fpir": round(float((stranger >= cut).mean()), 4),
        "false_positives": int((stranger >= cut).sum()),
        "wrong_person_top": int(wrong_top.sum()),
        "wrong_person_any": int(wrong_any.sum()),
    }


def summarise(trials: Trials, counts: dict[str, int]) -> dict[str, Any]:
    best = np.asarray(trials.genuine_best)
    other = np.asarray(trials.genuine_other)
    stranger = np.asarray(trials.stranger_best)
    result: dict[str, Any] = {
        "rank1_accuracy": round(float((best > other).mean()), 4),
        "genuine_score_min_p5": [
            round(cosine_to_similarity(float(best.min())), 2),
            round(cosine_to_similarity(float(np.percentile(best, 5))), 2),
        ],
        "stranger_score_max_p99": [
            round(cosine_to_similarity(float(stranger.max())), 2),
            round(cosine_to_similarity(float(np.percentile(stranger, 99))), 2),
        ],
        "at_fpir": {},
        "at_similarity": {},
    }
    for target in FPIR_TARGETS:
        cut = threshold_for_fpir(stranger, target)
        entry = at_cut(trials, cut)
        entry["similarity_threshold"] = round(cosine_to_similarity(cut), 2)
        entry["cosine_threshold"] = round(cut, 4)
        entry["extrapolated"] = (
            stranger.size * target < 10 or counts["distinct_stranger_photos"] * target < 1
        )
        result["at_fpir"][f"{target:.1%}"] = entry
    for similarity in THRESHOLDS:
        result["at_similarity"][f"{similarity:g}"] = at_cut(
            trials, similarity_to_cosine(similarity)
        )
    return result


def verification(photos: dict[str, Photo], pairs: list[Pair]) -> dict[str, Any]:
    usable = [p for p in pairs if p.first in photos and p.second in photos]
    out: dict[str, Any] = {}
    for kind in ("plain", "tta"):
        scores = {
            (p.first, p.second): float(
                getattr(photos[p.first], kind) @ getattr(photos[p.second], kind)
            )
            for p in usable
        }
        at_80 = evaluate(scores, usable, VERIFY_COSINE, higher_is_same=True)
        at_95 = evaluate(
            scores, usable, similarity_to_cosine(DEFAULT_THRESHOLD), higher_is_same=True
        )
        out[kind] = {
            "pairs": at_80["pairs"],
            "accuracy_at_similarity_80": at_80["accuracy"],
            "accuracy_at_similarity_95": at_95["accuracy"],
            "false_accepts_rejects_at_95": [at_95["false_accepts"], at_95["false_rejects"]],
            "best_cosine_interval": at_80["best_threshold_open_interval"],
            "same_cosine_min": at_80["same_score_min_max"][0],
            "different_cosine_max": at_80["different_score_min_max"][1],
        }
    return out


def fixture_timing(
    detector: FaceDetector, plain: FaceEmbedder, tta: FaceEmbedder, rounds: int
) -> dict[str, Any]:
    """Detect + align + embed the 512x512 astronaut portrait, TTA off and on taking turns (so
    the machine's drift hits both); min and p50 in ms."""
    bgr = read_photo(PUBLIC_DOMAIN_FACES[0])
    samples: dict[str, list[float]] = {"plain": [], "tta": []}
    for _ in range(rounds):
        for kind, embedder in (("plain", plain), ("tta", tta)):
            started = time.perf_counter()
            face = detector.detect(bgr)[0]
            embedder.embed_aligned(embedder.align(bgr, face))
            samples[kind].append(time.perf_counter() - started)
    return {
        "image": f"{PUBLIC_DOMAIN_FACES[0].name} {bgr.shape[1]}x{bgr.shape[0]}",
        "rounds": rounds,
        **{
            f"{kind}_ms": {
                "min": round(min(values) * 1000.0, 1),
                "p50": round(float(np.percentile(values, 50)) * 1000.0, 1),
            }
            for kind, values in samples.items()
        },
    }


def ms(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples) * 1000.0
    return {
        "p50": round(float(np.percentile(values, 50)), 1),
        "mean": round(float(values.mean()), 1),
    }


def table(report: dict[str, Any]) -> str:
    lines = [
        f"open-set identification, faces-dev ({report['counts']['genuine_probes']} genuine / "
        f"{report['counts']['stranger_probes']} stranger probe searches over "
        f"{report['splits']} splits; {report['counts']['distinct_stranger_photos']} distinct "
        "stranger photos)",
        f"{'variant':<18} {'rank1':>6} {'TPIR@1%':>8} {'TPIR@.1%*':>9} {'thr@.1%':>7} "
        f"{'TPIR@95':>8} {'FPIR@95':>8} {'wrong@95':>8} {'TPIR@98':>8} {'FPIR@98':>8} "
        f"{'strg max':>8} {'gen min':>8}",
    ]
    for name, v in report["variants"].items():
        at1, at01 = v["at_fpir"]["1.0%"], v["at_fpir"]["0.1%"]
        s95, s98 = v["at_similarity"]["95"], v["at_similarity"]["98"]
        lines.append(
            f"{name:<18} {v['rank1_accuracy']:>6.1%} {at1['tpir']:>8.1%} {at01['tpir']:>9.1%} "
            f"{at01['similarity_threshold']:>7.2f} {s95['tpir']:>8.1%} {s95['fpir']:>8.2%} "
            f"{s95['wrong_person_any']:>8d} {s98['tpir']:>8.1%} {s98['fpir']:>8.2%} "
            f"{v['stranger_score_max_p99'][0]:>8.2f} {v['genuine_score_min_p5'][0]:>8.2f}"
        )
    lines.append(
        "* 0.1 % FPIR needs >= 1000 independent strangers; here it is the cut just above the "
        "highest stranger scores seen (extrapolated)."
    )
    timing = report["ms_per_face"]
    fixture = report["ms_per_face_fixture"]
    lines.append(
        f"ms/face (detect+align+embed, p50): TTA off {timing['total_plain_p50']}, "
        f"TTA on {timing['total_tta_p50']} on faces-dev photos; {fixture['image']}: "
        f"off {fixture['plain_ms']['p50']} (min {fixture['plain_ms']['min']}), "
        f"on {fixture['tta_ms']['p50']} (min {fixture['tta_ms']['min']}) "
        f"(load average {report['machine']['loadavg_1m']}, {report['machine']['cpus']} CPUs)"
    )
    for kind, ver in report["verification_master_csv"].items():
        lines.append(
            f"verification {kind}: {ver['pairs']} pairs, accuracy "
            f"{ver['accuracy_at_similarity_80']:.1%} at Similarity 80, "
            f"{ver['accuracy_at_similarity_95']:.1%} at 95"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--dataset",
        type=Path,
        default=Path(os.environ.get("SMARTSHOP_FACES_DEV", DEFAULT_DATASET)),
    )
    parser.add_argument("--splits", type=int, default=200)
    parser.add_argument("--enrol-people", type=int, default=5)
    parser.add_argument(
        "--small", action="store_true", help="CI: 6 people, 4 photos each, 20 splits"
    )
    parser.add_argument(
        "--probe-face-px",
        type=int,
        default=0,
        help="degrade every probe (not the enrolment) to a face this many pixels wide, JPEG q70",
    )
    parser.add_argument("--json-out", type=Path, help="also write the JSON document here")
    args = parser.parse_args(argv)
    dataset: Path = args.dataset
    if not (dataset / "master.csv").is_file():
        print(f"faces-dev not found at {dataset}: open-set benchmark skipped")
        return 0
    labels = identities(dataset)
    splits: int = args.splits
    enrol_people: int = args.enrol_people
    if args.small:
        by_person: dict[str, list[str]] = {}
        for name, person in sorted(labels.items(), key=lambda item: _natural(item[0])):
            by_person.setdefault(person, []).append(name)
        keep = sorted(by_person, key=lambda p: (-len(by_person[p]), p))[:6]
        labels = {name: p for p in keep for name in by_person[p][: MAX_K + 1]}
        splits, enrol_people = min(splits, 20), 3
    models = locate_models()
    detector = FaceDetector(models.detector, score_threshold=DETECTOR_SCORE)
    plain = FaceEmbedder(models.recognizer)
    tta = FaceEmbedder(models.recognizer, flip_tta=True)
    timer = Timer()
    photos: dict[str, Photo] = {}
    missing: list[str] = []
    sources = [(dataset / name, person) for name, person in sorted(labels.items())]
    sources += [(path, f"stranger:{path.name}") for path in PUBLIC_DOMAIN_FACES if path.is_file()]
    for path, person in sources:
        photo = embed_photo(path, detector, plain, tta, timer, args.probe_face_px)
        if photo is None:
            missing.append(path.name)
            continue
        photos[path.name] = dataclasses.replace(photo, person=person)
    trials, counts = run_splits(list(photos.values()), splits, enrol_people)
    total_plain = np.add(np.add(timer.detect, timer.align), timer.embed_plain)
    total_tta = np.add(np.add(timer.detect, timer.align), timer.embed_tta)
    report: dict[str, Any] = {
        "mode": "small" if args.small else "full",
        "dataset": str(dataset),
        "photos": len(photos),
        "people": len({p.person for p in photos.values() if p.person.startswith("person:")}),
        "public_domain_strangers": [p.name for p in PUBLIC_DOMAIN_FACES if p.name in photos],
        "photos_without_face": missing,
        "probe_face_px": args.probe_face_px or None,
        "degraded_probes_without_face": sorted(
            p.name for p in photos.values() if p.probe_plain is None
        ),
        "splits": splits,
        "counts": counts,
        "default_threshold": DEFAULT_THRESHOLD,
        "default_threshold_cosine": round(similarity_to_cosine(DEFAULT_THRESHOLD), 4),
        "variants": {name: summarise(t, counts) for name, t in trials.items()},
        "verification_master_csv": verification(photos, load_pairs(dataset)),
        "ms_per_face": {
            "detect": ms(timer.detect),
            "align": ms(timer.align),
            "embed_plain": ms(timer.embed_plain),
            "embed_tta": ms(timer.embed_tta),
            "total_plain_p50": round(float(np.percentile(total_plain, 50)) * 1000.0, 1),
            "total_tta_p50": round(float(np.percentile(total_tta, 50)) * 1000.0, 1),
        },
        "ms_per_face_fixture": fixture_timing(detector, plain, tta, 5 if args.small else 40),
        "machine": {"cpus": os.cpu_count(), "loadavg_1m": round(os.getloadavg()[0], 2)},
        "model": "YuNet 2023mar int8 + SFace 2021dec int8 (OpenCV " + cv2.__version__ + ")",
    }
    document = json.dumps(report, indent=2)
    if args.json_out is not None:
        args.json_out.write_text(document + "\n")
    print(document)
    print(table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
