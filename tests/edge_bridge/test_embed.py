"""Face embeddings (SFace): unit length, discrimination, thread safety, the similarity scale."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import itertools

import cv2
import numpy as np
import pytest

from edge_bridge.detect import FaceDetector
from edge_bridge.embed import (
    EMBEDDING_SIZE,
    FaceEmbedder,
    cosine_to_similarity,
    similarity_to_cosine,
)
from tests.edge_bridge.helpers_bridge import bgr_from_jpeg, models


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector(models().detector)


@pytest.fixture(scope="module")
def embedder() -> FaceEmbedder:
    return FaceEmbedder(models().recognizer)


def test_embedding_is_unit_128d_and_discriminates(
    detector: FaceDetector,
    embedder: FaceEmbedder,
    astronaut_jpeg: bytes,
    grace_hopper_jpeg: bytes,
) -> None:
    astro = bgr_from_jpeg(astronaut_jpeg)
    grace = bgr_from_jpeg(grace_hopper_jpeg)
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
    astro = bgr_from_jpeg(astronaut_jpeg)
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
