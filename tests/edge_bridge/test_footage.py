"""The footage buffer: retention by the clock, encryption at rest, file modes, the disk cap, the
non-blocking hand-over, configuration, and the two API routes behind the bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
import stat
import struct
import time

import aiohttp
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
import numpy as np
import pytest

from edge_bridge.config import ConfigError, build_config
from edge_bridge.footage import (
    FOOTAGE_DIR,
    KEY_FILE,
    MAGIC,
    MAX_LISTED,
    NONCE_BYTES,
    QUEUE_FRAMES,
    RECORD_HEAD,
    SEGMENT_S,
    FootageRecorder,
    purge_footage,
)
from edge_bridge.metrics import BridgeFigures, render_metrics
from edge_bridge.protocol import footage_frame_path, footage_path, footage_timestamp
from edge_bridge.runtime import Bridge
from edge_bridge.settings import FootageSettings
from tests.edge_bridge.helpers_bridge import (
    auth_headers,
    bgr_from_jpeg,
    jpeg,
    make_config,
    pinned,
    portrait_scene,
    running_bridge,
    wait_for,
    wait_until,
)

T0 = 1_764_000_000.0  # a whole minute: segment boundaries fall on T0 + n * SEGMENT_S


class FakeClock:
    """Wall-clock time the test moves."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _frame(shade: int = 120) -> bytes:
    image = np.full((90, 160, 3), shade, np.uint8)
    image[20:70, 40:120] = 255 - shade
    return jpeg(image)


def _recorder(
    data_dir: Path, clock: FakeClock, minutes: int = 30, max_bytes: int | None = None
) -> FootageRecorder:
    return FootageRecorder(
        data_dir, FootageSettings(minutes=minutes), clock=clock, max_bytes=max_bytes
    )


def _segments(data_dir: Path, camera: str = "door") -> list[Path]:
    return sorted((data_dir / FOOTAGE_DIR / camera).glob("*.seg"))


def test_frames_are_listed_and_read_back(tmp_path: Path) -> None:
    clock = FakeClock(T0 + 100)
    recorder = _recorder(tmp_path, clock)
    frames = {T0 + offset: _frame(offset) for offset in (10.25, 11.5, 70.0, 95.125)}
    for captured_at, data in frames.items():
        recorder.record("door", data, captured_at)
    recorder.record("till", _frame(3), T0 + 11.0)

    assert recorder.timestamps("door", T0 + 60, 60) == sorted(frames)
    assert recorder.timestamps("door", T0 + 11, 1) == [T0 + 10.25, T0 + 11.5]
    assert recorder.timestamps("till", T0 + 11, 5) == [T0 + 11.0]
    assert recorder.timestamps("nobody", T0 + 11, 5) == []
    for captured_at, data in frames.items():
        assert recorder.frame("door", captured_at) == data
    assert recorder.frame("door", T0 + 10.26) is None
    assert recorder.frame("till", T0 + 10.25) is None
    assert len(_segments(tmp_path)) == 2  # minute 0 and minute 1


def test_a_listing_is_bounded(tmp_path: Path) -> None:
    clock = FakeClock(T0 + 400)
    recorder = _recorder(tmp_path, clock)
    data = _frame()
    for index in range(MAX_LISTED + 50):
        recorder.record("door", data, T0 + index * 0.5)
    listed = recorder.timestamps("door", T0 + 150, 1000)  # the span is capped too
    assert len(listed) == MAX_LISTED
    assert listed == sorted(listed)
    assert T0 + 150 in listed


def test_footage_is_encrypted_at_rest(tmp_path: Path) -> None:
    clock = FakeClock(T0 + 5)
    recorder = _recorder(tmp_path, clock)
    data = _frame()
    recorder.record("door", data, T0 + 1.5)

    (segment,) = _segments(tmp_path)
    raw = segment.read_bytes()
    assert raw.startswith(MAGIC)
    assert b"JFIF" not in raw
    assert data[:32] not in raw
    assert data[-64:] not in raw
    millis, length = RECORD_HEAD.unpack_from(raw, len(MAGIC))
    assert millis == round((T0 + 1.5) * 1000)
    payload = raw[len(MAGIC) + RECORD_HEAD.size :][:length]
    key = (tmp_path / KEY_FILE).read_bytes()
    plain = AESGCM(key).decrypt(
        payload[:NONCE_BYTES], payload[NONCE_BYTES:], f"door\x00{millis}".encode()
    )
    assert plain == data
    assert plain.startswith(b"\xff\xd8\xff")


def test_files_and_directories_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    recorder = _recorder(data_dir, FakeClock(T0 + 5))
    recorder.record("door", _frame(), T0 + 1)
    mode = lambda path: stat.S_IMODE(path.stat().st_mode)  # noqa: E731
    assert mode(data_dir / KEY_FILE) == 0o600
    assert mode(data_dir / FOOTAGE_DIR) == 0o700
    assert mode(data_dir / FOOTAGE_DIR / "door") == 0o700
    (segment,) = _segments(data_dir)
    assert mode(segment) == 0o600


def test_the_key_is_made_once(tmp_path: Path) -> None:
    clock = FakeClock(T0 + 5)
    first = _recorder(tmp_path, clock)
    key = (tmp_path / KEY_FILE).read_bytes()
    first.record("door", _frame(), T0 + 1)
    second = _recorder(tmp_path, clock)  # a restart: same key, same footage
    assert (tmp_path / KEY_FILE).read_bytes() == key
    assert second.frame("door", T0 + 1) == _frame()
    assert second.figures().bytes_on_disk == _segments(tmp_path)[0].stat().st_size


def test_a_tampered_or_foreign_record_is_not_served(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path, FakeClock(T0 + 5))
    recorder.record("door", _frame(), T0 + 1)
    (segment,) = _segments(tmp_path)
    raw = bytearray(segment.read_bytes())
    raw[-1] ^= 0x01
    segment.write_bytes(bytes(raw))
    assert recorder.timestamps("door", T0, 5) == [T0 + 1]
    assert recorder.frame("door", T0 + 1) is None


def test_retention_deletes_old_segments_by_the_clock(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    recorder = _recorder(tmp_path, clock, minutes=2)
    for minute in range(4):
        recorder.record("door", _frame(), T0 + minute * SEGMENT_S + 1)
    assert len(_segments(tmp_path)) == 4

    clock.now = T0 + 4 * SEGMENT_S  # minute 0 and 1 ended 2 minutes ago or more
    assert recorder.expire() == 2
    assert [path.name for path in _segments(tmp_path)] == [
        f"{int(T0) + 2 * SEGMENT_S}.seg",
        f"{int(T0) + 3 * SEGMENT_S}.seg",
    ]
    # Within a kept segment, a frame past the retention is no longer listed or served.
    clock.now = T0 + 4 * SEGMENT_S + 2
    assert recorder.timestamps("door", T0 + 150, 300) == [T0 + 3 * SEGMENT_S + 1]
    assert recorder.frame("door", T0 + 2 * SEGMENT_S + 1) is None
    clock.now = T0 + 6 * SEGMENT_S
    recorder.expire()
    assert _segments(tmp_path) == []
    assert recorder.figures().bytes_on_disk == 0


def test_expired_footage_goes_at_start(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    _recorder(tmp_path, clock).record("door", _frame(), T0 + 1)
    clock.now = T0 + 31 * 60 + SEGMENT_S
    recorder = _recorder(tmp_path, clock)
    recorder.start()
    recorder.stop()
    assert _segments(tmp_path) == []


def test_the_disk_cap_deletes_the_oldest_first(tmp_path: Path) -> None:
    clock = FakeClock(T0 + 10 * SEGMENT_S)
    data = _frame()
    probe = _recorder(tmp_path / "probe", clock)
    probe.record("door", data, T0)
    one_segment = probe.figures().bytes_on_disk

    recorder = _recorder(tmp_path / "data", clock, max_bytes=3 * one_segment)
    for minute in range(5):
        recorder.record("door" if minute % 2 else "till", data, T0 + minute * SEGMENT_S)
    figures = recorder.figures()
    assert figures.bytes_on_disk <= 3 * one_segment
    assert figures.recorded == {"door": 2, "till": 3}
    kept = recorder.timestamps("door", T0, 300) + recorder.timestamps("till", T0, 300)
    assert sorted(kept) == [T0 + minute * SEGMENT_S for minute in (2, 3, 4)]


def test_offers_are_rate_limited_and_dropped_when_the_writer_is_behind(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path, FakeClock())  # writer not started: the disk never keeps up
    image = np.zeros((36, 64, 3), np.uint8)
    assert recorder.offer("door", image, T0)
    assert not recorder.offer("door", image, T0 + 0.5)  # 1 frame/s
    for second in range(1, QUEUE_FRAMES + 3):
        recorder.offer("door", image, T0 + second)
    assert recorder.queued == QUEUE_FRAMES
    assert recorder.figures().dropped == {"door": 3}


def test_the_writer_records_offered_frames(tmp_path: Path) -> None:
    clock = FakeClock(T0 + 5)
    recorder = _recorder(tmp_path, clock)
    recorder.start()
    try:
        recorder.offer("door", np.full((1080, 1920, 3), 90, np.uint8), T0 + 1)
        assert wait_until(lambda: recorder.figures().recorded.get("door", 0) >= 1)
    finally:
        recorder.stop()
    stored = recorder.frame("door", T0 + 1)
    assert stored is not None
    assert stored.startswith(b"\xff\xd8\xff")
    assert bgr_from_jpeg(stored).shape == (720, 1280, 3)  # scaled to footage.width


def test_turning_the_buffer_off_deletes_it(tmp_path: Path) -> None:
    _recorder(tmp_path, FakeClock(T0 + 5)).record("door", _frame(), T0 + 1)
    purge_footage(tmp_path)
    assert not (tmp_path / FOOTAGE_DIR).exists()
    with pytest.raises(ValueError, match="off"):
        FootageRecorder(tmp_path, FootageSettings(minutes=0))


def test_configuration() -> None:
    assert build_config({}, {}).footage == FootageSettings()
    config = build_config({"footage": {"minutes": 4320, "fps": 2, "max_disk_mb": 512}}, {})
    assert (config.footage.minutes, config.footage.fps, config.footage.max_disk_mb) == (
        4320,
        2,
        512,
    )
    assert (
        build_config(
            {"footage": {"minutes": 60}}, {"SMARTSHOP_FOOTAGE_MINUTES": "0"}
        ).footage.minutes
        == 0
    )
    with pytest.raises(ConfigError, match=r"footage\.minutes: must be at least 0 and 4320"):
        build_config({"footage": {"minutes": 4321}}, {})
    with pytest.raises(ConfigError, match="SMARTSHOP_FOOTAGE_MINUTES"):
        build_config({}, {"SMARTSHOP_FOOTAGE_MINUTES": "5000"})
    with pytest.raises(ConfigError, match="did you mean 'minutes'"):
        build_config({"footage": {"minuts": 5}}, {})


def test_metrics_report_the_buffer(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path, FakeClock(T0 + 5))
    recorder.record("door", _frame(), T0 + 1)
    text = render_metrics(
        BridgeFigures(
            bridge_id="b",
            started_at=T0,
            cameras={},
            ws_clients=0,
            streams=0,
            ws_events_dropped=0,
            footage=recorder.figures(),
        )
    )
    assert 'smartshop_footage_frames_recorded_total{camera="door"} 1' in text
    size = recorder.figures().bytes_on_disk
    assert f"smartshop_footage_bytes {size}" in text


# --------------------------------------------------------------------------- the API


@pytest.fixture
async def bridge(tmp_path: Path) -> AsyncIterator[Bridge]:
    """A bridge with one image-folder camera showing a face, recording its footage."""
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "00.jpg").write_bytes(jpeg(portrait_scene("grace_hopper")))
    config = make_config(
        tmp_path / "data",
        cameras=[{"id": "door", "source": str(folder), "fps": 5}],
        footage={"minutes": 5},
    )
    async with running_bridge(config) as running:
        yield running


@pytest.fixture
async def http(bridge: Bridge) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(ssl=pinned(bridge))
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


def _url(bridge: Bridge, path: str) -> str:
    return f"https://127.0.0.1:{bridge.api_port}{path}"


async def test_the_api_lists_and_serves_recorded_frames(
    bridge: Bridge, http: aiohttp.ClientSession
) -> None:
    recorder = bridge.footage
    assert recorder is not None
    # The camera's own frames reach the buffer through the capture tap.
    assert await wait_for(lambda: recorder.figures().recorded.get("door", 0) >= 1)
    async with http.get(
        _url(bridge, footage_path("door")),
        params={"around": "0", "span": "0"},
        headers=auth_headers(),
    ) as response:
        assert response.status == 200
        assert (await response.json())["timestamps"] == []

    now = time.time()
    async with http.get(
        _url(bridge, footage_path("door")),
        params={"around": str(now), "span": "120"},
        headers=auth_headers(),
    ) as response:
        assert response.status == 200
        body = await response.json()
    assert body["camera_id"] == "door"
    assert body["retention_minutes"] == 5
    assert body["timestamps"]
    stamp = body["timestamps"][0]
    async with http.get(
        _url(bridge, footage_frame_path("door", footage_timestamp(stamp))),
        headers=auth_headers(),
    ) as response:
        assert response.status == 200
        assert response.content_type == "image/jpeg"
        data = await response.read()
    assert data.startswith(b"\xff\xd8\xff")
    assert data == recorder.frame("door", stamp)


async def test_footage_routes_need_the_token(bridge: Bridge, http: aiohttp.ClientSession) -> None:
    paths = [footage_path("door") + "?around=1&span=1", footage_frame_path("door", "1.000")]
    for path in paths:
        for headers in ({}, auth_headers("wrong-key-wrong-key-wrong-key")):
            async with http.get(_url(bridge, path), headers=headers) as response:
                assert response.status == 401, path


async def test_footage_requests_are_checked(bridge: Bridge, http: aiohttp.ClientSession) -> None:
    cases = {
        footage_path("door"): 400,  # no moment
        footage_path("door") + "?around=nan": 400,
        footage_path("door") + "?around=1&span=-1": 400,
        footage_path("nobody") + "?around=1": 404,
        footage_frame_path("door", "abc"): 400,
        footage_frame_path("door", footage_timestamp(12.5)): 404,
    }
    for path, status in cases.items():
        async with http.get(_url(bridge, path), headers=auth_headers()) as response:
            assert response.status == status, path
            assert "error" in await response.json()


async def test_footage_off_means_no_recorder_and_no_routes(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "00.jpg").write_bytes(jpeg(portrait_scene("grace_hopper")))
    data_dir = tmp_path / "data"
    _recorder(data_dir, FakeClock(T0 + 5)).record("door", _frame(), T0 + 1)
    config = make_config(
        data_dir,
        cameras=[{"id": "door", "source": str(folder), "fps": 5}],
        footage={"minutes": 0},
    )
    async with running_bridge(config) as running:
        assert running.footage is None
        assert not (data_dir / FOOTAGE_DIR).exists()  # turned off: what was recorded is gone
        connector = aiohttp.TCPConnector(ssl=pinned(running))
        async with aiohttp.ClientSession(connector=connector) as session:
            url = f"https://127.0.0.1:{running.api_port}{footage_path('door')}?around=1"
            async with session.get(url, headers=auth_headers()) as response:
                assert response.status == 404


def test_record_head_layout() -> None:
    assert RECORD_HEAD.size == struct.calcsize(">QI")
