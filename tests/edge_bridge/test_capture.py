"""Capture: bounded queue, watchdog, reconnect backoff, pacing, video files and folders."""

from __future__ import annotations

from collections.abc import Callable
import itertools
from pathlib import Path
import threading
import time
from typing import Any

import numpy as np
import pytest

from edge_bridge.capture import Camera, Frame, FrameQueue
from edge_bridge.sources import SourceError
from tests.edge_bridge.helpers_bridge import (
    GUARD_S,
    ControlledClock,
    camera_config,
    demo_clip,
    jpeg,
    start_camera,
)


def _frame(seq: int) -> Frame:
    return Frame(np.zeros((2, 2, 3), np.uint8), seq, float(seq), float(seq), 1)


# --------------------------------------------------------------------------- fake sources


class FloodSource:
    """A live source that delivers small frames as fast as it is read."""

    live = True
    nominal_fps = None

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.opened = 0

    def open(self) -> None:
        self.opened += 1

    def read(self) -> np.ndarray:
        if self.delay:
            time.sleep(self.delay)
        return np.zeros((48, 64, 3), np.uint8)

    def rewind(self) -> None:
        pass

    def close(self) -> None:
        pass

    def interrupt(self) -> None:
        pass


class SteppedSource(FloodSource):
    """A live camera whose frames the test hands out: ``read()`` waits for :meth:`deliver`.

    Each frame read moves ``clock`` on by ``frame_s`` (the camera's frame period) when given;
    ``on_read`` runs at the start of every read (to observe the camera between frames).
    """

    def __init__(
        self,
        clock: ControlledClock | None = None,
        frame_s: float = 0.0,
        on_read: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.frame_s = frame_s
        self.on_read = on_read
        self.reads = 0
        self._allowed = 0
        self._asking = False
        self._interrupted = False
        self._cond = threading.Condition()

    def read(self) -> np.ndarray:
        if self.on_read is not None:
            self.on_read()
        with self._cond:
            self._asking = True
            self._cond.notify_all()
            try:
                self._cond.wait_for(
                    lambda: self._interrupted or self.reads < self._allowed, GUARD_S
                )
            finally:
                self._asking = False
            if self._interrupted or self.reads >= self._allowed:
                raise SourceError("camera stopped")
            self.reads += 1
        if self.clock is not None:
            self.clock.advance(self.frame_s)
        return np.zeros((48, 64, 3), np.uint8)

    def deliver(self, count: int) -> None:
        """Send ``count`` frames; return once the camera has handled them and asks for more."""
        with self._cond:
            self._allowed += count
            self._cond.notify_all()
            handled = self._cond.wait_for(
                lambda: self.reads == self._allowed and self._asking, GUARD_S
            )
        assert handled, f"the camera took {self.reads} of {self._allowed} frames"

    def interrupt(self) -> None:
        with self._cond:
            self._interrupted = True
            self._cond.notify_all()


class HangingSource(FloodSource):
    """Opens fine, then its first read never returns (until released)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.reading = threading.Event()
        self.interrupted = False

    def read(self) -> np.ndarray:
        self.reading.set()
        self.release.wait(GUARD_S)
        raise SourceError("released")

    def interrupt(self) -> None:
        self.interrupted = True


class FailingSource(FloodSource):
    """Fails to open ``failures`` times (recording when, on ``clock``), then floods."""

    def __init__(self, attempts: list[float], failures: int, clock: ControlledClock) -> None:
        super().__init__(delay=0.01)
        self.attempts = attempts
        self.failures = failures
        self.clock = clock

    def open(self) -> None:
        self.attempts.append(self.clock.monotonic())
        if len(self.attempts) <= self.failures:
            raise SourceError("connection refused")


# --------------------------------------------------------------------------- queue


def test_queue_drops_the_oldest_frames_and_counts_them() -> None:
    queue = FrameQueue(3)
    for seq in range(1, 11):
        queue.put(_frame(seq))
    assert len(queue) == 3
    assert queue.dropped == 7
    assert [queue.get(0).seq for _ in range(3)] == [8, 9, 10]  # type: ignore[union-attr]
    assert queue.get(0.01) is None
    queue.close()
    assert queue.get(None) is None


def test_flood_into_a_slow_pipeline_is_bounded_and_counted(cameras: list[Camera]) -> None:
    queue_lengths: list[int] = []
    source = SteppedSource(on_read=lambda: queue_lengths.append(len(camera.queue)))
    camera = start_camera(
        cameras, Camera(camera_config(queue_size=2), source_factory=lambda c, b: source)
    )
    consumed: list[int] = []
    for _ in range(5):
        source.deliver(30)  # thirty frames arrive while the pipeline analyses one
        frame = camera.queue.get(0)
        assert frame is not None
        consumed.append(frame.seq)
        camera.add_analysed()
    stats = camera.stats()
    leftover = [frame.seq for frame in iter(lambda: camera.queue.get(0), None)]
    assert stats.frames_in == 150
    assert max(queue_lengths) == 2  # the queue never held more than its bound
    assert len(queue_lengths) == 151  # looked at before every frame (and the next one)
    # Every frame is accounted for: analysed, dropped or still queued.
    assert stats.frames_dropped == 150 - 5 - 1
    assert stats.frames_in == len(consumed) + stats.frames_dropped + len(leftover)
    assert stats.frames_analysed == len(consumed)
    # Dropping the oldest means what the pipeline sees is recent: the newest but one of each
    # burst (the newest is still queued when it is picked), and last of all the newest.
    assert consumed == [29, 59, 89, 119, 149]
    assert leftover == [150]
    camera.stop(GUARD_S)
    assert camera.stats().frames_in == 150  # stopping neither loses nor invents frames


def test_live_fps_limit_skips_and_counts(cameras: list[Camera]) -> None:
    clock = ControlledClock()
    source = SteppedSource(clock, frame_s=0.002)  # a camera sending 500 frames a second
    camera = start_camera(
        cameras,
        Camera(
            camera_config(fps=10, queue_size=100),
            source_factory=lambda c, b: source,
            clock=clock,
        ),
    )
    source.deliver(500)  # one second of the camera's time
    stats = camera.stats()
    kept = stats.frames_in - stats.frames_skipped
    assert stats.frames_in == 500
    assert 10 <= kept <= 11
    assert stats.frames_skipped == 500 - kept
    frames = list(iter(lambda: camera.queue.get(0), None))
    assert len(frames) == kept
    # Never faster than 10 fps (less the 5 % tolerance), and each frame kept as soon as allowed.
    gaps = [b.media_ts - a.media_ts for a, b in itertools.pairwise(frames)]
    assert all(0.095 <= gap < 0.095 + 0.002 for gap in gaps), gaps


# --------------------------------------------------------------------------- watchdog, reconnect


def test_watchdog_abandons_a_stuck_reader_and_reconnects(cameras: list[Camera]) -> None:
    clock = ControlledClock()
    hanging = HangingSource()
    stepped = SteppedSource()
    sources: list[Any] = [hanging, stepped]
    camera = start_camera(
        cameras,
        Camera(
            camera_config(stall_timeout_s=0.5, backoff_min_s=0.05),
            source_factory=lambda c, b: sources.pop(0),
            clock=clock,
        ),
    )
    try:
        assert hanging.reading.wait(GUARD_S)
        clock.advance(0.6)  # 0.6 s without a frame: over the 0.5 s stall timeout
        backoff = clock.run_to_next_wait()  # the reader was abandoned; retry after the backoff
        assert backoff.seconds == 0.05
        stats = camera.stats()
        assert stats.stalls == 1
        assert stats.reconnects == 1
        assert hanging.interrupted
        stepped.deliver(1)
        stats = camera.stats()
        assert stepped.opened == 1
        assert stats.connected
        assert stats.last_error is None
        stepped.deliver(6)
        assert camera.stats().frames_in == 7
        assert camera.stats().stalls == 1
    finally:
        hanging.release.set()


def test_reconnect_backoff_doubles_and_is_capped(cameras: list[Camera]) -> None:
    clock = ControlledClock()
    attempts: list[float] = []
    source = FailingSource(attempts, failures=100, clock=clock)
    camera = start_camera(
        cameras,
        Camera(
            camera_config(backoff_min_s=0.05, backoff_max_s=0.2),
            source_factory=lambda c, b: source,
            clock=clock,
        ),
    )
    waits = [clock.run_to_next_wait().seconds for _ in range(6)]
    clock.next_wait()  # the seventh attempt has failed too
    camera.stop(GUARD_S)
    # 0.05 s, then 0.1 s, then the 0.2 s cap, where it stays.
    assert waits == pytest.approx([0.05, 0.1, 0.2, 0.2, 0.2, 0.2])
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert len(attempts) == 7
    assert gaps == pytest.approx(waits)  # attempts are exactly one backoff apart
    stats = camera.stats()
    assert stats.reconnects == 7
    assert not stats.connected
    assert stats.last_error == "connection refused"


def test_source_that_comes_back_streams_again(cameras: list[Camera]) -> None:
    clock = ControlledClock()
    attempts: list[float] = []
    source = FailingSource(attempts, failures=3, clock=clock)
    camera = start_camera(
        cameras,
        Camera(
            camera_config(backoff_min_s=0.05),
            source_factory=lambda c, b: source,
            clock=clock,
        ),
    )
    for _ in range(3):
        clock.run_to_next_wait()
    assert camera.queue.get(GUARD_S) is not None
    stats = camera.stats()
    assert stats.connected
    assert stats.reconnects == 3
    assert stats.state == "streaming"
    assert len(attempts) == 4


# --------------------------------------------------------------------------- files


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    return demo_clip(tmp_path_factory.getbasetemp() / "demo-clip")


def _drain(camera: Camera, seen: list[int], stop: threading.Event) -> threading.Thread:
    def run() -> None:
        while not stop.is_set():
            frame = camera.queue.get(0.2)
            if frame is None and camera.queue.closed:
                return
            if frame is not None:
                seen.append(frame.seq)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_video_file_plays_at_its_own_frame_rate(
    cameras: list[Camera], clip: tuple[Path, dict[str, Any]]
) -> None:
    path, schedule = clip
    assert schedule["fps"] == 15.0
    clock = ControlledClock()
    start = clock.monotonic()
    camera = start_camera(cameras, Camera(camera_config(source=str(path)), clock=clock))
    # Each frame waits for its own time; let one second of the clock pass, frame by frame.
    waits = [clock.run_to_next_wait().seconds for _ in range(15)]
    pending = clock.next_wait()  # the sixteenth frame, held until its time
    assert clock.monotonic() - start == pytest.approx(1.0)
    assert waits == pytest.approx([1 / 15] * 15)
    assert pending.deadline - clock.monotonic() == pytest.approx(1 / 15)
    stats = camera.stats()
    assert stats.connected
    assert stats.frames_in == 15  # 15 frames in a second, not hundreds
    frames = list(iter(lambda: camera.queue.get(0), None))
    assert [f.seq for f in frames] == [14, 15]  # real-time playback drops when behind
    assert frames[1].media_ts - frames[0].media_ts == pytest.approx(1 / 15)


def test_video_file_as_fast_as_analysed_is_lossless_and_ends(
    cameras: list[Camera], clip: tuple[Path, dict[str, Any]]
) -> None:
    path, schedule = clip
    camera = start_camera(
        cameras,
        Camera(camera_config(source=str(path), realtime=False, loop=False, queue_size=2)),
    )
    seen: list[int] = []
    stop = threading.Event()
    thread = _drain(camera, seen, stop)
    assert camera.wait_ended(GUARD_S)
    thread.join(GUARD_S)
    assert not thread.is_alive()  # the queue was closed at the end and drained
    stats = camera.stats()
    assert stats.state == "ended"
    assert len(seen) == schedule["frames"] == stats.frames_in
    assert stats.frames_dropped == 0
    assert seen == list(range(1, schedule["frames"] + 1))


def test_looping_file_starts_a_new_session_each_pass(cameras: list[Camera], tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    for index in range(3):
        (folder / f"{index}.jpg").write_bytes(jpeg(np.full((60, 80, 3), index * 40, np.uint8)))
    camera = start_camera(cameras, Camera(camera_config(source=str(folder), realtime=False)))
    frames = [camera.queue.get(GUARD_S) for _ in range(9)]
    assert all(f is not None for f in frames)
    sessions = [f.session for f in frames if f is not None]
    assert sessions[0] < sessions[3] < sessions[6]
    media = [f.media_ts for f in frames if f is not None]
    assert media == sorted(media)  # the media clock keeps running across loops
