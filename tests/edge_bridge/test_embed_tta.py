"""Flip test-time augmentation of FaceEmbedder, and the open-set benchmark's CI mode."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks import open_set
from edge_bridge.detect import FaceDetector
from edge_bridge.embed import EMBEDDING_SIZE, FaceEmbedder
from edge_bridge.engine import EngineConfig
from tests.edge_bridge.conftest import FACES_DEV
from tests.edge_bridge.helpers_bridge import bgr_from_jpeg, models


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector(models().detector)


@pytest.fixture(scope="module")
def plain() -> FaceEmbedder:
    return FaceEmbedder(models().recognizer)


@pytest.fixture(scope="module")
def tta() -> FaceEmbedder:
    return FaceEmbedder(models().recognizer, flip_tta=True)


def test_flip_tta_is_the_normalised_mean_of_face_and_mirror(
    detector: FaceDetector,
    plain: FaceEmbedder,
    tta: FaceEmbedder,
    astronaut_jpeg: bytes,
) -> None:
    image = bgr_from_jpeg(astronaut_jpeg)
    face = detector.detect(image)[0]
    aligned = tta.align(image, face)
    assert np.array_equal(aligned, plain.align(image, face))  # TTA does not change alignment

    vector = tta.embed_aligned(aligned)
    assert vector.shape == (EMBEDDING_SIZE,)
    assert vector.dtype == np.float32
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)

    mirrored = np.ascontiguousarray(aligned[:, ::-1])
    assert np.array_equal(mirrored, cv2.flip(aligned, 1))
    mean = plain.embed_aligned(aligned) + plain.embed_aligned(mirrored)
    expected = mean / np.linalg.norm(mean)
    assert np.allclose(vector, expected, atol=1e-6)
    # embed() (align + embed) takes the same path.
    assert np.allclose(tta.embed(image, face), vector, atol=1e-6)
    # Not the plain embedding, but the same face: far above the verification threshold.
    plain_vector = plain.embed_aligned(aligned)
    assert not np.allclose(vector, plain_vector, atol=1e-4)
    assert float(vector @ plain_vector) > 0.9


def test_flip_tta_is_deterministic_and_discriminates(
    detector: FaceDetector,
    tta: FaceEmbedder,
    astronaut_jpeg: bytes,
    grace_hopper_jpeg: bytes,
) -> None:
    astro = bgr_from_jpeg(astronaut_jpeg)
    grace = bgr_from_jpeg(grace_hopper_jpeg)
    first = tta.embed(astro, detector.detect(astro)[0])
    again = FaceEmbedder(models().recognizer, flip_tta=True).embed(astro, detector.detect(astro)[0])
    assert np.array_equal(first, tta.embed(astro, detector.detect(astro)[0]))
    assert np.array_equal(first, again)
    other = tta.embed(grace, detector.detect(grace)[0])
    assert float(first @ other) < 0.363


def test_engine_embeds_with_flip_tta_by_default() -> None:
    assert FaceEmbedder(models().recognizer).flip_tta is False  # the bridge pipeline's default
    assert EngineConfig(data_dir=models().recognizer.parent, credentials={}).flip_tta is True


def test_open_set_small_mode_runs(capsys: pytest.CaptureFixture[str]) -> None:
    if not (FACES_DEV / "master.csv").is_file():
        pytest.skip(f"faces-dev not found at {FACES_DEV} (set SMARTSHOP_FACES_DEV)")
    assert open_set.main(["--small", "--dataset", str(FACES_DEV)]) == 0
    out = capsys.readouterr().out
    document, _, table = out.partition("\n}\n")
    report = json.loads(document + "\n}")
    assert report["mode"] == "small"
    assert report["counts"]["genuine_probes"] > 0
    assert report["counts"]["stranger_probes"] > 0
    for name in ("k1_plain_single", "k1_tta_single", "k3_tta_mean", "k3_tta_max"):
        variant = report["variants"][name]
        assert 0.0 <= variant["at_similarity"]["95"]["tpir"] <= 1.0
        assert variant["at_fpir"]["0.1%"]["extrapolated"] is True
    assert "TTA on" in table


def test_open_set_skips_without_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert open_set.main(["--small", "--dataset", str(tmp_path)]) == 0
    assert "faces-dev not found" in capsys.readouterr().out
