"""Face-shot quality: a gate (is this shot usable at all?) and a score (which shot is best?).

Components, each mapped to 0..1:

* ``size``: the face box's shorter side in frame pixels, from ``min_face_px`` (0) to
  ``good_face_px`` (1). Recognition needs pixels; below ``min_face_px`` the shot is refused.
* ``sharpness``: variance of the Laplacian of the face, resampled to 112x112 so faces of
  different sizes compare fairly, divided by ``sharpness_ref`` (motion blur lowers it).
* ``pose``: from the 5 YuNet landmarks. Roll is the angle of the eye line; yaw is how far the
  nose tip sits from the eyes' midpoint along the eye line, in eye distances (0 = frontal,
  about 0.5 = profile). Yaw matters more than roll (alignment undoes roll, not yaw), so
  ``pose = 0.7 * yaw_score + 0.3 * roll_score``. Beyond ``max_roll_deg`` or ``max_yaw_ratio``
  the shot is refused.
* ``detector``: the detector's confidence, 0.6 -> 0, 0.95 -> 1.

Also refused: faces cut off by the frame border (the box touches the edge or lies partly
outside), and blank regions (no texture at all).

``score = 0.30 size + 0.25 sharpness + 0.30 pose + 0.15 detector`` (0 when refused).
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import cv2
import numpy as np

from .detect import DetectedFace
from .settings import QualitySettings

SHARPNESS_SIZE = 112
MAX_OUTSIDE_FRACTION = 0.05  # a face box more than 5% outside the frame is cut off
EDGE_PX = 1.0  # a face box touching the frame border is cut off
WEIGHTS = {"size": 0.30, "sharpness": 0.25, "pose": 0.30, "detector": 0.15}


@dataclass(frozen=True, slots=True)
class Quality:
    """The verdict on one face shot."""

    score: float
    ok: bool
    reason: str | None  # why it was refused, when not ok
    size: float
    sharpness: float
    pose: float
    detector: float
    face_px: float
    laplacian_var: float
    roll_deg: float
    yaw: float

    def as_dict(self) -> dict[str, float]:
        return {
            "score": round(self.score, 4),
            "size": round(self.size, 4),
            "sharpness": round(self.sharpness, 4),
            "pose": round(self.pose, 4),
            "detector": round(self.detector, 4),
            "face_px": round(self.face_px, 1),
            "laplacian_var": round(self.laplacian_var, 1),
            "roll_deg": round(self.roll_deg, 2),
            "yaw": round(self.yaw, 4),
        }


def _clamp(value: float) -> float:
    return 0.0 if value < 0.0 else min(value, 1.0)


def pose_angles(face: DetectedFace) -> tuple[float, float, float]:
    """(roll in degrees, yaw ratio, eye distance in px) from the landmarks."""
    (rx, ry), (lx, ly), (nx, ny) = face.landmarks[0], face.landmarks[1], face.landmarks[2]
    dx, dy = lx - rx, ly - ry
    eye_dist = math.hypot(dx, dy)
    if eye_dist < 1e-6:
        return 0.0, 1.0, 0.0
    roll = math.degrees(math.atan2(dy, dx))
    ux, uy = dx / eye_dist, dy / eye_dist
    mx, my = (rx + lx) / 2.0, (ry + ly) / 2.0
    yaw = ((nx - mx) * ux + (ny - my) * uy) / eye_dist
    return roll, yaw, eye_dist


def laplacian_variance(image: np.ndarray, face: DetectedFace) -> float:
    """Sharpness of the face box (clipped to the image), on a 112x112 grey resample."""
    height, width = image.shape[:2]
    left = max(0, int(face.x))
    top = max(0, int(face.y))
    right = min(width, math.ceil(face.x + face.w))
    bottom = min(height, math.ceil(face.y + face.h))
    if right - left < 4 or bottom - top < 4:
        return 0.0
    region = image[top:bottom, left:right]
    grey = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) if region.ndim == 3 else region
    interpolation = cv2.INTER_AREA if grey.shape[0] > SHARPNESS_SIZE else cv2.INTER_LINEAR
    grey = cv2.resize(grey, (SHARPNESS_SIZE, SHARPNESS_SIZE), interpolation=interpolation)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def is_cut_off(image: np.ndarray, face: DetectedFace) -> bool:
    """True when part of the face is probably outside the frame.

    The detector clips boxes at the frame border, so a face walking in from the side shows up
    as a narrow box touching the edge; a box that touches the edge (or sticks out of the frame by
    more than ``MAX_OUTSIDE_FRACTION``) is treated as cut off.
    """
    height, width = image.shape[:2]
    if face.w <= 0 or face.h <= 0:
        return True
    inside_w = max(0.0, min(face.x + face.w, width) - max(face.x, 0.0))
    inside_h = max(0.0, min(face.y + face.h, height) - max(face.y, 0.0))
    if 1.0 - (inside_w * inside_h) / (face.w * face.h) > MAX_OUTSIDE_FRACTION:
        return True
    return (
        face.x <= EDGE_PX
        or face.y <= EDGE_PX
        or face.x + face.w >= width - EDGE_PX
        or face.y + face.h >= height - EDGE_PX
    )


def assess(image: np.ndarray, face: DetectedFace, settings: QualitySettings) -> Quality:
    """Score one face (``face`` in ``image`` pixel coordinates)."""
    face_px = min(face.w, face.h)
    roll, yaw, _ = pose_angles(face)
    lap = laplacian_variance(image, face)
    size = _clamp((face_px - settings.min_face_px) / (settings.good_face_px - settings.min_face_px))
    sharp = _clamp(lap / settings.sharpness_ref)
    roll_score = _clamp(1.0 - abs(roll) / settings.max_roll_deg)
    yaw_score = _clamp(1.0 - abs(yaw) / settings.max_yaw_ratio)
    pose = 0.7 * yaw_score + 0.3 * roll_score
    det = _clamp((face.score - 0.6) / 0.35)
    reason: str | None = None
    if face_px < settings.min_face_px:
        reason = "too_small"
    elif is_cut_off(image, face):
        reason = "cut_off"
    elif abs(roll) > settings.max_roll_deg:
        reason = "rolled"
    elif abs(yaw) > settings.max_yaw_ratio:
        reason = "turned"
    elif lap <= 0.0:
        reason = "blank"
    score = 0.0
    if reason is None:
        score = (
            WEIGHTS["size"] * size
            + WEIGHTS["sharpness"] * sharp
            + WEIGHTS["pose"] * pose
            + WEIGHTS["detector"] * det
        )
    return Quality(
        score=score,
        ok=reason is None,
        reason=reason,
        size=size,
        sharpness=sharp,
        pose=pose,
        detector=det,
        face_px=face_px,
        laplacian_var=lap,
        roll_deg=roll,
        yaw=yaw,
    )
