"""Face detection with OpenCV's YuNet (``cv2.FaceDetectorYN``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import threading

import cv2
import numpy as np

# YuNet landmark order: right eye, left eye, nose tip, right mouth corner, left mouth corner
# (the subject's right and left, so the "right eye" is normally on the image's left).
LANDMARK_COUNT = 5


@dataclass(frozen=True)
class DetectedFace:
    """One face in pixel coordinates of the image it was found in."""

    x: float
    y: float
    w: float
    h: float
    score: float
    landmarks: tuple[tuple[float, float], ...]

    @property
    def area(self) -> float:
        """Bounding-box area in square pixels."""
        return max(self.w, 0.0) * max(self.h, 0.0)

    def as_row(self) -> np.ndarray:
        """Return the 15-float YuNet row that ``FaceRecognizerSF.alignCrop`` expects."""
        values = [self.x, self.y, self.w, self.h]
        for px, py in self.landmarks:
            values.extend((px, py))
        values.append(self.score)
        return np.asarray(values, dtype=np.float32)

    def scaled(self, factor: float, dx: float = 0.0, dy: float = 0.0) -> DetectedFace:
        """Return this face with coordinates multiplied by ``factor`` then shifted by (dx, dy)."""
        return DetectedFace(
            x=self.x * factor + dx,
            y=self.y * factor + dy,
            w=self.w * factor,
            h=self.h * factor,
            score=self.score,
            landmarks=tuple((px * factor + dx, py * factor + dy) for px, py in self.landmarks),
        )

    @classmethod
    def from_row(cls, row: np.ndarray) -> DetectedFace:
        """Build from one YuNet output row."""
        values = [float(v) for v in row[:15]]
        points = tuple((values[4 + 2 * i], values[5 + 2 * i]) for i in range(LANDMARK_COUNT))
        return cls(
            x=values[0],
            y=values[1],
            w=values[2],
            h=values[3],
            score=values[14],
            landmarks=points,
        )


class FaceDetector:
    """Thread-safe YuNet wrapper; results are sorted largest face first."""

    def __init__(
        self,
        model: Path,
        *,
        score_threshold: float = 0.7,
        nms_threshold: float = 0.3,
        top_k: int = 5000,
    ) -> None:
        self._lock = threading.Lock()
        self._size: tuple[int, int] = (320, 320)
        self._net = cv2.FaceDetectorYN.create(
            str(model), "", self._size, score_threshold, nms_threshold, top_k
        )

    def detect(self, bgr: np.ndarray) -> list[DetectedFace]:
        """Detect faces in a BGR uint8 image."""
        if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
            raise ValueError("detect() needs an HxWx3 uint8 BGR image")
        height, width = bgr.shape[:2]
        if height == 0 or width == 0:
            return []
        with self._lock:
            if (width, height) != self._size:
                self._net.setInputSize((width, height))
                self._size = (width, height)
            _, found = self._net.detect(bgr)
        rows: np.ndarray | None = found  # OpenCV returns None when there is no face
        if rows is None:
            return []
        faces = [DetectedFace.from_row(row) for row in rows]
        faces.sort(key=lambda face: face.area, reverse=True)
        return faces
