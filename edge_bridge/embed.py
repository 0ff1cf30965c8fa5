"""Face embeddings with OpenCV's SFace (``cv2.FaceRecognizerSF``) and the similarity scale."""

from __future__ import annotations

import math
from pathlib import Path
import threading

import cv2
import numpy as np

from .detect import DetectedFace

EMBEDDING_SIZE = 128
ALIGNED_SIZE = 112
# Faces larger than this (in pixels) are downscaled with area averaging before alignment, so the
# 112x112 warp samples a smooth image instead of aliasing a large one.
_ALIGN_SOURCE_SIZE = 2 * ALIGNED_SIZE
_CROP_MARGIN = 0.6

# Similarity mapping (see docs/engine.md): a logistic curve over cosine similarity, centred so
# that the SFace verification threshold (cosine 0.363) maps to Similarity 80, the default
# FaceMatchThreshold of the Rekognition API.
VERIFY_COSINE = 0.363
VERIFY_SIMILARITY = 80.0
SIMILARITY_SLOPE = 12.0
SIMILARITY_CENTRE = VERIFY_COSINE + math.log(100.0 / VERIFY_SIMILARITY - 1.0) / SIMILARITY_SLOPE


def cosine_to_similarity(cos: float) -> float:
    """Map a cosine similarity in [-1, 1] to a 0-100 Similarity (strictly increasing)."""
    z = -SIMILARITY_SLOPE * (float(cos) - SIMILARITY_CENTRE)
    if z > 700.0:  # exp overflow guard; the value is 0 to double precision anyway
        return 0.0
    return 100.0 / (1.0 + math.exp(z))


def similarity_to_cosine(similarity: float) -> float:
    """Inverse of :func:`cosine_to_similarity`; 0 maps to -inf and 100 to +inf."""
    if similarity <= 0.0:
        return -math.inf
    if similarity >= 100.0:
        return math.inf
    return SIMILARITY_CENTRE - math.log(100.0 / similarity - 1.0) / SIMILARITY_SLOPE


def normalise(vector: np.ndarray) -> np.ndarray:
    """Return a float32 copy scaled to unit L2 norm."""
    flat = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(flat))
    if not math.isfinite(norm) or norm == 0.0:
        raise ValueError("embedding has zero or non-finite norm")
    return (flat / norm).astype(np.float32)


class FaceEmbedder:
    """Thread-safe SFace wrapper producing unit-length 128-d float32 embeddings.

    With ``flip_tta`` (horizontal-flip test-time augmentation) each aligned face is embedded
    twice, as it is and mirrored left to right, and the result is the re-normalised mean of the
    two unit embeddings: the same 128-d unit vector, steadier across pose and lighting
    asymmetries, for about twice the embedding time (see docs/benchmarks.md, "Open-set
    identification"). Embeddings with and without it are comparable (same model, same space)
    but not identical, so a collection should be enrolled and searched with the same setting.
    """

    def __init__(self, model: Path, *, flip_tta: bool = False) -> None:
        self._lock = threading.Lock()
        self._net = cv2.FaceRecognizerSF.create(str(model), "")
        self.flip_tta = flip_tta

    def align(self, bgr: np.ndarray, face: DetectedFace) -> np.ndarray:
        """Return the 112x112 aligned BGR crop for ``face``."""
        source, local = _prepare_source(bgr, face)
        with self._lock:
            aligned = self._net.alignCrop(source, local.as_row().reshape(1, -1))
        return np.ascontiguousarray(aligned)

    def embed_aligned(self, aligned: np.ndarray) -> np.ndarray:
        """Embed an already aligned 112x112 crop (with its mirror too when ``flip_tta``)."""
        if not self.flip_tta:
            return self._feature(aligned)
        mirrored = np.ascontiguousarray(cv2.flip(aligned, 1))
        return normalise(self._feature(aligned) + self._feature(mirrored))

    def _feature(self, aligned: np.ndarray) -> np.ndarray:
        with self._lock:
            feature = self._net.feature(aligned)
        return normalise(feature)

    def embed(self, bgr: np.ndarray, face: DetectedFace) -> np.ndarray:
        """Align ``face`` in ``bgr`` and return its unit-length 128-d float32 embedding."""
        return self.embed_aligned(self.align(bgr, face))


def _prepare_source(bgr: np.ndarray, face: DetectedFace) -> tuple[np.ndarray, DetectedFace]:
    """Crop around a large face and downscale it so alignment samples about 2x the output size."""
    size = max(face.w, face.h)
    if size <= _ALIGN_SOURCE_SIZE:
        return bgr, face
    height, width = bgr.shape[:2]
    margin = _CROP_MARGIN * size
    xs = [face.x, face.x + face.w] + [p[0] for p in face.landmarks]
    ys = [face.y, face.y + face.h] + [p[1] for p in face.landmarks]
    left = max(0, math.floor(min(xs) - margin))
    top = max(0, math.floor(min(ys) - margin))
    right = min(width, math.ceil(max(xs) + margin))
    bottom = min(height, math.ceil(max(ys) + margin))
    if right - left < 2 or bottom - top < 2:
        return bgr, face
    crop = bgr[top:bottom, left:right]
    factor = _ALIGN_SOURCE_SIZE / size
    new_w = max(1, round((right - left) * factor))
    new_h = max(1, round((bottom - top) * factor))
    small = cv2.resize(crop, (new_w, new_h), interpolation=cv2.INTER_AREA)
    return small, face.scaled(factor, -left * factor, -top * factor)
