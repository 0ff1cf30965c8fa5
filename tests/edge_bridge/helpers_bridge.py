"""Helpers shared by the bridge tests: demo clip cache, configs, a running bridge, MJPEG server,
a capture clock the test moves, and waits that are failure guards, never measurements.

``GUARD_S`` bounds every wait for something that happens on another thread or process. It is
only there so a broken build fails instead of hanging: no test measures how long a wait took,
so a loaded machine makes tests slower, never red.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass
import fcntl
import hashlib
import json
from pathlib import Path
import socket
import threading
import time
from typing import Any

import aiohttp
from aiohttp import web
import cv2
import numpy as np

from edge_bridge import democlip
from edge_bridge.auth import CLIENTS_FILE, open_bridge_access
from edge_bridge.capture import Camera
from edge_bridge.config import build_config
from edge_bridge.detect import FaceDetector
from edge_bridge.embed import FaceEmbedder
from edge_bridge.model_files import ModelFiles, locate_models
from edge_bridge.protocol import PAIR_PATH, PairRequest, client_proof, new_nonce
from edge_bridge.runtime import Bridge
from edge_bridge.settings import BridgeConfig, CameraConfig

FACES = Path(__file__).resolve().parent.parent / "fixtures" / "faces"
API_KEY = "test-bridge-key-0123456789abcdef"
GUARD_S = 120.0  # how long to wait for another thread or process before calling it broken

_MODELS: ModelFiles | None = None
_EMBEDDER: FaceEmbedder | None = None


def models() -> ModelFiles:
    global _MODELS  # noqa: PLW0603 - cached once per test session
    if _MODELS is None:
        _MODELS = locate_models()
    return _MODELS


def embedder() -> FaceEmbedder:
    global _EMBEDDER  # noqa: PLW0603
    if _EMBEDDER is None:
        _EMBEDDER = FaceEmbedder(models().recognizer)
    return _EMBEDDER


def demo_clip(cache: Path) -> tuple[Path, dict[str, Any]]:
    """The default demo clip in ``cache`` (generated once; safe across parallel processes)."""
    cache.mkdir(parents=True, exist_ok=True)
    clip = cache / democlip.CLIP_NAME
    schedule_path = cache / democlip.SCHEDULE_NAME
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not schedule_path.is_file():
            democlip.generate(cache)
    return clip, json.loads(schedule_path.read_text())


def make_config(data_dir: Path, **sections: Any) -> BridgeConfig:
    """A loopback-only config with no discovery and no engine (``running_bridge`` pairs the
    test client whose token is ``API_KEY``)."""
    data: dict[str, Any] = {
        "bridge_id": "test-bridge",
        "data_dir": str(data_dir),
        "api": {"listen": "127.0.0.1:0"},
        "engine": {"enabled": False},
        "discovery": {"enabled": False},
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return build_config(data, {})


def camera_config(**overrides: Any) -> CameraConfig:
    """One camera's settings, validated as the YAML would be (id ``cam``, USB 0 unless given)."""
    data = {"id": "cam", "source": "usb:0", **overrides}
    return build_config({"cameras": [data]}, {}).cameras[0]


def start_camera(cameras: list[Camera], camera: Camera) -> Camera:
    """Start ``camera`` and add it to ``cameras`` (the fixture that stops them all)."""
    cameras.append(camera)
    camera.start()
    return camera


ENGINE_KEY_ID = "SSBTESTCLIENT0001"
ENGINE_SECRET = "test-engine-secret-0123456789abcdef"


def seed_client(data_dir: Path, token: str = API_KEY) -> None:
    """A paired client as pairing would store it, with a token and engine keys tests know."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    client = {
        "client_id": "testclient01",
        "name": "tests",
        "token_sha256": hashlib.sha256(token.encode()).hexdigest(),
        "engine_access_key_id": ENGINE_KEY_ID,
        "engine_secret_access_key": ENGINE_SECRET,
        "created_at": time.time(),
    }
    path = data_dir / CLIENTS_FILE
    path.write_text(json.dumps({"version": 1, "clients": [client]}))
    path.chmod(0o600)


def start_test_bridge(config: BridgeConfig) -> Bridge:
    """A bridge (not started) with its certificate and the test client paired."""
    seed_client(config.data_dir)
    certificate, access = open_bridge_access(config)
    return Bridge(config, models(), certificate, access)


def pinned(bridge: Bridge) -> aiohttp.Fingerprint:
    """What a client passes as ``ssl=`` to talk to this bridge (its certificate, pinned)."""
    return aiohttp.Fingerprint(bridge.cert_sha256)


@contextlib.asynccontextmanager
async def running_bridge(config: BridgeConfig) -> AsyncIterator[Bridge]:
    bridge = start_test_bridge(config)
    await bridge.start()
    try:
        yield bridge
    finally:
        await bridge.stop()


def auth_headers(key: str = API_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def identify(crop_jpeg: bytes) -> str:
    """Which demo person a face crop shows (by SFace cosine similarity), or 'unknown'."""
    detector = FaceDetector(models().detector)
    image = cv2.imdecode(np.frombuffer(crop_jpeg, np.uint8), cv2.IMREAD_COLOR)
    faces = detector.detect(image)
    if not faces:
        return "no_face"
    probe = embedder().embed(image, faces[0])
    best, best_sim = "unknown", 0.363
    for person, name in democlip.PEOPLE.items():
        ref_image = cv2.imread(str(FACES / name))
        ref = embedder().embed(ref_image, detector.detect(ref_image)[0])
        sim = float(np.dot(probe, ref))
        if sim >= best_sim:
            best, best_sim = person, sim
    return best


def bgr_from_jpeg(data: bytes) -> np.ndarray:
    """Decode test JPEG bytes with OpenCV (a fixture's pixels, not the code under test)."""
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def unit_vectors(count: int, seed: int = 0) -> np.ndarray:
    """``count`` random 128-dimensional unit vectors (synthetic embeddings)."""
    vectors = np.random.default_rng(seed).normal(size=(count, 128)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def portrait_scene(person: str = "astronaut", size: tuple[int, int] = (640, 360)) -> np.ndarray:
    """A frame with one fixture face (head and shoulders, face ~40% of the height)."""
    width, height = size
    frame = np.full((height, width, 3), 200, np.uint8)
    image = cv2.imread(str(FACES / democlip.PEOPLE[person]))
    x, y, w, h = democlip.FACE_BOXES[person]
    top, bottom = max(0, y - h // 2), min(image.shape[0], y + h + h // 2)
    left, right = max(0, x - w // 2), min(image.shape[1], x + w + w // 2)
    head = image[top:bottom, left:right]
    scale = (height * 0.9) / head.shape[0]
    head = cv2.resize(head, (round(head.shape[1] * scale), round(head.shape[0] * scale)))
    x0 = (width - head.shape[1]) // 2
    y0 = (height - head.shape[0]) // 2
    frame[y0 : y0 + head.shape[0], x0 : x0 + head.shape[1]] = head
    return frame


class MjpegServer:
    """A loopback MJPEG camera (aiohttp) that can be stopped and started on the same port."""

    def __init__(
        self,
        frames: list[bytes],
        *,
        fps: float = 15.0,
        port: int | None = None,
        content_length: bool = True,
    ) -> None:
        self.frames = frames
        self.fps = fps
        self.port = port  # chosen by the system on the first start unless given
        self.content_length = content_length
        self.connections = 0
        self._runner: web.AppRunner | None = None
        self.snapshot_only = False
        self.status = 200

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the server has no port until it has started")
        return f"http://127.0.0.1:{self.port}/video.mjpeg"

    async def _handler(self, request: web.Request) -> web.StreamResponse:
        self.connections += 1
        if self.status != 200:
            return web.Response(status=self.status, text="nope")
        if self.snapshot_only:
            return web.Response(body=self.frames[0], content_type="image/jpeg")
        response = web.StreamResponse(
            headers={"Content-Type": "multipart/x-mixed-replace; boundary=myboundary"}
        )
        await response.prepare(request)
        index = 0
        try:
            while True:
                data = self.frames[index % len(self.frames)]
                head = b"--myboundary\r\nContent-Type: image/jpeg\r\n"
                if self.content_length:
                    head += f"Content-Length: {len(data)}\r\n".encode()
                await response.write(head + b"\r\n" + data + b"\r\n")
                index += 1
                await asyncio.sleep(1.0 / self.fps)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/video.mjpeg", self._handler)
        runner = web.AppRunner(app, shutdown_timeout=0.5)
        await runner.setup()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port or 0))  # restarts come back on the same port
        self.port = int(sock.getsockname()[1])
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


async def wait_for(
    predicate: Callable[[], bool], within: float = GUARD_S, interval: float = 0.02
) -> bool:
    """Poll ``predicate`` on the event loop until true; False only after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return predicate()


def wait_until(predicate: Callable[[], bool], within: float = GUARD_S) -> bool:
    """Poll ``predicate`` from a plain thread until true; False only after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@dataclass(eq=False, slots=True)
class ClockWait:
    """One :meth:`ControlledClock.wait` in progress."""

    seconds: float
    deadline: float


class ControlledClock:
    """A capture clock (see ``edge_bridge.capture.Clock``) that the test moves by hand.

    Frozen by default: time passes only through :meth:`advance` and :meth:`run_to_next_wait`, so
    pacing, backoff and watchdog decisions happen at exact, repeatable instants whatever the
    machine's load. With ``follow_real_time`` it also runs with real time, and the hand moves
    are fast-forwards on top (a one-minute outage in a fraction of a second); :meth:`pause` and
    :meth:`resume` stop and restart that.
    """

    POLL_S = 0.01  # how often a waiter checks its stop event (waiting only, never measured)

    def __init__(self, start: float = 1000.0, *, follow_real_time: bool = False) -> None:
        self._cond = threading.Condition()
        self._offset = start
        self._real_start = time.monotonic() if follow_real_time else None
        self._waits: list[ClockWait] = []
        self.history: list[float] = []  # the length of every wait ever asked for, in order

    def _now(self) -> float:
        real = 0.0 if self._real_start is None else time.monotonic() - self._real_start
        return self._offset + real

    def monotonic(self) -> float:
        with self._cond:
            return self._now()

    def pause(self) -> None:
        """Stop following real time: from now on only the test moves the clock."""
        with self._cond:
            self._offset = self._now()
            self._real_start = None

    def resume(self) -> None:
        """Follow real time again, from the current reading."""
        with self._cond:
            self._offset = self._now()
            self._real_start = time.monotonic()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        with self._cond:
            entry = ClockWait(seconds, self._now() + seconds)
            self._waits.append(entry)
            self.history.append(seconds)
            self._cond.notify_all()
            try:
                while not stop.is_set() and self._now() < entry.deadline:
                    self._cond.wait(self.POLL_S)
            finally:
                self._waits.remove(entry)
                self._cond.notify_all()
            return stop.is_set()

    def advance(self, seconds: float) -> None:
        """Move the clock forward; waits that are due return."""
        with self._cond:
            self._offset += seconds
            self._cond.notify_all()

    def next_wait(self, within: float = GUARD_S) -> ClockWait:
        """The earliest wait in progress, once there is one."""
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._waits), within):
                raise AssertionError(f"nothing waited on the clock within {within:g} s")
            return min(self._waits, key=lambda w: w.deadline)

    def run_to_next_wait(self, within: float = GUARD_S) -> ClockWait:
        """Jump to the end of the earliest wait in progress and let it return."""
        with self._cond:
            entry = self.next_wait(within)
            self._offset += max(0.0, entry.deadline - self._now())
            self._cond.notify_all()
            if not self._cond.wait_for(lambda: entry not in self._waits, within):
                raise AssertionError(f"a due wait did not return within {within:g} s")
            return entry


async def request_pairing(
    bridge: Bridge,
    secret: bytes,
    *,
    seen_sha256: bytes | None = None,
    name: str = "Home Assistant",
    source: str | None = None,
) -> tuple[int, dict[str, Any], str]:
    """Send a pairing request proving ``secret`` over the certificate ``seen_sha256`` (default:
    the bridge's own), from the loopback address ``source`` (default: 127.0.0.1); return the
    status, the JSON answer and the nonce used."""
    nonce = new_nonce()
    body = PairRequest(name, nonce, client_proof(secret, seen_sha256 or bridge.cert_sha256, nonce))
    connector = aiohttp.TCPConnector(local_addr=(source, 0)) if source else None
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(
            f"https://127.0.0.1:{bridge.api_port}{PAIR_PATH}",
            json=body.to_wire(),
            ssl=pinned(bridge),
        ) as response,
    ):
        return response.status, await response.json(), nonce
