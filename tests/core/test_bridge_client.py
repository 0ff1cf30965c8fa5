"""The bridge client's error handling, against small local HTTP servers that misbehave."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
import json

from aiohttp import ClientSession, WSMsgType, web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.smartshop import bridge_client
from custom_components.smartshop.bridge_client import (
    BridgeAuthError,
    BridgeClient,
    BridgeConnectionError,
)
from custom_components.smartshop.bridge_protocol import FaceEvent, engine_access_key_id
from tests.face_events import face_event

pytestmark = pytest.mark.usefixtures("socket_enabled")

GOOD_EVENT = face_event(event_id="e1", camera_id="door", track_id=3).to_wire()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[web.Application], object]]:
    """Start an aiohttp app on loopback; yields a function returning (client, session)."""
    servers: list[TestServer] = []
    sessions: list[ClientSession] = []

    async def start(app: web.Application) -> BridgeClient:
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        session = ClientSession()
        sessions.append(session)
        return BridgeClient(session, "127.0.0.1", server.port, "key")

    yield start
    for session in sessions:
        await session.close()
    for server in servers:
        await server.close()


async def test_http_errors(serve) -> None:
    """401 is an auth error; 5xx and non-JSON answers are connection errors."""

    async def unauthorized(_: web.Request) -> web.Response:
        return web.json_response({"error": "unauthorized"}, status=401)

    async def broken(_: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    async def html(_: web.Request) -> web.Response:
        return web.Response(text="<html>router login</html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/api/v1/info", html)
    app.router.add_get("/api/v1/cameras/door/snapshot.jpg", broken)
    app.router.add_get("/api/v1/cameras/door/stream.mjpeg", unauthorized)
    app.router.add_get("/api/v1/cameras/other/stream.mjpeg", broken)
    app.router.add_get("/api/v1/events", unauthorized)
    client = await serve(app)
    assert "key" not in repr(client)
    with pytest.raises(BridgeConnectionError, match="not a SmartShop bridge"):
        await client.info()
    with pytest.raises(BridgeConnectionError, match="HTTP 500"):
        await client.snapshot("door", width=320)
    with pytest.raises(BridgeAuthError):
        await client.open_stream("door")
    with pytest.raises(BridgeConnectionError, match="HTTP 500"):
        await client.open_stream("other")
    with pytest.raises(BridgeAuthError):
        async for _ in client.face_events():
            pass


async def test_unreachable() -> None:
    """Nothing listening: a connection error for every call."""
    async with ClientSession() as session:
        client = BridgeClient(session, "127.0.0.1", 9, "key")
        with pytest.raises(BridgeConnectionError):
            await client.info()
        with pytest.raises(BridgeConnectionError):
            await client.open_stream("door")
        with pytest.raises(BridgeConnectionError):
            async for _ in client.face_events():
                pass
    assert BridgeClient(session, "::1", 8765, "k").base_url == "http://[::1]:8765"


async def test_event_stream(serve) -> None:
    """Malformed events are skipped, good ones delivered, and the end of the stream is an error."""

    async def events(request: web.Request) -> web.WebSocketResponse:
        assert request.query.get("since") == "5.000"
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"type": "hello"}))
        await ws.send_str(json.dumps({"type": "face", "event_id": "bad"}))
        await ws.send_str(json.dumps(GOOD_EVENT))
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/api/v1/events", events)
    client = await serve(app)
    connected: list[bool] = []
    received: list[FaceEvent] = []
    with pytest.raises(BridgeConnectionError, match="closed"):
        async for event in client.face_events(
            since=5.0, on_connected=lambda: connected.append(True)
        ):
            received.append(event)
    assert connected == [True]
    assert [(e.event_id, e.camera_id, e.crop_jpeg[:2]) for e in received] == [
        ("e1", "door", b"\xff\xd8")
    ]
    assert WSMsgType.TEXT  # the client only accepts text frames


def test_engine_key_id() -> None:
    """The engine key id that pairs with the bridge key (the bridge loads the same contract:
    tests/edge_bridge/test_protocol.py)."""
    assert engine_access_key_id("shop-1") == "bridge-shop-1"


async def test_silent_event_stream_is_pinged_then_dropped(serve, monkeypatch) -> None:
    """A stream that goes quiet is asked with a "ping"; quiet again, it ends as a connection
    error (the client keeps no WebSocket heartbeat timers of its own)."""
    monkeypatch.setattr(bridge_client, "WS_IDLE_S", 0.05)
    received: list[str] = []

    async def events(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:  # never answers
            received.append(message.data)
        return ws

    app = web.Application()
    app.router.add_get("/api/v1/events", events)
    client = await serve(app)
    with pytest.raises(BridgeConnectionError, match="went silent"):
        async for _ in client.face_events():
            pass
    assert received == ["ping"]
