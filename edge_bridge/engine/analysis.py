"""Per-face measurements (pose, brightness, sharpness) and the QualityFilter bars.

YuNet gives a box, a score and five landmarks; from those and the aligned 112x112 crop the engine
derives the FaceDetail fields it reports and decides whether a face clears a quality bar:

* Confidence  = detector score x 100.
* Pose        = rough angles from the five landmarks: roll from the eye line; yaw from how far the
  nose tip sits from the eyes' midpoint (atan of the offset over half the eye distance); pitch
  from where the nose sits between the eye line and the mouth line. Good enough to reject
  profiles and heads bowed over a counter, not a head-pose estimator.
* Brightness  = mean luminance of the aligned crop, 0-100.
* Sharpness   = 100 x (1 - exp(-r / 0.05)) where r = var(Laplacian) / var(pixels) of the aligned
  crop: high-frequency energy relative to contrast, so a dim but focused face is not called
  blurred. Focused portraits score 90-100; a Gaussian blur of 1.5 px on a 90 px face about 18.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any, Final

import cv2
import numpy as np

from edge_bridge.detect import DetectedFace

# Nose-to-eye-line over mouth-to-eye-line for a level, frontal face (measured on frontal photos).
_FRONTAL_NOSE_RATIO: Final = 0.58
_PITCH_GAIN: Final = 3.0
_SHARPNESS_SCALE: Final = 0.05
# AWS landmark names, in YuNet order. YuNet's first eye is the subject's right eye, which is on
# the image's left; Rekognition's eyeLeft is the one on the image's left.
LANDMARK_TYPES: Final = ("eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight")


@dataclass(frozen=True)
class QualityBar:
    """Minimums a face must reach to pass a QualityFilter level."""

    min_confidence: float
    min_size_px: float
    max_yaw: float
    max_pitch: float
    min_brightness: float
    min_sharpness: float


QUALITY_BARS: Final[dict[str, QualityBar | None]] = {
    "NONE": None,
    "LOW": QualityBar(70.0, 20.0, 60.0, 45.0, 10.0, 5.0),
    "MEDIUM": QualityBar(80.0, 40.0, 45.0, 35.0, 15.0, 10.0),
    "HIGH": QualityBar(90.0, 80.0, 30.0, 25.0, 25.0, 30.0),
}
QUALITY_BARS["AUTO"] = QUALITY_BARS["MEDIUM"]


@dataclass(frozen=True)
class FaceAnalysis:
    """A detected face with its measurements; coordinates are in the full image's pixels."""

    face: DetectedFace
    image_width: int
    image_height: int
    roll: float
    yaw: float
    pitch: float
    brightness: float
    sharpness: float
    aligned: np.ndarray
    # Original image pixels per pixel of the decoded image (> 1 when it was decoded reduced).
    pixel_scale: float = 1.0

    @property
    def confidence(self) -> float:
        """Detector score as a percentage."""
        return max(0.0, min(100.0, self.face.score * 100.0))

    @property
    def size_px(self) -> float:
        """Shorter side of the bounding box, in pixels of the original image."""
        return min(self.face.w, self.face.h) * self.pixel_scale

    def bounding_box(self) -> dict[str, float]:
        """Rekognition BoundingBox: ratios of the image width and height."""
        return {
            "Width": self.face.w / self.image_width,
            "Height": self.face.h / self.image_height,
            "Left": self.face.x / self.image_width,
            "Top": self.face.y / self.image_height,
        }

    def face_detail(self) -> dict[str, Any]:
        """Rekognition FaceDetail with the DEFAULT attribute set."""
        return {
            "BoundingBox": self.bounding_box(),
            "Landmarks": [
                {"Type": kind, "X": px / self.image_width, "Y": py / self.image_height}
                for kind, (px, py) in zip(LANDMARK_TYPES, self.face.landmarks, strict=True)
            ],
            "Pose": {"Roll": self.roll, "Yaw": self.yaw, "Pitch": self.pitch},
            "Quality": {"Brightness": self.brightness, "Sharpness": self.sharpness},
            "Confidence": self.confidence,
        }

    def quality_reasons(self, bar: QualityBar | None) -> list[str]:
        """Return the UnindexedFaces reasons this face fails ``bar`` for (empty if it passes)."""
        if bar is None:
            return []
        reasons: list[str] = []
        if abs(self.yaw) > bar.max_yaw or abs(self.pitch) > bar.max_pitch:
            reasons.append("EXTREME_POSE")
        if self.brightness < bar.min_brightness:
            reasons.append("LOW_BRIGHTNESS")
        if self.sharpness < bar.min_sharpness:
            reasons.append("LOW_SHARPNESS")
        if self.confidence < bar.min_confidence:
            reasons.append("LOW_CONFIDENCE")
        if self.size_px < bar.min_size_px:
            reasons.append("SMALL_BOUNDING_BOX")
        return reasons


def analyse_face(
    bgr: np.ndarray, face: DetectedFace, aligned: np.ndarray, *, pixel_scale: float = 1.0
) -> FaceAnalysis:
    """Measure a face given the full image and its aligned crop."""
    roll, yaw, pitch = estimate_pose(face)
    grey = cv2.cvtColor(aligned, cv2.COLOR_BGR2GRAY).astype(np.float64)
    brightness = float(grey.mean()) / 255.0 * 100.0
    contrast = float(grey.var())
    detail = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    ratio = detail / contrast if contrast > 1e-6 else 0.0
    sharpness = 100.0 * (1.0 - math.exp(-ratio / _SHARPNESS_SCALE))
    height, width = bgr.shape[:2]
    return FaceAnalysis(
        face=face,
        image_width=width,
        image_height=height,
        roll=roll,
        yaw=yaw,
        pitch=pitch,
        brightness=brightness,
        sharpness=sharpness,
        aligned=aligned,
        pixel_scale=pixel_scale,
    )


def estimate_pose(face: DetectedFace) -> tuple[float, float, float]:
    """Return rough (roll, yaw, pitch) in degrees from the five landmarks."""
    (x0, y0), (x1, y1), (nx, ny), (m0x, m0y), (m1x, m1y) = face.landmarks[:5]
    roll_rad = math.atan2(y1 - y0, x1 - x0)
    cos_r, sin_r = math.cos(-roll_rad), math.sin(-roll_rad)
    mid_x, mid_y = (x0 + x1) / 2.0, (y0 + y1) / 2.0

    def level(px: float, py: float) -> tuple[float, float]:
        dx, dy = px - mid_x, py - mid_y
        return dx * cos_r - dy * sin_r, dx * sin_r + dy * cos_r

    half_eyes = math.hypot(x1 - x0, y1 - y0) / 2.0
    nose_x, nose_y = level(nx, ny)
    _, mouth_y = level((m0x + m1x) / 2.0, (m0y + m1y) / 2.0)
    yaw = math.degrees(math.atan(nose_x / half_eyes)) if half_eyes > 0 else 90.0
    if mouth_y > 0:
        pitch = math.degrees(math.atan((nose_y / mouth_y - _FRONTAL_NOSE_RATIO) * _PITCH_GAIN))
    else:
        pitch = 90.0
    return math.degrees(roll_rad), yaw, pitch
