"""Demo clip generator: deterministic video plus a schedule that matches it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
import shutil

import cv2
import pytest

from edge_bridge import democlip
from tests.edge_bridge.helpers_bridge import FACES


def _small(out: Path, **kwargs: object) -> dict[str, object]:
    return democlip.generate(out, width=320, height=180, fps=8.0, **kwargs)  # type: ignore[arg-type]


def test_clip_and_schedule_agree(tmp_path: Path) -> None:
    schedule = _small(tmp_path)
    clip = tmp_path / democlip.CLIP_NAME
    capture = cv2.VideoCapture(str(clip))
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(8.0)
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == schedule["frames"]
    assert int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)) == 320
    fourcc = int(capture.get(cv2.CAP_PROP_FOURCC))
    assert fourcc.to_bytes(4, "little") == b"MJPG"
    capture.release()
    saved = json.loads((tmp_path / democlip.SCHEDULE_NAME).read_text())
    assert saved == schedule
    visits = saved["visits"]
    assert [v["person"] for v in visits] == ["astronaut", "grace_hopper", "astronaut"]
    assert saved["expected_events"] == 3
    # The astronaut's return comes after a longer absence than the visit gap.
    assert visits[2]["enter_s"] - visits[0]["leave_s"] > saved["visit_gap_s"]
    # Grace Hopper's hidden spell is shorter than the gap: still one visit.
    (start, end), *_ = visits[1]["hidden"]
    assert 0 < end - start < saved["visit_gap_s"]


def test_generation_is_deterministic(tmp_path: Path) -> None:
    _small(tmp_path / "a")
    _small(tmp_path / "b")
    digests = {
        hashlib.sha256((tmp_path / d / democlip.CLIP_NAME).read_bytes()).hexdigest() for d in "ab"
    }
    assert len(digests) == 1


def test_frames_show_people_only_when_scheduled(tmp_path: Path) -> None:
    schedule = _small(tmp_path)
    capture = cv2.VideoCapture(str(tmp_path / democlip.CLIP_NAME))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame.astype(float))
    empty = frames[0]  # t = 0: nobody yet
    fps = float(schedule["fps"])  # type: ignore[arg-type]

    def changed(t: float) -> float:
        return float(abs(frames[int(t * fps)] - empty).mean())

    visits = schedule["visits"]
    assert isinstance(visits, list)
    middle = (visits[0]["enter_s"] + visits[0]["leave_s"]) / 2
    noise = changed(0.5)  # nobody there yet: only the generated sensor noise differs
    assert changed(middle) > noise + 3.0  # someone is in the picture
    assert changed(visits[0]["leave_s"] + 0.5) < noise + 0.5  # gone again


def test_missing_face_image_is_a_clear_error(tmp_path: Path) -> None:
    faces = tmp_path / "faces"
    faces.mkdir()
    shutil.copy(FACES / "astronaut.jpg", faces)
    with pytest.raises(democlip.DemoClipError, match=r"cannot read face image .*grace_hopper"):
        _small(tmp_path / "out", faces_dir=faces)


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = democlip.main(
        ["--out", str(tmp_path), "--width", "320", "--height", "180", "--fps", "6"]
    )
    assert code == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / democlip.SCHEDULE_NAME)
    assert democlip.main(["--out", str(tmp_path), "--width", "10"]) == 1
