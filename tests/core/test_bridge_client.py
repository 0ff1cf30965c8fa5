"""The bridge client against small local servers: over its pinned TLS certificate, pairing by
code (and by a pre-TLS bridge's old key), rotation and revocation, and the errors of servers that
misbehave or are not the bridge."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import json
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, WSMsgType, web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.smartshop import bridge_client
from custom_components.smartshop.bridge_client import (
    BridgeAuthError,
    BridgeCertificateError,
    BridgeClient,
    BridgeConnectionError,
    BridgeNotTLSError,
    PairingRateLimitedError,
    PairingRefusedError,
    fetch_certificate,
    pair,
)
from custom_components.smartshop.bridge_protocol import (
    CREDENTIALS_PATH,
    PAIR_PATH,
    ROTATE_PATH,
    FaceEvent,
    PairedCredentials,
    PairingCode,
    PairRequest,
    PairResponse,
    bridge_proof,
    client_proof,
    legacy_engine_access_key_id,
    proofs_equal,
)
from edge_bridge.tls import BridgeCertificate, load_or_create_certificate
from tests.face_events import face_event

pytestmark = pytest.mark.usefixtures("socket_enabled")

GOOD_EVENT = face_event(event_id="e1", camera_id="door", track_id=3).to_wire()
CREDENTIALS = PairedCredentials("client-1", "token-1", "SSKENGINE1", "engine-secret-1")

type Serve = Callable[..., Awaitable[BridgeClient]]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> BridgeCertificate:
    """The served certificate, made as a bridge makes its own."""
    return load_or_create_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def other_certificate(tmp_path_factory: pytest.TempPathFactory) -> BridgeCertificate:
    """Another device's certificate."""
    return load_or_create_certificate(tmp_path_factory.mktemp("other-tls"))


@pytest.fixture
async def session() -> AsyncIterator[ClientSession]:
    async with ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def serve(session: ClientSession, certificate: BridgeCertificate) -> AsyncIterator[Serve]:
    """Start an aiohttp app on loopback over TLS; yields a function returning a client pinned
    to ``pin`` (the served certificate by default; ``tls=False`` serves plain HTTP to a client
    in legacy mode)."""
    servers: list[TestServer] = []

    async def start(
        app: web.Application, *, tls: bool = True, pin: bytes | None = None
    ) -> BridgeClient:
        server = TestServer(app, host="127.0.0.1")
        await server.start_server(ssl=certificate.server_context() if tls else None)
        servers.append(server)
        pinned = (pin or certificate.sha256) if tls else None
        return BridgeClient(session, "127.0.0.1", int(server.port or 0), "key", pinned)

    yield start
    for server in servers:
        await server.close()


async def test_http_errors(serve: Serve) -> None:
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


async def test_unreachable(session: ClientSession) -> None:
    """Nothing listening: a connection error for every call."""
    client = BridgeClient(session, "127.0.0.1", 9, "key", bytes(32))
    with pytest.raises(BridgeConnectionError):
        await client.info()
    with pytest.raises(BridgeConnectionError):
        await client.open_stream("door")
    with pytest.raises(BridgeConnectionError):
        async for _ in client.face_events():
            pass
    with pytest.raises(BridgeConnectionError):
        await fetch_certificate("127.0.0.1", 9)
    assert BridgeClient(session, "::1", 8765, "k", bytes(32)).base_url == "https://[::1]:8765"
    # Legacy mode: a bridge before TLS, reached over plain HTTP with its shared key.
    legacy = BridgeClient(session, "::1", 8765, "k", None)
    assert (legacy.base_url, legacy.legacy) == ("http://[::1]:8765", True)


async def test_event_stream(serve: Serve) -> None:
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


def test_legacy_engine_key_id() -> None:
    """The engine key id of a pairing from before TLS, whose secret was the shared key (the
    bridge loads the same contract: tests/edge_bridge/test_protocol.py)."""
    assert legacy_engine_access_key_id("shop-1") == "bridge-shop-1"


async def test_silent_event_stream_is_pinged_then_dropped(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
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


def _info_app(seen: list[str]) -> web.Application:
    """/info, the event stream and a snapshot; ``seen`` records every request that arrives."""

    async def info(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({"bridge_id": "b", "cameras": []})

    app = web.Application()
    app.router.add_get("/api/v1/info", info)
    app.router.add_get("/api/v1/events", info)
    app.router.add_get("/api/v1/cameras/door/stream.mjpeg", info)
    return app


async def test_pinned_certificate(serve: Serve, other_certificate: BridgeCertificate) -> None:
    """Pinned to its certificate the bridge answers over HTTPS; pinned to another, every call
    and the event stream fail with a certificate error before any request is sent."""
    seen: list[str] = []
    client = await serve(_info_app(seen))
    assert client.base_url.startswith("https://")
    assert (await client.info()).bridge_id == "b"
    assert seen == ["Bearer key"]

    seen.clear()
    impostor = await serve(_info_app(seen), pin=other_certificate.sha256)
    with pytest.raises(BridgeCertificateError):
        await impostor.info()
    with pytest.raises(BridgeCertificateError):
        await impostor.open_stream("door")
    with pytest.raises(BridgeCertificateError):
        async for _ in impostor.face_events():
            pass
    assert seen == []


async def test_plain_http_client_in_legacy_mode(serve: Serve) -> None:
    """A bridge from before TLS is still reached in legacy mode (plain HTTP, shared key)."""
    seen: list[str] = []
    client = await serve(_info_app(seen), tls=False)
    assert (await client.info()).bridge_id == "b"
    assert seen == ["Bearer key"]


async def _listen(handler: Callable[..., Awaitable[None]]) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, int(server.sockets[0].getsockname()[1])


async def test_fetch_certificate(serve: Serve, certificate: BridgeCertificate) -> None:
    """The certificate is read without trusting it; a plain-HTTP bridge is told apart from a
    port that speaks neither TLS nor HTTP."""
    client = await serve(_info_app([]))
    assert await fetch_certificate(client.host, client.port) == certificate.der

    old = await serve(_info_app([]), tls=False)
    with pytest.raises(BridgeNotTLSError):
        await fetch_certificate(old.host, old.port)

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        writer.close()

    server, port = await _listen(hang_up)
    async with server:
        with pytest.raises(BridgeConnectionError) as caught:
            await fetch_certificate("127.0.0.1", port)
    assert not isinstance(caught.value, BridgeNotTLSError)


class PairingApp:
    """The bridge's pairing endpoint, answering as each test needs."""

    def __init__(self, certificate: BridgeCertificate, secret: bytes) -> None:
        self.pin = certificate.sha256
        self.secret = secret
        self.requests: list[PairRequest] = []
        self.status = 200
        self.answer: Any = None  # instead of a real pairing answer
        self.proof_secret = secret  # what the bridge's proof is made with
        self.app = web.Application()
        self.app.router.add_post(PAIR_PATH, self._pair)

    async def _pair(self, request: web.Request) -> web.StreamResponse:
        pair_request = PairRequest.from_wire(await request.json())
        self.requests.append(pair_request)
        if self.status != 200:
            return web.json_response({"error": "x", "message": "refused"}, status=self.status)
        if self.answer is not None:
            return web.Response(text=self.answer, content_type="application/json")
        expected = client_proof(self.secret, self.pin, pair_request.nonce)
        if not proofs_equal(pair_request.proof, expected):
            return web.json_response({"error": "unauthorized"}, status=401)
        proof = bridge_proof(self.proof_secret, self.pin, pair_request.nonce, CREDENTIALS)
        return web.json_response(PairResponse("bridge-1", CREDENTIALS, proof).to_wire())


async def test_pair_with_a_code(
    serve: Serve,
    session: ClientSession,
    certificate: BridgeCertificate,
    other_certificate: BridgeCertificate,
) -> None:
    """The typed code pairs: the proof is bound to the certificate seen, the bridge's proof is
    checked, and the pin comes back. A code of another certificate sends nothing."""
    code = PairingCode.new(certificate.sha256)
    bridge = PairingApp(certificate, code.secret)
    client = await serve(bridge.app)
    host, port = client.host, client.port

    result = await pair(session, host, port, code.secret, client_name="HA", expected=code)
    assert (result.bridge_id, result.credentials, result.cert_sha256) == (
        "bridge-1",
        CREDENTIALS,
        certificate.sha256,
    )
    assert [r.client_name for r in bridge.requests] == ["HA"]

    foreign = PairingCode.new(other_certificate.sha256)
    with pytest.raises(BridgeCertificateError):
        await pair(session, host, port, foreign.secret, client_name="HA", expected=foreign)
    assert len(bridge.requests) == 1, "nothing was sent to a device the code does not name"


async def test_pair_with_a_legacy_key(
    serve: Serve, session: ClientSession, certificate: BridgeCertificate
) -> None:
    """A pre-TLS bridge's old key pairs without a code: the proofs authenticate both sides. A
    device that answers without knowing the key (wrong proof) is refused."""
    legacy = b"pairing-key-7Hq2xVb9LmZ4"
    bridge = PairingApp(certificate, legacy)
    client = await serve(bridge.app)
    result = await pair(session, client.host, client.port, legacy, client_name="HA", expected=None)
    assert result.credentials == CREDENTIALS

    bridge.proof_secret = b"an impostor does not know the key"
    with pytest.raises(BridgeCertificateError, match="prove"):
        await pair(session, client.host, client.port, legacy, client_name="HA", expected=None)


@pytest.mark.parametrize(
    ("status", "answer", "error"),
    [
        (401, None, PairingRefusedError),
        (429, None, PairingRateLimitedError),
        (400, None, BridgeConnectionError),
        (200, "<html>router</html>", BridgeConnectionError),
        (200, json.dumps({"bridge_id": "b", "proof": "0"}), BridgeConnectionError),
    ],
)
async def test_pair_refused_or_nonsense(
    serve: Serve,
    session: ClientSession,
    certificate: BridgeCertificate,
    status: int,
    answer: str | None,
    error: type[Exception],
) -> None:
    """A refused code, too many attempts, a malformed request and answers that are not a
    pairing answer are each their own error."""
    code = PairingCode.new(certificate.sha256)
    bridge = PairingApp(certificate, code.secret)
    bridge.status, bridge.answer = status, answer
    client = await serve(bridge.app)
    with pytest.raises(error):
        await pair(session, client.host, client.port, code.secret, client_name="HA", expected=code)


async def test_pair_with_a_plain_http_bridge(serve: Serve, session: ClientSession) -> None:
    """A bridge from before TLS cannot pair by code: it must be updated."""
    client = await serve(_info_app([]), tls=False)
    code = PairingCode.new(bytes(32))
    with pytest.raises(BridgeNotTLSError):
        await pair(session, client.host, client.port, code.secret, client_name="HA", expected=code)


async def test_rotate_and_revoke(serve: Serve) -> None:
    """Rotation returns the new credentials; revocation is a DELETE of the caller's own; a
    refused token and a nonsense answer are errors."""
    calls: list[tuple[str, str]] = []
    rotated = PairedCredentials("client-1", "token-2", "SSKENGINE2", "engine-secret-2")

    async def rotate(request: web.Request) -> web.Response:
        calls.append((request.method, request.headers["Authorization"]))
        return web.json_response({"credentials": rotated.to_wire()})

    async def revoke(request: web.Request) -> web.Response:
        calls.append((request.method, request.headers["Authorization"]))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post(ROTATE_PATH, rotate)
    app.router.add_delete(CREDENTIALS_PATH, revoke)
    client = await serve(app)
    assert await client.rotate() == rotated
    await client.revoke()
    assert calls == [("POST", "Bearer key"), ("DELETE", "Bearer key")]

    async def nonsense(_: web.Request) -> web.Response:
        return web.json_response({"credentials": {"client_id": "c"}})

    async def refused(_: web.Request) -> web.Response:
        return web.json_response({"error": "unauthorized"}, status=401)

    app = web.Application()
    app.router.add_post(ROTATE_PATH, nonsense)
    app.router.add_delete(CREDENTIALS_PATH, refused)
    client = await serve(app)
    with pytest.raises(BridgeConnectionError):
        await client.rotate()
    with pytest.raises(BridgeAuthError):
        await client.revoke()


def test_no_secret_in_reprs(tmp_path: Path) -> None:
    """Neither a client nor credentials nor a code show a secret when printed or logged."""
    code = PairingCode.new(bytes(32))
    assert code.secret.hex() not in repr(code)
    assert "token-1" not in repr(CREDENTIALS)
    assert "engine-secret-1" not in repr(CREDENTIALS)
