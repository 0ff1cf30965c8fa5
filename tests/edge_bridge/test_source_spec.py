"""Camera source strings: every accepted form, and redaction for logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edge_bridge.source_spec import SourceSpec, parse_source


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("rtsp://cam/stream", "rtsp"),
        ("rtsps://cam/stream", "rtsp"),
        ("https://cam/mjpeg", "http"),
        ("ffmpeg:udp://239.0.0.1:1234", "ffmpeg"),
        ("usb:2", "usb"),
        ("/dev/video3", "usb"),
        (4, "usb"),
    ],
)
def test_source_forms(value: Any, kind: str) -> None:
    assert parse_source(value, "source").kind == kind


def test_file_and_folder_sources(tmp_path: Path) -> None:
    clip = tmp_path / "clip.avi"
    clip.write_bytes(b"x")
    assert parse_source(str(clip), "s") == SourceSpec("file", str(clip))
    assert parse_source(f"file:{clip}", "s").kind == "file"
    assert parse_source(str(tmp_path), "s") == SourceSpec("folder", str(tmp_path))


def test_source_spec_redaction() -> None:
    spec = SourceSpec("rtsp", "rtsp://admin:pa:ss@cam.local:554/s?x=1")
    assert spec.redacted() == "rtsp://admin:***@cam.local:554/s?x=1"
    assert SourceSpec("folder", "/x").redacted() == "folder:/x"
