"""Face detection (YuNet): boxes, landmarks, order and thread safety."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from edge_bridge.detect import DetectedFace, FaceDetector
from tests.edge_bridge.helpers_bridge import bgr_from_jpeg, models


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector(models().detector)


def test_detects_one_face_with_landmarks(detector: FaceDetector, astronaut_jpeg: bytes) -> None:
    faces = detector.detect(bgr_from_jpeg(astronaut_jpeg))
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
    small = cv2.resize(bgr_from_jpeg(astronaut_jpeg), (256, 256), interpolation=cv2.INTER_AREA)
    large = bgr_from_jpeg(grace_hopper_jpeg)
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
        bgr_from_jpeg(astronaut_jpeg),
        cv2.resize(bgr_from_jpeg(grace_hopper_jpeg), (400, 300)),
        cv2.resize(bgr_from_jpeg(astronaut_jpeg), (640, 480)),
    ]
    expected = [detector.detect(image) for image in images]
    work = images * 6
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(detector.detect, work))
    for image_index, result in enumerate(results):
        assert result == expected[image_index % len(images)]
