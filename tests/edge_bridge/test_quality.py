"""Quality gate and score: size, sharpness, pose from landmarks, detector score."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from edge_bridge.detect import DetectedFace, FaceDetector
from edge_bridge.quality import assess, pose_angles
from edge_bridge.settings import QualitySettings
from tests.edge_bridge.helpers_bridge import FACES, models

SETTINGS = QualitySettings()


@pytest.fixture(scope="module")
def portrait() -> tuple[np.ndarray, DetectedFace]:
    image = cv2.imread(str(FACES / "grace_hopper.jpg"))
    detected = FaceDetector(models().detector).detect(image)
    assert len(detected) == 1
    return image, detected[0]


def synthetic(
    roll_deg: float = 0.0, nose_shift: float = 0.0, size: float = 120.0, score: float = 0.9
) -> DetectedFace:
    """A face box with landmarks: eyes rotated by ``roll_deg``, nose moved along the eye line."""
    cx, cy = 200.0, 200.0
    half_eye = size * 0.2
    angle = np.radians(roll_deg)
    ux, uy = float(np.cos(angle)), float(np.sin(angle))
    right_eye = (cx - half_eye * ux, cy - half_eye * uy)
    left_eye = (cx + half_eye * ux, cy + half_eye * uy)
    shift = nose_shift * 2 * half_eye
    nose = (cx + shift * ux - 0.25 * size * uy, cy + shift * uy + 0.25 * size * ux)
    return DetectedFace(
        x=cx - size / 2,
        y=cy - size / 2,
        w=size,
        h=size,
        score=score,
        landmarks=(right_eye, left_eye, nose, (cx - 20, cy + 40), (cx + 20, cy + 40)),
    )


def textured(size: int = 400) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, 255, (size, size, 3), dtype=np.uint8)


def test_pose_angles_from_landmarks() -> None:
    roll, yaw, _ = pose_angles(synthetic(roll_deg=20.0, nose_shift=0.3))
    assert roll == pytest.approx(20.0, abs=0.01)
    assert yaw == pytest.approx(0.3, abs=0.01)
    roll, yaw, _ = pose_angles(synthetic())
    assert roll == pytest.approx(0.0, abs=0.01)
    assert yaw == pytest.approx(0.0, abs=0.01)


def test_real_portrait_scores_well(portrait: tuple[np.ndarray, DetectedFace]) -> None:
    image, face = portrait
    quality = assess(image, face, SETTINGS)
    assert quality.ok
    assert quality.score >= SETTINGS.good_score
    assert abs(quality.roll_deg) < 5
    assert abs(quality.yaw) < 0.15
    assert set(quality.as_dict()) >= {"score", "size", "sharpness", "pose", "detector"}


def test_blur_lowers_the_score(portrait: tuple[np.ndarray, DetectedFace]) -> None:
    image, face = portrait
    sharp = assess(image, face, replace(SETTINGS, sharpness_ref=2000.0))
    blurred = assess(
        cv2.GaussianBlur(image, (15, 15), 0), face, replace(SETTINGS, sharpness_ref=2000.0)
    )
    assert blurred.laplacian_var < sharp.laplacian_var / 4
    assert blurred.score < sharp.score


def test_smaller_face_scores_lower(portrait: tuple[np.ndarray, DetectedFace]) -> None:
    image, face = portrait
    small = cv2.resize(image, (128, 128), interpolation=cv2.INTER_AREA)
    small_face = face.scaled(0.25)
    big = assess(image, face, SETTINGS)
    little = assess(small, small_face, SETTINGS)
    assert little.ok
    assert little.size < big.size
    assert little.score < big.score


@pytest.mark.parametrize(
    ("face", "reason"),
    [
        (synthetic(size=30), "too_small"),
        (synthetic(roll_deg=45), "rolled"),
        (synthetic(nose_shift=0.6), "turned"),
        (replace(synthetic(), x=-60.0), "cut_off"),
        (replace(synthetic(), x=0.0, w=70.0), "cut_off"),  # clipped box touching the edge
        (replace(synthetic(), y=300.0), "cut_off"),  # touching the bottom
    ],
    ids=["small", "rolled", "turned", "outside", "left-edge", "bottom-edge"],
)
def test_gate_refuses_unusable_shots(face: DetectedFace, reason: str) -> None:
    quality = assess(textured(), face, SETTINGS)
    assert not quality.ok
    assert quality.reason == reason
    assert quality.score == 0.0


def test_frontal_beats_turned_and_confident_beats_unsure() -> None:
    image = textured()
    frontal = assess(image, synthetic(), SETTINGS)
    turned = assess(image, synthetic(nose_shift=0.3), SETTINGS)
    unsure = assess(image, synthetic(score=0.72), SETTINGS)
    assert frontal.ok and turned.ok and unsure.ok
    assert frontal.score > turned.score
    assert frontal.score > unsure.score


def test_blank_face_region_is_refused() -> None:
    quality = assess(np.full((400, 400, 3), 128, np.uint8), synthetic(), SETTINGS)
    assert quality.reason == "blank"
