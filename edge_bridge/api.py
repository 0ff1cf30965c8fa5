"""The bridge API (aiohttp): cameras, snapshots, MJPEG, live face events, health, metrics.

Every route, including unknown ones, needs ``Authorization: Bearer <API token>`` of a paired
client, except pairing itself (``pairing_api``); a refusal is HTTP 401 with a JSON body
``{"error": "unauthorized", "message": ...}``. The API is served over TLS (``tls``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
from dataclasses import dataclass, field
import json
import logging
import time
from typing import Any, Protocol

from aiohttp import WSMsgType, web
import cv2
import numpy as np

from .auth import BridgeAccess, auth_middleware
from .capture import Camera
from .events import EventHub
from .footage import FootageRecorder
from .metrics import BridgeFigures, CameraFigures, render_metrics
from .model_files import ModelFiles
from .pairing_api import add_pairing_routes
from .pipeline import CameraUnit
from .protocol import (
    API_PREFIX,
    HELLO_TYPE,
    BridgeCamera,
    BridgeInfo,
    footage_frame_path,
    footage_path,
)
from .settings import BridgeConfig
from .version import BRIDGE_VERSION

_LOGGER = logging.getLogger(__name__)

API = API_PREFIX
SNAPSHOT_JPEG_QUALITY = 85
STREAM_JPEG_QUALITY = 75
WS_HEARTBEAT_S = 30.0
MIN_WIDTH, MAX_WIDTH = 32, 3840


class BridgeView(Protocol):
    """What the API reads from the running bridge (``runtime.Bridge`` is one)."""

    @property
    def config(self) -> BridgeConfig: ...

    @property
    def models(self) -> ModelFiles: ...

    @property
    def access(self) -> BridgeAccess: ...

    @property
    def cert_sha256(self) -> bytes: ...

    @property
    def units(self) -> Mapping[str, CameraUnit]: ...

    @property
    def hub(self) -> EventHub | None: ...

    @property
    def started_at(self) -> float: ...

    @property
    def engine_port(self) -> int | None: ...

    @property
    def footage(self) -> FootageRecorder | None: ...


@dataclass(slots=True)
class ApiState:
    """Per-application state."""

    bridge: BridgeView
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    websockets: set[web.WebSocketResponse] = field(default_factory=set)
    streams: int = 0


STATE = web.AppKey("bridge_api_state", ApiState)


def create_bridge_app(bridge: BridgeView) -> web.Application:
    """The bridge API application for a (starting) bridge."""
    app = web.Application(middlewares=[_errors_middleware, auth_middleware(bridge.access.registry)])
    app[STATE] = ApiState(bridge)
    add_pairing_routes(app, bridge.access, bridge.config.bridge_id, bridge.cert_sha256)
    app.router.add_get(f"{API}/info", info)
    app.router.add_get(f"{API}/cameras", cameras)
    app.router.add_get(f"{API}/cameras/{{camera_id}}/snapshot.jpg", snapshot)
    app.router.add_get(f"{API}/cameras/{{camera_id}}/stream.mjpeg", stream)
    app.router.add_get(footage_path("{camera_id}"), footage_list)
    app.router.add_get(footage_frame_path("{camera_id}", "{timestamp}"), footage_frame)
    app.router.add_get(f"{API}/events", events)
    app.router.add_get(f"{API}/health", health)
    app.router.add_get("/metrics", metrics)
    app.on_shutdown.append(_on_shutdown)
    return app


def _error(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)


@web.middleware
async def _errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """JSON bodies for 404/405 and other HTTP errors, like every other answer."""
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        return _error(err.status, err.reason.lower().replace(" ", "_"), err.text or err.reason)
    return response


async def _on_shutdown(app: web.Application) -> None:
    state = app[STATE]
    state.closing.set()
    for ws in list(state.websockets):
        await ws.close(code=1001, message=b"bridge shutting down")


def _state(request: web.Request) -> ApiState:
    return request.app[STATE]


def _camera(request: web.Request) -> Camera:
    camera_id = request.match_info["camera_id"]
    unit = _state(request).bridge.units.get(camera_id)
    if unit is None:
        raise web.HTTPNotFound(text=f"no camera {camera_id!r}")
    return unit.camera


def _width(request: web.Request) -> int | None:
    text = request.query.get("width")
    if text is None:
        return None
    if not text.isdigit() or not MIN_WIDTH <= int(text) <= MAX_WIDTH:
        raise web.HTTPBadRequest(text=f"width must be a whole number {MIN_WIDTH}-{MAX_WIDTH}")
    return int(text)


def encode_jpeg(image: np.ndarray, width: int | None, quality: int) -> bytes:
    """JPEG-encode a frame, downscaled to ``width`` if it is wider."""
    if width is not None and image.shape[1] > width:
        height = max(1, round(image.shape[0] * width / image.shape[1]))
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()


# --------------------------------------------------------------------------- descriptions


def camera_status(bridge: BridgeView, camera_id: str) -> dict[str, Any]:
    unit = bridge.units[camera_id]
    stats = unit.camera.stats()
    now = time.time()
    return {
        "state": stats.state,
        "connected": stats.connected,
        "connected_since": stats.connected_since,
        "last_frame_at": stats.last_frame_at,
        "last_frame_age_s": (
            None if stats.last_frame_at is None else round(now - stats.last_frame_at, 3)
        ),
        "width": stats.width,
        "height": stats.height,
        "frames_in": stats.frames_in,
        "frames_analysed": stats.frames_analysed,
        "frames_dropped": stats.frames_dropped,
        "frames_skipped": stats.frames_skipped,
        "reconnects": stats.reconnects,
        "stalls": stats.stalls,
        "bad_inputs": unit.camera.bad_inputs.snapshot(),
        "last_error": stats.last_error,
    }


def _wire_camera(bridge: BridgeView, camera_id: str) -> BridgeCamera:
    """A camera as the wire contract describes it."""
    described = bridge.units[camera_id].camera.describe()
    return BridgeCamera(
        camera_id=camera_id,
        name=described["name"] or camera_id,
        location=described["location"],
        connected=bool(camera_status(bridge, camera_id)["connected"]),
    )


def _camera_entry(bridge: BridgeView, camera_id: str) -> dict[str, Any]:
    status = camera_status(bridge, camera_id)
    return {
        **bridge.units[camera_id].camera.describe(),
        **_wire_camera(bridge, camera_id).to_wire(),
        "state": status["state"],
        "width": status["width"],
        "height": status["height"],
    }


# --------------------------------------------------------------------------- handlers


async def info(request: web.Request) -> web.Response:
    bridge = _state(request).bridge
    wire = BridgeInfo(
        bridge_id=bridge.config.bridge_id,
        version=BRIDGE_VERSION,
        cameras=tuple(_wire_camera(bridge, cid) for cid in bridge.units),
        engine_port=bridge.engine_port if bridge.config.engine.enabled else None,
    ).to_wire()
    return web.json_response(
        {
            **wire,
            "started_at": bridge.started_at,
            "cameras": [_camera_entry(bridge, cid) for cid in bridge.units],
            "engine": {**wire["engine"], "region": bridge.config.engine.region},
            "models": {
                "detector_sha256": bridge.models.detector_sha256,
                "recognizer_sha256": bridge.models.recognizer_sha256,
            },
        }
    )


async def cameras(request: web.Request) -> web.Response:
    bridge = _state(request).bridge
    return web.json_response({"cameras": [_camera_entry(bridge, cid) for cid in bridge.units]})


async def snapshot(request: web.Request) -> web.Response:
    camera = _camera(request)
    width = _width(request)
    frame = camera.latest_frame()
    if frame is None:
        return _error(503, "no_frame", f"camera {camera.id!r} has not delivered a frame yet")
    loop = asyncio.get_running_loop()
    data = await loop.run_in_executor(None, encode_jpeg, frame.image, width, SNAPSHOT_JPEG_QUALITY)
    return web.Response(
        body=data,
        content_type="image/jpeg",
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Captured-At": f"{frame.captured_at:.3f}",
        },
    )


def _footage(request: web.Request) -> tuple[FootageRecorder, Camera]:
    camera = _camera(request)
    recorder = _state(request).bridge.footage
    if recorder is None:
        raise web.HTTPNotFound(text="the footage buffer is off (footage.minutes is 0)")
    return recorder, camera


def _epoch(request: web.Request, name: str, default: float | None = None) -> float:
    text = request.query.get(name)
    if text is None and default is not None:
        return default
    try:
        value = float(text or "")
    except ValueError:
        value = float("nan")
    if not 0.0 <= value < 1e11:  # also refuses NaN
        raise web.HTTPBadRequest(text=f"{name} must be a number of seconds")
    return value


async def footage_list(request: web.Request) -> web.Response:
    """The capture times of a camera's recorded frames within ``span`` s of ``around``."""
    recorder, camera = _footage(request)
    around = _epoch(request, "around")
    span = _epoch(request, "span", 30.0)
    loop = asyncio.get_running_loop()
    stamps = await loop.run_in_executor(None, recorder.timestamps, camera.id, around, span)
    return web.json_response(
        {
            "camera_id": camera.id,
            "timestamps": stamps,
            "retention_minutes": recorder.settings.minutes,
        },
        headers={"Cache-Control": "no-store"},
    )


async def footage_frame(request: web.Request) -> web.Response:
    """One recorded frame, decrypted."""
    recorder, camera = _footage(request)
    text = request.match_info["timestamp"]
    try:
        timestamp = float(text)
    except ValueError:
        raise web.HTTPBadRequest(text="the frame's name must be its epoch seconds") from None
    loop = asyncio.get_running_loop()
    data = await loop.run_in_executor(None, recorder.frame, camera.id, timestamp)
    if data is None:
        return _error(404, "no_frame", f"no recorded frame of {camera.id!r} at {text}")
    return web.Response(
        body=data,
        content_type="image/jpeg",
        headers={"Cache-Control": "no-store", "X-Frame-Captured-At": text},
    )


async def stream(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    camera = _camera(request)
    width = _width(request)
    max_fps = state.bridge.config.api.stream_fps
    fps_text = request.query.get("fps")
    fps = max_fps
    if fps_text is not None:
        try:
            fps = float(fps_text)
        except ValueError:
            fps = -1.0
        if not 0.0 < fps <= max_fps:
            raise web.HTTPBadRequest(text=f"fps must be a number above 0 and at most {max_fps:g}")
    response = web.StreamResponse(
        headers={
            "Content-Type": "multipart/x-mixed-replace; boundary=frame",
            "Cache-Control": "no-store",
            "Pragma": "no-cache",
        }
    )
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    interval = 1.0 / fps
    last_seq = -1
    state.streams += 1
    try:
        while not state.closing.is_set():
            frame = camera.latest_frame()
            if frame is not None and frame.seq != last_seq:
                last_seq = frame.seq
                data = await loop.run_in_executor(
                    None, encode_jpeg, frame.image, width, STREAM_JPEG_QUALITY
                )
                head = (
                    b"--frame\r\nContent-Type: image/jpeg\r\n"
                    b"Content-Length: " + str(len(data)).encode() + b"\r\n\r\n"
                )
                await response.write(head + data + b"\r\n")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.closing.wait(), interval)
    except ConnectionError:
        pass  # the client went away
    finally:
        state.streams -= 1
    return response


async def events(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    hub = state.bridge.hub
    if hub is None:
        return _error(503, "not_ready", "the bridge is starting")
    since: float | None = None
    if "since" in request.query:
        try:
            since = float(request.query["since"])
        except ValueError:
            return _error(400, "bad_request", "since must be epoch seconds")
    ws = web.WebSocketResponse(heartbeat=WS_HEARTBEAT_S)
    await ws.prepare(request)
    subscription = hub.subscribe(since)
    state.websockets.add(ws)
    bridge = state.bridge
    await ws.send_json(
        {
            "type": HELLO_TYPE,
            "bridge_id": bridge.config.bridge_id,
            "version": BRIDGE_VERSION,
            "cameras": list(bridge.units),
        }
    )
    incoming = asyncio.ensure_future(_read_client(ws))
    try:
        while not ws.closed:
            outgoing = asyncio.ensure_future(subscription.queue.get())
            done, _ = await asyncio.wait({outgoing, incoming}, return_when=asyncio.FIRST_COMPLETED)
            if outgoing not in done:
                outgoing.cancel()
                break
            await ws.send_str(json.dumps(outgoing.result().to_wire()))
    except ConnectionError:
        pass  # the client went away
    finally:
        incoming.cancel()
        hub.unsubscribe(subscription)
        state.websockets.discard(ws)
        await ws.close()
    return ws


async def _read_client(ws: web.WebSocketResponse) -> None:
    """Answer pings from the client; return when it goes away."""
    async for message in ws:
        if message.type == WSMsgType.TEXT and message.data.strip() == "ping":
            await ws.send_str('{"type": "pong"}')
        elif message.type == WSMsgType.ERROR:
            break


async def health(request: web.Request) -> web.Response:
    state = _state(request)
    bridge = state.bridge
    statuses = {cid: camera_status(bridge, cid) for cid in bridge.units}
    healthy = all(s["connected"] or s["state"] == "ended" for s in statuses.values())
    overall = "ok" if healthy else "degraded"
    return web.json_response(
        {
            "status": overall,
            "bridge_id": bridge.config.bridge_id,
            "version": BRIDGE_VERSION,
            "uptime_s": round(time.time() - bridge.started_at, 3),
            "cameras": statuses,
            "engine": {"enabled": bridge.config.engine.enabled, "port": bridge.engine_port},
            "ws_clients": len(state.websockets),
        }
    )


def camera_figures(unit: CameraUnit) -> CameraFigures:
    """One camera's counters for /metrics."""
    stats = unit.camera.stats()
    pipeline = unit.pipeline.stats
    return CameraFigures(
        connected=stats.connected,
        frames_in=stats.frames_in,
        frames_analysed=stats.frames_analysed,
        frames_dropped=stats.frames_dropped,
        frames_skipped=stats.frames_skipped,
        reconnects=stats.reconnects,
        stalls=stats.stalls,
        last_frame_at=stats.last_frame_at,
        bad_inputs=unit.camera.bad_inputs.snapshot(),
        faces=pipeline.faces,
        detect_seconds=pipeline.detect_seconds,
        detect_frames=pipeline.frames,
        tracks_started=pipeline.tracks_started,
        events=pipeline.events,
        suppressed_same_visit=pipeline.suppressed_same_visit,
        tracks_without_event=pipeline.tracks_without_event,
        embed_errors=pipeline.embed_errors,
    )


def bridge_figures(state: ApiState) -> BridgeFigures:
    """Everything /metrics reports, read now."""
    bridge = state.bridge
    return BridgeFigures(
        bridge_id=bridge.config.bridge_id,
        started_at=bridge.started_at,
        cameras={cid: camera_figures(unit) for cid, unit in bridge.units.items()},
        ws_clients=len(state.websockets),
        streams=state.streams,
        ws_events_dropped=bridge.hub.dropped_for_slow_clients if bridge.hub is not None else 0,
        footage=bridge.footage.figures() if bridge.footage is not None else None,
    )


async def metrics(request: web.Request) -> web.Response:
    text = render_metrics(bridge_figures(_state(request)))
    return web.Response(
        body=text.encode("utf-8"),
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )
