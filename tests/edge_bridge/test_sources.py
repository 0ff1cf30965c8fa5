"""Frame sources: image folders, HTTP MJPEG streams and snapshots, bad inputs counted by reason."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import numpy as np
import pytest

from edge_bridge.capture import Camera
from edge_bridge.sources import BadInputCounter, HttpMjpegSource, ImageFolderSource, SourceError
from tests.edge_bridge.helpers_bridge import (
    FACES,
    GUARD_S,
    MjpegServer,
    camera_config,
    jpeg,
    start_camera,
    wait_for,
    wait_until,
)
from tests.image_cases import CASE_NAMES, assert_decoded, image_cases


@pytest.mark.parametrize("name", CASE_NAMES)
def test_image_folder_file(name: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    case = image_cases()[name]
    (tmp_path / case.name).write_bytes(case.data)
    counter = BadInputCounter("cam")
    source = ImageFolderSource(tmp_path, bad_inputs=counter)
    caplog.set_level(logging.WARNING, logger="edge_bridge.sources")
    source.open()
    try:
        if case.camera is None:
            image = source.read()
            assert image is not None
            assert_decoded(image, case)
            assert source.read() is None  # the end of the pass
            assert counter.snapshot() == {}
            return
        with pytest.raises(SourceError, match="no readable images"):
            source.read()
        assert counter.snapshot() == {case.camera: 1}
        (message,) = [record.getMessage() for record in caplog.records]
        assert case.name in message
        for word in case.words:
            assert word in message
    finally:
        source.close()


@pytest.mark.parametrize("transport", ["stream", "snapshot"])
@pytest.mark.parametrize("name", CASE_NAMES)
async def test_http_camera_image(name: str, transport: str) -> None:
    case = image_cases()[name]
    good = image_cases()["good.jpg"]
    # Without Content-Length, so that an empty part is a part and not a framing error.
    server = MjpegServer([case.data, good.data], content_length=False)
    server.snapshot_only = transport == "snapshot"
    await server.start()
    counter = BadInputCounter("cam")
    source = HttpMjpegSource(
        server.url, open_timeout_s=GUARD_S, read_timeout_s=GUARD_S, bad_inputs=counter
    )
    try:
        await asyncio.to_thread(source.open)
        if case.camera is None:
            image = await asyncio.to_thread(source.read)
            assert image is not None
            assert_decoded(image, case)
            assert counter.snapshot() == {}
        elif transport == "stream":
            image = await asyncio.to_thread(source.read)  # the bad part is skipped
            assert image is not None
            assert_decoded(image, good)
            assert counter.snapshot() == {case.camera: 1}
        else:
            with pytest.raises(SourceError, match="not a usable image"):
                await asyncio.to_thread(source.read)
            assert counter.snapshot() == {case.camera: 1}
    finally:
        source.close()
        await server.stop()


# --------------------------------------------------------------------------- bad images


def test_image_folder_skips_bad_files_with_counted_reasons(
    cameras: list[Camera], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cases = image_cases().values()
    for case in cases:
        (tmp_path / case.name).write_bytes(case.data)
    (tmp_path / "notes.txt").write_bytes(b"not an image")
    good = [case for case in cases if case.camera is None]
    caplog.set_level(logging.WARNING, logger="edge_bridge.sources")
    camera = start_camera(cameras, Camera(camera_config(source=str(tmp_path), realtime=False)))
    frames = [camera.queue.get(GUARD_S) for _ in range(3 * len(good))]  # three passes
    assert all(frame is not None for frame in frames)
    shapes = sorted(frame.image.shape for frame in frames if frame is not None)
    assert shapes == sorted(
        case.expected.shape for case in good for _ in range(3) if case.expected is not None
    )
    stats = camera.stats()
    assert stats.connected
    assert stats.state == "streaming"
    counts = camera.bad_inputs.snapshot()
    refused = {case.camera for case in cases if case.camera is not None}
    assert set(counts) == refused | {"unsupported_name"}
    assert refused >= {"empty", "truncated", "not_image", "too_large", "undecodable", "corrupt"}
    assert counts["empty"] >= 2  # skipped again on every pass, without crashing
    # Logged once per file and reason, with the file name and why.
    messages = [r.getMessage() for r in caplog.records]
    assert sum("empty.jpg" in m for m in messages) == 1
    assert any("bomb.png" in m and "20000x20000" in m for m in messages)
    assert any("page.jpg" in m and "HTML" in m for m in messages)


def test_folder_without_any_usable_image_keeps_retrying(
    cameras: list[Camera], tmp_path: Path
) -> None:
    (tmp_path / "x.jpg").write_bytes(b"")
    camera = start_camera(
        cameras, Camera(camera_config(source=str(tmp_path), backoff_min_s=0.05, backoff_max_s=0.1))
    )
    assert wait_until(lambda: camera.stats().reconnects >= 2)
    assert "no readable images" in (camera.stats().last_error or "")
    (tmp_path / "y.jpg").write_bytes((FACES / "grace_hopper.jpg").read_bytes())
    assert wait_until(lambda: camera.stats().connected)


def test_bad_input_counter_logs_once_per_item(caplog: pytest.LogCaptureFixture) -> None:
    counter = BadInputCounter("cam")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            counter.add("empty", "a.jpg", "file is empty")
    assert counter.snapshot() == {"empty": 3}
    assert len(caplog.records) == 1


# --------------------------------------------------------------------------- HTTP MJPEG


@pytest.mark.parametrize("content_length", [True, False], ids=["with-length", "no-length"])
async def test_mjpeg_stream_over_http(content_length: bool) -> None:
    frames = [jpeg(np.full((120, 160, 3), value, np.uint8)) for value in (30, 120, 210)]
    server = MjpegServer(frames, fps=30, content_length=content_length)
    await server.start()
    camera = Camera(camera_config(source=server.url))
    camera.start()
    try:
        assert await wait_for(lambda: camera.stats().frames_in >= 6)
        stats = camera.stats()
        assert stats.connected
        assert (stats.width, stats.height) == (160, 120)
        frame = camera.latest_frame()
        assert frame is not None
        assert int(frame.image.mean()) in range(20, 220)
        assert camera.bad_inputs.snapshot() == {}
    finally:
        await stop_camera(camera)
        await server.stop()


async def test_jpeg_snapshot_url_is_polled() -> None:
    server = MjpegServer([jpeg(np.full((90, 120, 3), 99, np.uint8))])
    server.snapshot_only = True
    await server.start()
    camera = Camera(camera_config(source=server.url, fps=20))
    camera.start()
    try:
        assert await wait_for(lambda: camera.stats().frames_in >= 3)
        assert server.connections >= 3
    finally:
        await stop_camera(camera)
        await server.stop()


async def test_http_error_is_reported_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = MjpegServer([jpeg(np.zeros((8, 8, 3), np.uint8))])
    server.status = 401
    await server.start()
    url = server.url.replace("http://", "http://viewer:s3cret-pw@")
    camera = Camera(camera_config(source=url, backoff_min_s=0.05, backoff_max_s=0.1))
    caplog.set_level(logging.DEBUG)
    camera.start()
    try:
        assert await wait_for(lambda: camera.stats().reconnects >= 2)
        error = camera.stats().last_error or ""
        assert "HTTP 401" in error
        assert "viewer:***@" in error
        assert "s3cret-pw" not in caplog.text
    finally:
        await stop_camera(camera)
        await server.stop()


async def stop_camera(camera: Camera) -> None:
    await asyncio.to_thread(camera.stop, GUARD_S)
