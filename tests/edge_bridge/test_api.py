"""Bridge API on a real loopback server: auth refusals, every endpoint, metrics format."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
import json
from pathlib import Path
import re
import time
from typing import Any

import aiohttp
import cv2
import numpy as np
import pytest

from edge_bridge.runtime import Bridge
from tests.edge_bridge.helpers_bridge import (
    API_KEY,
    GUARD_S,
    auth_headers,
    jpeg,
    make_config,
    pinned,
    portrait_scene,
    running_bridge,
    wait_for,
)

ROUTES = [
    "/api/v1/info",
    "/api/v1/cameras",
    "/api/v1/cameras/door/snapshot.jpg",
    "/api/v1/cameras/door/stream.mjpeg",
    "/api/v1/events",
    "/api/v1/health",
    "/metrics",
    "/api/v1/no-such-route",
]


@pytest.fixture
async def bridge(tmp_path: Path) -> AsyncIterator[Bridge]:
    """A bridge with one image-folder camera: 1 s of empty shop, then a face, at 10 fps."""
    folder = tmp_path / "frames"
    folder.mkdir()
    empty = np.full((360, 640, 3), 190, np.uint8)
    for index in range(10):
        (folder / f"{index:02d}.jpg").write_bytes(jpeg(empty))
    scene = portrait_scene("grace_hopper")
    for index in range(10, 30):
        (folder / f"{index:02d}.jpg").write_bytes(jpeg(scene))
    config = make_config(
        tmp_path / "data",
        cameras=[{"id": "door", "name": "Front door", "source": str(folder), "fps": 10}],
    )
    async with running_bridge(config) as running:
        yield running


@pytest.fixture
async def http(bridge: Bridge) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that talks to the test bridge over TLS, its certificate pinned."""
    connector = aiohttp.TCPConnector(ssl=pinned(bridge))
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


def _url(bridge: Bridge, path: str) -> str:
    return f"https://127.0.0.1:{bridge.api_port}{path}"


BAD_HEADERS = {
    "no-key": {},
    "wrong-key": {"Authorization": "Bearer wrong-key-wrong-key-wrong"},
    "wrong-scheme": {"Authorization": f"Basic {API_KEY}"},
    "empty-token": {"Authorization": "Bearer "},
    "key-plus-one": {"Authorization": f"Bearer {API_KEY}x"},
    "key-minus-one": {"Authorization": f"Bearer {API_KEY[:-1]}"},
}


async def test_every_route_refuses_without_the_right_key(
    bridge: Bridge, http: aiohttp.ClientSession
) -> None:
    for path in ROUTES:
        for case, headers in BAD_HEADERS.items():
            async with http.get(_url(bridge, path), headers=headers) as response:
                where = f"{case} on {path}"
                assert response.status == 401, where
                assert response.headers["WWW-Authenticate"].startswith("Bearer"), where
                body = await response.json()
                assert body["error"] == "unauthorized", where
                assert body["message"], where
        async with http.get(_url(bridge, path), headers=auth_headers()) as response:
            assert response.status != 401, path


async def test_websocket_upgrade_refused_without_key(
    bridge: Bridge, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await http.ws_connect(_url(bridge, "/api/v1/events"))
    assert info.value.status == 401


async def test_info_and_cameras(bridge: Bridge, http: aiohttp.ClientSession) -> None:
    async with http.get(_url(bridge, "/api/v1/info"), headers=auth_headers()) as response:
        assert response.status == 200
        info = await response.json()
    assert info["bridge_id"] == "test-bridge"
    assert info["version"]
    assert info["api_version"] == "1"
    assert [c["id"] for c in info["cameras"]] == ["door"]
    assert info["engine"] == {"enabled": False, "port": None, "region": "us-east-1"}
    assert re.fullmatch(r"[0-9a-f]{64}", info["models"]["detector_sha256"])
    async with http.get(_url(bridge, "/api/v1/cameras"), headers=auth_headers()) as response:
        cameras = (await response.json())["cameras"]
    (door,) = cameras
    assert door["name"] == "Front door"
    assert door["kind"] == "folder"
    assert door["snapshot_path"] == "/api/v1/cameras/door/snapshot.jpg"
    assert door["stream_path"] == "/api/v1/cameras/door/stream.mjpeg"


async def test_snapshot_is_a_decodable_jpeg(bridge: Bridge, http: aiohttp.ClientSession) -> None:
    camera = bridge.units["door"].camera
    assert await wait_for(lambda: camera.latest_frame() is not None)
    async with http.get(
        _url(bridge, "/api/v1/cameras/door/snapshot.jpg"), headers=auth_headers()
    ) as response:
        assert response.status == 200
        assert response.content_type == "image/jpeg"
        data = await response.read()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (360, 640, 3)
    url = _url(bridge, "/api/v1/cameras/door/snapshot.jpg?width=320")
    async with http.get(url, headers=auth_headers()) as response:
        small = cv2.imdecode(np.frombuffer(await response.read(), np.uint8), cv2.IMREAD_COLOR)
    assert small.shape == (180, 320, 3)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/cameras/nope/snapshot.jpg", 404),
        ("/api/v1/cameras/door/snapshot.jpg?width=abc", 400),
        ("/api/v1/cameras/door/stream.mjpeg?fps=100", 400),
        ("/api/v1/cameras/nope/stream.mjpeg", 404),
        ("/api/v1/events?since=yesterday", 400),
        ("/api/v1/unknown", 404),
    ],
)
async def test_bad_requests_get_json_errors(
    bridge: Bridge, http: aiohttp.ClientSession, path: str, status: int
) -> None:
    async with http.get(_url(bridge, path), headers=auth_headers()) as response:
        assert response.status == status
        body = await response.json()
        assert body["error"]
        assert body["message"]


async def test_mjpeg_stream_yields_several_parts(
    bridge: Bridge, http: aiohttp.ClientSession
) -> None:
    url = _url(bridge, "/api/v1/cameras/door/stream.mjpeg?fps=5&width=320")
    async with http.get(url, headers=auth_headers()) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("multipart/x-mixed-replace")
        assert "boundary=frame" in response.headers["Content-Type"]
        reader = aiohttp.MultipartReader.from_response(response)
        parts = 0
        while parts < 3:
            part = await asyncio.wait_for(reader.next(), GUARD_S)
            assert part is not None
            assert part.headers["Content-Type"] == "image/jpeg"  # type: ignore[union-attr]
            data = await part.read()  # type: ignore[union-attr]
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            assert image.shape == (180, 320, 3)
            parts += 1
    assert parts == 3


async def _next_face(
    ws: aiohttp.ClientWebSocketResponse, within: float = GUARD_S
) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            message = await ws.receive()
            assert message.type == aiohttp.WSMsgType.TEXT, message
            data = json.loads(message.data)
            if data["type"] == "face":
                return data


async def test_websocket_delivers_live_face_event_and_replays_it(
    bridge: Bridge, http: aiohttp.ClientSession
) -> None:
    url = _url(bridge, "/api/v1/events")
    async with http.ws_connect(url, headers=auth_headers()) as ws:
        hello = json.loads((await ws.receive()).data)
        assert hello == {
            "type": "hello",
            "bridge_id": "test-bridge",
            "version": hello["version"],
            "cameras": ["door"],
        }
        event = await _next_face(ws)
        await ws.send_str("ping")
        pong = json.loads((await ws.receive()).data)
        assert pong == {"type": "pong"}
    assert event["camera_id"] == "door"
    assert event["bridge_id"] == "test-bridge"
    crop_bytes = base64.b64decode(event["crop"]["jpeg_b64"])
    crop = cv2.imdecode(np.frombuffer(crop_bytes, np.uint8), cv2.IMREAD_COLOR)
    assert min(crop.shape[:2]) >= 112
    assert event["first_seen"] <= event["best_at"] <= event["emitted_at"]
    # A client that reconnects asks for what it missed.
    async with http.ws_connect(f"{url}?since=0", headers=auth_headers()) as ws:
        await ws.receive()  # hello
        replayed = await _next_face(ws)
    assert replayed["event_id"] == event["event_id"]


async def test_health_reports_each_camera(bridge: Bridge, http: aiohttp.ClientSession) -> None:
    camera = bridge.units["door"].camera
    assert await wait_for(lambda: camera.stats().connected)
    seen_frame_at = camera.stats().last_frame_at
    assert seen_frame_at is not None
    asked = time.time()
    async with http.get(_url(bridge, "/api/v1/health"), headers=auth_headers()) as response:
        assert response.status == 200
        health = await response.json()
    answered = time.time()
    assert health["status"] == "ok"
    door = health["cameras"]["door"]
    assert door["connected"] is True
    assert door["state"] == "streaming"
    assert door["frames_in"] >= 1
    # The newest frame, and its age as of the answer (rounded to the millisecond).
    assert door["last_frame_at"] >= seen_frame_at
    answered_at = door["last_frame_at"] + door["last_frame_age_s"]
    assert asked - 0.001 <= answered_at <= answered + 0.001
    assert {"frames_dropped", "frames_analysed", "reconnects", "bad_inputs"} <= set(door)
    assert health["engine"] == {"enabled": False, "port": None}


SAMPLE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)"
    r'(?P<labels>\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"'
    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})?'
    r" (?P<value>-?[0-9.e+-]+|NaN)$"
)


def parse_metrics(text: str) -> dict[str, float]:
    """Validate Prometheus text format 0.0.4 and return samples by ``name{labels}``."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in {"counter", "gauge", "summary"}
            assert name not in types, f"duplicate TYPE for {name}"
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not a valid sample line: {line!r}"
        name = match["name"]
        family = re.sub(r"_(sum|count)$", "", name) if name not in types else name
        assert family in types, f"sample {name} has no TYPE line before it"
        if types[family] == "counter":
            assert name.endswith("_total")
        samples[name + (match["labels"] or "")] = float(match["value"])
    return samples


async def test_metrics_are_valid_prometheus_text(
    bridge: Bridge, http: aiohttp.ClientSession
) -> None:
    camera = bridge.units["door"].camera
    assert await wait_for(lambda: camera.stats().frames_analysed >= 3)
    async with http.ws_connect(_url(bridge, "/api/v1/events"), headers=auth_headers()) as ws:
        hello = json.loads((await ws.receive()).data)  # sent once the client is registered
        assert hello["type"] == "hello"
        async with http.get(_url(bridge, "/metrics"), headers=auth_headers()) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = await response.text()
    samples = parse_metrics(text)
    assert samples['smartshop_bridge_info{bridge_id="test-bridge",version="0.1.0"}'] == 1
    assert samples['smartshop_camera_connected{camera="door"}'] == 1
    assert samples['smartshop_camera_frames_in_total{camera="door"}'] >= 3
    assert samples['smartshop_camera_frames_analysed_total{camera="door"}'] >= 3
    assert 'smartshop_camera_frames_dropped_total{camera="door"}' in samples
    assert 'smartshop_camera_reconnects_total{camera="door"}' in samples
    assert samples['smartshop_detect_seconds_count{camera="door"}'] >= 3
    assert 'smartshop_face_events_total{camera="door"}' in samples
    assert samples["smartshop_ws_clients"] == 1
