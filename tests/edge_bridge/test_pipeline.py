"""Faces pipeline: exactly one face event per person-visit, on the demo clip and edge cases."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import replace
import functools
import json
from pathlib import Path
import threading
import time
from typing import Any

import aiohttp
import cv2
import numpy as np
import pytest

from edge_bridge import runtime
from edge_bridge.capture import Camera, Frame
from edge_bridge.config import build_config
from edge_bridge.detect import FaceDetector
from edge_bridge.events import FaceEvent
from edge_bridge.pipeline import CameraWorker, FacePipeline
from edge_bridge.settings import BridgeConfig
from tests.edge_bridge.helpers_bridge import (
    GUARD_S,
    ControlledClock,
    MjpegServer,
    auth_headers,
    demo_clip,
    embedder,
    identify,
    jpeg,
    make_config,
    models,
    pinned,
    portrait_scene,
    running_bridge,
    wait_for,
)

FPS = 15.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    return demo_clip(tmp_path_factory.getbasetemp() / "demo-clip")


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector(models().detector)


def _config(**visits: Any) -> BridgeConfig:
    return build_config({"bridge_id": "t", "visits": {"visit_gap_s": 5.0, **visits}}, {})


def _pipeline(detector: FaceDetector, config: BridgeConfig | None = None) -> FacePipeline:
    config = config or _config()
    emb = embedder() if config.visits.dedupe == "embedding" else None
    return FacePipeline.from_config(config, "cam", detector, emb)


class Feeder:
    """Feeds synthetic frames at 15 fps of media time."""

    def __init__(self, pipeline: FacePipeline) -> None:
        self.pipeline = pipeline
        self.seq = 0
        self.media = 1000.0
        self.session = 1
        self.events: list[tuple[int, FaceEvent]] = []

    def feed(self, image: np.ndarray, count: int) -> None:
        for _ in range(count):
            self.seq += 1
            self.media += 1.0 / FPS
            frame = Frame(image, self.seq, time.time(), self.media, self.session)
            self.events += [(self.seq, e) for e in self.pipeline.process(frame)]

    def gap(self, seconds: float, *, reconnect: bool = False) -> None:
        """No frames for ``seconds`` (a stream outage when ``reconnect``)."""
        self.media += seconds
        if reconnect:
            self.session += 1


BLANK = np.full((90, 160, 3), 200, np.uint8)  # nobody in view (small: cheap to analyse)


def test_demo_clip_gives_exactly_one_event_per_visit(
    clip: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    path, schedule = clip
    config = build_config(
        {
            "bridge_id": "demo",
            "visits": {"visit_gap_s": schedule["visit_gap_s"]},
            "cameras": [{"id": "demo", "source": str(path), "realtime": False, "loop": False}],
        },
        {},
    )
    camera = Camera(config.cameras[0])
    pipeline = FacePipeline.from_config(config, "demo", FaceDetector(models().detector), embedder())
    events: list[FaceEvent] = []
    lock = threading.Lock()

    def publish(event: FaceEvent) -> None:
        with lock:
            events.append(event)

    worker = CameraWorker(camera, pipeline, publish)
    worker.start()
    camera.start()
    assert camera.wait_ended(GUARD_S)
    worker.join(GUARD_S)
    assert worker.finished.is_set()
    camera.stop()

    expected = [visit["person"] for visit in schedule["visits"]]
    assert len(events) == schedule["expected_events"] == len(expected)
    events.sort(key=lambda e: e.first_seen)
    assert [identify(e.crop_jpeg) for e in events] == expected
    # Grace Hopper turned away long enough to lose her track: recognised as the same visit.
    assert pipeline.stats.suppressed_same_visit >= 1
    assert pipeline.stats.frames == schedule["frames"] == camera.stats().frames_analysed
    assert len({e.visit_id for e in events}) == len(events)
    for event in events:
        assert event.camera_id == "demo"
        assert event.bridge_id == "demo"
        assert event.first_seen <= event.best_at <= event.emitted_at
        assert min(event.crop_width, event.crop_height) >= 112
        crop = cv2.imdecode(np.frombuffer(event.crop_jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert crop.shape[:2] == (event.crop_height, event.crop_width)
        x, y, w, h = event.bbox
        assert 0 <= x < x + w <= schedule["width"]
        assert 0 <= y < y + h <= schedule["height"]
        assert event.quality["score"] >= config.quality.min_score


def test_without_dedupe_a_lost_track_would_have_sent_twice(
    clip: tuple[Path, dict[str, Any]], detector: FaceDetector
) -> None:
    """The control for the test above: the occlusion really does split Grace Hopper's track."""
    path, schedule = clip
    pipeline = _pipeline(detector, _config(dedupe="off"))
    grace = schedule["visits"][1]
    assert grace["person"] == "grace_hopper"
    capture = cv2.VideoCapture(str(path))
    capture.set(cv2.CAP_PROP_POS_FRAMES, int(grace["enter_s"] * FPS))
    index = int(grace["enter_s"] * FPS)
    events: list[FaceEvent] = []
    while index <= (grace["leave_s"] + 0.5) * FPS:
        ok, image = capture.read()
        assert ok
        index += 1
        events += pipeline.process(Frame(image, index, time.time(), index / FPS, 1))
    capture.release()
    events += pipeline.flush()
    # (The astronaut's return overlaps the end of this window; only Grace Hopper counts here.)
    assert [identify(e.crop_jpeg) for e in events].count("grace_hopper") == 2


def test_a_person_who_stays_is_sent_once_and_quickly(detector: FaceDetector) -> None:
    feeder = Feeder(_pipeline(detector))
    feeder.feed(portrait_scene("astronaut"), 90)  # six seconds in view
    assert len(feeder.events) == 1
    seq, event = feeder.events[0]
    assert seq <= 3  # a good shot goes out on the second detection
    assert event.reason == "good_shot"
    assert event.track_id == 1


def test_brief_absence_is_the_same_visit_and_long_absence_a_new_one(
    detector: FaceDetector,
) -> None:
    feeder = Feeder(_pipeline(detector))
    scene = portrait_scene("grace_hopper")
    feeder.feed(scene, 20)
    feeder.feed(BLANK, 30)  # 2 s away: track ends, visit continues
    feeder.feed(scene, 20)
    assert len(feeder.events) == 1
    assert feeder.pipeline.stats.suppressed_same_visit == 1
    feeder.feed(BLANK, 120)  # 8 s away: longer than the 5 s visit gap
    feeder.feed(scene, 20)
    assert len(feeder.events) == 2
    assert feeder.events[0][1].visit_id != feeder.events[1][1].visit_id


def test_different_person_is_a_new_visit(detector: FaceDetector) -> None:
    feeder = Feeder(_pipeline(detector))
    feeder.feed(portrait_scene("astronaut"), 15)
    feeder.feed(BLANK, 20)
    feeder.feed(portrait_scene("grace_hopper"), 15)
    assert [identify(e.crop_jpeg) for _, e in feeder.events] == ["astronaut", "grace_hopper"]


def test_stream_outage_does_not_make_a_new_visit(detector: FaceDetector) -> None:
    feeder = Feeder(_pipeline(detector))
    scene = portrait_scene("astronaut")
    feeder.feed(scene, 15)
    feeder.gap(60.0, reconnect=True)  # longer than the visit gap, but nobody was watching
    feeder.feed(scene, 15)
    assert len(feeder.events) == 1
    assert feeder.pipeline.stats.suppressed_same_visit == 1
    assert feeder.pipeline.observed_time < 3.0


def test_mediocre_shot_is_sent_after_the_settle_time(detector: FaceDetector) -> None:
    config = _config()
    config = replace(config, quality=replace(config.quality, good_score=0.99))
    feeder = Feeder(_pipeline(detector, config))
    feeder.feed(portrait_scene("astronaut"), 40)
    assert len(feeder.events) == 1
    seq, event = feeder.events[0]
    assert event.reason == "settled"
    assert 15 <= seq <= 17  # one second (15 frames) after first seen


def test_short_track_is_sent_when_it_ends(detector: FaceDetector) -> None:
    config = _config()
    config = replace(config, quality=replace(config.quality, good_score=0.99))
    feeder = Feeder(_pipeline(detector, config))
    feeder.feed(portrait_scene("astronaut"), 5)
    assert feeder.events == []
    feeder.feed(BLANK, 30)
    assert [e.reason for _, e in feeder.events] == ["track_ended"]


def test_faces_too_small_never_become_events(detector: FaceDetector) -> None:
    feeder = Feeder(_pipeline(detector))
    small = cv2.resize(portrait_scene("astronaut"), (160, 90), interpolation=cv2.INTER_AREA)
    frame = np.full((360, 640, 3), 200, np.uint8)
    frame[100:190, 200:360] = small
    feeder.feed(frame, 30)
    feeder.feed(BLANK, 30)
    assert feeder.events == []
    assert feeder.pipeline.stats.tracks_without_event >= 1


def test_event_json_shape(detector: FaceDetector) -> None:
    feeder = Feeder(_pipeline(detector))
    feeder.feed(portrait_scene("astronaut", (1280, 720)), 3)
    (_, event), *_ = feeder.events
    data = json.loads(json.dumps(event.to_wire()))
    assert data["type"] == "face"
    assert set(data) == {
        "type",
        "event_id",
        "bridge_id",
        "camera_id",
        "track_id",
        "visit_id",
        "reason",
        "first_seen",
        "best_at",
        "emitted_at",
        "quality",
        "bbox",
        "frame",
        "crop",
    }
    assert data["frame"] == {"width": 1280, "height": 720}
    crop = base64.b64decode(data["crop"]["jpeg_b64"])
    assert crop == event.crop_jpeg
    assert data["crop"]["content_type"] == "image/jpeg"
    assert 112 <= data["crop"]["width"] <= 400
    assert set(data["quality"]) >= {"score", "size", "sharpness", "pose", "detector"}
    assert "crop_jpeg" not in repr(event)


async def test_camera_outage_of_a_minute_reconnects_without_a_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real MJPEG camera on loopback disappears for 60 s and comes back.

    The bridge's capture clock runs with real time while the camera streams. During the outage
    it stands still and the test moves it one reconnect backoff at a time, so the minute passes
    in a moment while every attempt the camera makes in it is real.
    """
    clock = ControlledClock(follow_real_time=True)
    monkeypatch.setattr(runtime, "Camera", functools.partial(Camera, clock=clock))
    rng = np.random.default_rng(3)
    scene = portrait_scene("astronaut").astype(np.int16)
    frames = [
        jpeg(np.clip(scene + rng.integers(-3, 4, scene.shape), 0, 255).astype(np.uint8))
        for _ in range(5)
    ]
    server = MjpegServer(frames, fps=10)
    await server.start()
    config = make_config(
        tmp_path,
        visits={"visit_gap_s": 30},
        cameras=[{"id": "door", "source": server.url, "read_timeout_s": 3}],
    )
    backoff_max_s = config.cameras[0].backoff_max_s
    received: list[dict[str, Any]] = []
    async with running_bridge(config) as bridge, aiohttp.ClientSession() as session:
        ws = await session.ws_connect(
            f"https://127.0.0.1:{bridge.api_port}/api/v1/events",
            headers=auth_headers(),
            ssl=pinned(bridge),
        )

        async def listen() -> None:
            async for message in ws:
                data = json.loads(message.data)
                if data["type"] == "face":
                    received.append(data)

        listener = asyncio.create_task(listen())
        camera = bridge.units["door"].camera
        pipeline = bridge.units["door"].pipeline
        assert await wait_for(lambda: len(received) == 1)
        suppressed_before = pipeline.stats.suppressed_same_visit

        await server.stop()
        assert await wait_for(lambda: not camera.stats().connected)
        clock.pause()
        outage_started = clock.monotonic()
        while clock.monotonic() - outage_started < 60.0:  # a minute of failed reconnects
            await asyncio.to_thread(clock.run_to_next_wait)
        pending = await asyncio.to_thread(clock.next_wait)  # the last attempt failed too
        assert not camera.stats().connected
        failed_attempts = camera.stats().reconnects
        assert failed_attempts >= 10  # kept trying, capped backoff
        assert max(clock.history) == backoff_max_s

        await server.start()
        # The camera is back. The retry it is waiting for is at most one capped backoff away,
        # and that very attempt connects: no failed attempt after the camera's return.
        assert pending.seconds <= backoff_max_s
        assert await asyncio.to_thread(clock.run_to_next_wait) is pending
        clock.resume()
        assert await wait_for(lambda: camera.stats().connected)
        assert camera.stats().reconnects == failed_attempts

        analysed = camera.stats().frames_analysed
        assert await wait_for(lambda: camera.stats().frames_analysed >= analysed + 30)
        # The person still in view after the outage was recognised as the same visit...
        assert await wait_for(lambda: pipeline.stats.suppressed_same_visit > suppressed_before)
        # ...so the pipeline made no second event, and the client got exactly one.
        assert pipeline.stats.events == 1
        assert len(received) == 1
        listener.cancel()
        await ws.close()
    await server.stop()
