"""One device on the shop LAN cannot knock the bridge over: each test reproduces a finding.

Loopback only, ports chosen by the OS; waits are for events (a socket closing, an answer) with
generous guards, never for time to pass. Finding numbers refer to the hardening issue:
3 memory before authentication, 4 connections and timeouts, 5 decode memory, 6 log
amplification, 8 file modes, 9 replay, 10 disk full.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
import contextlib
from datetime import UTC, datetime, timedelta
import http.client
import io
import json
import logging
import os
from pathlib import Path
import resource
import selectors
import socket
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit
import uuid

from aiohttp import web
from botocore.exceptions import ClientError
import cv2
import numpy as np
from PIL import Image
import pytest

from edge_bridge.engine import EngineConfig, EngineThread
from edge_bridge.engine.operations import EngineLimits
from edge_bridge.engine.replay import REPLAY_MESSAGE, ReplayGuard
from edge_bridge.engine.store import DB_FILE
from edge_bridge.image_decoder import decode_reduced
from edge_bridge.log_throttle import LogThrottle
from edge_bridge.metrics import REFUSALS
from edge_bridge.server_guard import (
    ServerLimits,
    guarded_runner,
    install_loop_guards,
    loop_exception_handler,
    raise_nofile_limit,
)
from tests.edge_bridge.conftest import (
    ENGINE_ACCESS_KEY,
    ENGINE_SECRET_KEY,
    EngineEndpoint,
    rekognition_client,
)
from tests.edge_bridge.helpers_bridge import GUARD_S
from tests.edge_bridge.test_engine_http_api import JSON_TYPE, send, signed_headers

MB = 1024 * 1024
SEARCH = "RekognitionService.SearchFacesByImage"
INDEX = "RekognitionService.IndexFaces"
CREATE = "RekognitionService.CreateCollection"


# --------------------------------------------------------------------------- helpers


def _status_kb(field: str, pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field}")  # pragma: no cover


def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size (of this process by default: in-process engines run in it)."""
    return _status_kb("VmRSS", pid)


def peak_rss_bytes(pid: int | str = "self") -> int:
    """Peak resident set size since start or the last :func:`reset_peak_rss`."""
    return _status_kb("VmHWM", pid)


def reset_peak_rss(pid: int | str = "self") -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


_ENGINE_PROCESS = """
import sys
from pathlib import Path
from edge_bridge.engine import EngineConfig, EngineThread
config = EngineConfig(
    data_dir=Path(sys.argv[1]), credentials={sys.argv[2]: sys.argv[3]}, region="us-east-1",
    **({"workers": int(sys.argv[4])} if len(sys.argv) > 4 else {}),
)
with EngineThread(config) as engine:
    print(engine.endpoint_url, flush=True)
    sys.stdin.read()
"""


@contextlib.contextmanager
def engine_process(data_dir: Path) -> Iterator[tuple[EngineEndpoint, int]]:
    """An engine in its own process (to measure its memory alone): (endpoint, pid)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _ENGINE_PROCESS,
            str(data_dir),
            ENGINE_ACCESS_KEY,
            ENGINE_SECRET_KEY,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http"), "the engine process did not start"
        yield EngineEndpoint(url, ENGINE_ACCESS_KEY, ENGINE_SECRET_KEY), process.pid
    finally:
        process.stdin.close()
        process.wait(GUARD_S)


def endpoint_of(server: EngineThread) -> EngineEndpoint:
    return EngineEndpoint(server.endpoint_url, ENGINE_ACCESS_KEY, ENGINE_SECRET_KEY)


def connect(url: str, source: str | None = None) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection(
        (parts.hostname or "127.0.0.1", parts.port),
        timeout=GUARD_S,
        source_address=(source, 0) if source else None,
    )


def closed_ones(sockets: list[socket.socket], count: int) -> list[socket.socket]:
    """Wait until ``count`` of ``sockets`` are closed by the server; return them."""
    selector = selectors.DefaultSelector()
    for sock in sockets:
        selector.register(sock, selectors.EVENT_READ)
    closed: list[socket.socket] = []
    while len(closed) < count:
        events = selector.select(GUARD_S)
        assert events, "connections over the cap were not closed"
        for key, _ in events:
            ready = key.fileobj
            assert isinstance(ready, socket.socket)
            selector.unregister(ready)
            assert wait_closed(ready)
            closed.append(ready)
    selector.close()
    return closed


def assert_served(sock: socket.socket) -> None:
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    status, body = read_response(sock)
    assert (status, body["__type"]) == (403, "MissingAuthenticationTokenException")


def read_response(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    payload = response.read()
    return response.status, (json.loads(payload) if payload else {})


def wait_closed(sock: socket.socket) -> bool:
    """Block until the peer closes (True) or sends something (False); guarded."""
    try:
        data = sock.recv(65536)
    except ConnectionResetError:
        return True
    return data == b""


def head(target: str, length: int, authorization: str | None = None) -> bytes:
    lines = [
        "POST / HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Type: {JSON_TYPE}",
        f"X-Amz-Target: {target}",
        f"X-Amz-Date: {datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}",
        f"Content-Length: {length}",
    ]
    if authorization is not None:
        lines.append(f"Authorization: {authorization}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def known_key_authorization() -> str:
    """Headers that pass every check but the signature (which needs the body)."""
    day = datetime.now(UTC).strftime("%Y%m%d")
    return (
        f"AWS4-HMAC-SHA256 Credential={ENGINE_ACCESS_KEY}/{day}/us-east-1/rekognition/"
        "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
        f"Signature={'0' * 64}"
    )


def portrait_on_canvas(portrait_jpeg: bytes, width: int, height: int) -> np.ndarray:
    """A large photo with the portrait scaled to a third of its height, on grey."""
    face = cv2.imdecode(np.frombuffer(portrait_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert face is not None
    side = height // 3
    face = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((height, width, 3), 128, np.uint8)
    top, left = height // 3, width // 3
    canvas[top : top + side, left : left + side] = face
    return canvas


def png_bytes(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 160)).save(out, "PNG", compress_level=9)
    return out.getvalue()


@pytest.fixture
def refusals() -> Iterator[None]:
    REFUSALS.reset()
    yield
    REFUSALS.reset()


# --------------------------------------------------------------------------- finding 3


def test_f3_unsigned_8mb_bodies_refused_before_reading(
    tmp_path: Path, engine_factory: Callable[..., EngineThread], refusals: None
) -> None:
    """Finding 3: 100 unsigned bodies declared at 8 MB are answered from their headers alone."""
    server = engine_factory(tmp_path)
    declared = 8 * 1000 * 1000
    sent = 256 * 1024
    before = rss_bytes()
    sockets = [connect(server.endpoint_url) for _ in range(100)]
    try:
        for number, sock in enumerate(sockets):
            # Half send no Authorization, half a key the engine does not know.
            auth = None if number % 2 else known_key_authorization().replace("AKID", "NOPE")
            sock.sendall(head(SEARCH, declared, auth) + b"\0" * sent)
        codes = set()
        for sock in sockets:
            status, body = read_response(sock)
            assert status == 403
            codes.add(body["__type"])
            assert wait_closed(sock)  # the unread body is not drained: the connection closes
        growth = rss_bytes() - before
    finally:
        for sock in sockets:
            sock.close()
    assert codes == {"MissingAuthenticationTokenException", "UnrecognizedClientException"}
    assert growth < 64 * MB, f"RSS grew {growth / MB:.0f} MB"
    assert REFUSALS.get("engine", "auth") == 100


def test_f3_unverified_body_reads_are_bounded(
    tmp_path: Path, engine_factory: Callable[..., EngineThread], refusals: None
) -> None:
    """Finding 3: at most 8 bodies are read before their signature is checked; more are
    throttled at once (botocore retries ThrottlingException)."""
    server = engine_factory(tmp_path)
    sockets = [connect(server.endpoint_url) for _ in range(20)]
    try:
        for sock in sockets:  # valid key and date, body never completed
            sock.sendall(head(SEARCH, 1 * MB, known_key_authorization()) + b"{")
        selector = selectors.DefaultSelector()
        for sock in sockets:
            selector.register(sock, selectors.EVENT_READ)
        throttled: list[socket.socket] = []
        while len(throttled) < 12:  # the 8 reading hold their slots until their bodies end
            events = selector.select(GUARD_S)
            assert events, "no answer"
            for key, _ in events:
                ready = key.fileobj
                assert isinstance(ready, socket.socket)
                selector.unregister(ready)
                status, body = read_response(ready)
                assert (status, body["__type"]) == (400, "ThrottlingException")
                throttled.append(ready)
        reading = [sock for sock in sockets if sock not in throttled]
        assert len(reading) == 8
        for sock in reading:  # finish the bodies: the (dummy) signatures are then refused
            sock.sendall(b" " * (MB - 1))
            status, body = read_response(sock)
            assert (status, body["__type"]) == (403, "InvalidSignatureException")
        selector.close()
    finally:
        for sock in sockets:
            sock.close()
    assert REFUSALS.get("engine", "throttled") == 12


def test_f3_body_read_timeout(
    tmp_path: Path, engine_factory: Callable[..., EngineThread], refusals: None
) -> None:
    """Finding 3: a body that stops arriving frees its read slot after the timeout."""
    server = engine_factory(tmp_path, body_read_timeout_s=0.3)
    sock = connect(server.endpoint_url)
    try:
        sock.sendall(head(SEARCH, 1 * MB, known_key_authorization()) + b"{")
        status, body = read_response(sock)
        assert (status, body["__type"]) == (408, "RequestTimeoutException")
        assert wait_closed(sock)
    finally:
        sock.close()
    assert REFUSALS.get("engine", "timeout") == 1


def test_f3_declared_length_over_limit_and_chunked_refused(engine: EngineEndpoint) -> None:
    """Finding 3 (regression): over-limit and chunked bodies are refused from the headers."""
    for extra in ({"Content-Length": str(9 * MB)}, {"Transfer-Encoding": "chunked"}):
        sock = connect(engine.endpoint_url)
        try:
            headers = signed_headers(engine, target=SEARCH, body=b"{}")
            lines = ["POST / HTTP/1.1", "Host: 127.0.0.1"]
            lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "content-length"]
            lines += [f"{k}: {v}" for k, v in extra.items()]
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            status, body = read_response(sock)
        finally:
            sock.close()
        assert status == 400
        assert body["__type"] in {"ImageTooLargeException", "SerializationException"}


# --------------------------------------------------------------------------- finding 4


def test_f4_connection_cap(
    tmp_path: Path, engine_factory: Callable[..., EngineThread], refusals: None
) -> None:
    """Finding 4: connections over the cap are closed at once; those under it are served."""
    server = engine_factory(tmp_path, max_connections=16)
    sockets = [connect(server.endpoint_url) for _ in range(20)]
    try:
        closed = closed_ones(sockets, 4)
        for sock in sockets:
            if sock not in closed:
                assert_served(sock)
    finally:
        for sock in sockets:
            sock.close()
    assert REFUSALS.get("engine", "over_connection_cap") == 4


def test_f4_one_peer_cannot_take_every_connection(
    tmp_path: Path, engine_factory: Callable[..., EngineThread], refusals: None
) -> None:
    """Finding 4: one address holding connections is capped; another address is still served."""
    server = engine_factory(tmp_path, max_connections_per_peer=4)
    flood = [connect(server.endpoint_url, source="127.0.0.2") for _ in range(6)]
    other = connect(server.endpoint_url, source="127.0.0.1")
    try:
        closed = closed_ones(flood, 2)
        assert_served(other)
        for sock in flood:
            if sock not in closed:
                assert_served(sock)
    finally:
        for sock in [*flood, other]:
            sock.close()
    assert REFUSALS.get("engine", "over_peer_cap") == 2


def test_f4_slow_request_head_is_closed(
    tmp_path: Path, engine_factory: Callable[..., EngineThread], refusals: None
) -> None:
    """Finding 4: a request head sent a byte at a time does not hold a connection open."""
    server = engine_factory(tmp_path, idle_timeout_s=0.3)
    request = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 4000
    sock = connect(server.endpoint_url)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    sent = 0
    try:
        # One byte every 50 ms: the whole head would take 200 s; the server closes first.
        while sent < len(request):
            try:
                sock.send(request[sent : sent + 1])
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 1
            if selector.select(0.05):
                break
        assert wait_closed(sock)
    finally:
        selector.close()
        sock.close()
    assert sent < len(request)
    assert REFUSALS.get("engine", "idle_timeout") == 1


def test_f4_idle_connections_are_closed(
    tmp_path: Path, engine_factory: Callable[..., EngineThread], refusals: None
) -> None:
    """Finding 4: a connection that sends nothing, and an idle keep-alive one, are closed."""
    server = engine_factory(tmp_path, idle_timeout_s=0.3)
    silent = connect(server.endpoint_url)
    kept = connect(server.endpoint_url)
    try:
        kept.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(kept)[0] == 403
        assert wait_closed(silent)
        assert wait_closed(kept)
    finally:
        silent.close()
        kept.close()
    assert REFUSALS.get("engine", "idle_timeout") == 2


def test_f4_tls_engine_closes_connections_that_never_handshake(
    tmp_path: Path, refusals: None
) -> None:
    """Finding 4 over TLS: a connection that never starts its handshake is closed within the
    idle timeout; signed calls over TLS work (EngineThread's ssl_context)."""
    tls = pytest.importorskip("edge_bridge.tls")
    context = tls.load_or_create_certificate(tmp_path / "tls").server_context()
    config = EngineConfig(
        data_dir=tmp_path / "engine",
        credentials={ENGINE_ACCESS_KEY: ENGINE_SECRET_KEY},
        region="us-east-1",
        idle_timeout_s=0.3,
    )
    with EngineThread(config, ssl_context=context) as server:
        assert server.endpoint_url.startswith("https://")
        silent = connect(server.endpoint_url)
        try:
            assert wait_closed(silent)
        finally:
            silent.close()
        client = rekognition_client(endpoint_of(server), verify=False)
        assert "CollectionIds" in client.list_collections()


def test_f4_guarded_app_server(refusals: None) -> None:
    """Finding 4, the bridge API side: any app served with the guard gets the same limits."""

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def scenario() -> None:
        install_loop_guards()
        app = web.Application()
        app.router.add_get("/", hello)
        runner = guarded_runner(app, ServerLimits(name="api", max_connections=2))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            streams = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
            closed = 0
            for reader, writer in streams:
                writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                await writer.drain()
                data = await asyncio.wait_for(reader.read(1024), GUARD_S)
                closed += data == b""
            assert closed == 1
            for _, writer in streams:
                writer.close()
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
    assert REFUSALS.get("api", "over_connection_cap") == 1


# --------------------------------------------------------------------------- finding 5


def test_f5_oversized_png_refused_before_decoding(
    engine: EngineEndpoint, rekognition: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 5: a small PNG of 6300x6300 (under the old 40 MP cap) is refused from its
    header: Pillow never decodes a pixel of it."""
    bomb = png_bytes(6300, 6300)
    assert len(bomb) < 256 * 1024

    def no_decoding(self: Image.Image) -> Any:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    before = rss_bytes()
    with pytest.raises(ClientError) as info:
        rekognition.detect_faces(Image={"Bytes": bomb})
    assert info.value.response["Error"]["Code"] == "ImageTooLargeException"
    assert "16000000" in info.value.response["Error"]["Message"]
    assert rss_bytes() - before < 32 * MB


def test_f5_large_jpeg_decoded_reduced_and_still_recognised(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes
) -> None:
    """Finding 5: a 15 MP JPEG is decoded at half size; the face in it is still found and
    matched, with boxes and sizes in the original image's terms."""
    canvas = portrait_on_canvas(astronaut_jpeg, 5000, 3000)
    ok, encoded = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    big = encoded.tobytes()
    bgr, scale = decode_reduced(big, EngineLimits().images, min_side=1536)
    assert bgr.shape[:2] == (1500, 2500) and scale == 2.0

    rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": astronaut_jpeg})
    found = rekognition.search_faces_by_image(CollectionId=collection_id, Image={"Bytes": big})
    assert found["FaceMatches"] and found["FaceMatches"][0]["Similarity"] > 90
    box = found["SearchedFaceBoundingBox"]
    assert abs(box["Left"] + box["Width"] / 2 - 0.4) < 0.05  # the portrait's centre, x
    # The face is 1000 px tall in the original: it passes the HIGH bar's 80 px minimum.
    indexed = rekognition.index_faces(
        CollectionId=collection_id, Image={"Bytes": big}, QualityFilter="HIGH"
    )
    assert len(indexed["FaceRecords"]) == 1


def test_f5_parallel_large_images_stay_within_budget(tmp_path: Path, astronaut_jpeg: bytes) -> None:
    """Finding 5: sixteen 16 MP images at once (PNG and JPEG) stay within the memory budget
    EngineLimits states: decodes are bounded to two at a time. The engine runs in its own
    process with its default settings, measured alone."""
    canvas = portrait_on_canvas(astronaut_jpeg, 4000, 4000)
    ok, encoded = cv2.imencode(".png", canvas, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    assert ok
    png = encoded.tobytes()
    ok, encoded = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])
    jpeg = encoded.tobytes()
    assert len(png) < 5 * MB
    del canvas
    with engine_process(tmp_path / "engine") as (endpoint, pid):
        client = rekognition_client(endpoint)
        client.detect_faces(Image={"Bytes": jpeg})  # warm up (model buffers, thread stacks)
        reset_peak_rss(pid)
        before = rss_bytes(pid)
        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(
                pool.map(
                    lambda n: client.detect_faces(Image={"Bytes": png if n % 2 else jpeg}),
                    range(16),
                )
            )
        growth = peak_rss_bytes(pid) - before
    assert all(len(r["FaceDetails"]) == 1 for r in results)
    print(f"engine peak RSS growth: {growth / MB:.0f} MB")
    assert growth < 300 * MB, f"peak RSS grew {growth / MB:.0f} MB"


# --------------------------------------------------------------------------- finding 6


def test_f6_malformed_requests_log_a_bounded_number_of_lines(
    engine: EngineEndpoint, caplog: pytest.LogCaptureFixture, refusals: None
) -> None:
    """Finding 6: 500 malformed HTTP requests and 500 unsigned ones log a handful of lines,
    not a traceback each."""
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    caplog.set_level(logging.INFO, logger="edge_bridge")
    for number in range(500):
        sock = connect(engine.endpoint_url)
        try:
            sock.sendall(f"GET / HTTP/1.1\r\nHost: x\r\nBad Header {number}: y\r\n\r\n".encode())
            response = http.client.HTTPResponse(sock)
            response.begin()
            assert response.status == 400
        finally:
            sock.close()
    for _ in range(500):
        reply = send(engine, {"Content-Type": JSON_TYPE, "X-Amz-Target": SEARCH}, b"{}")
        assert reply.status == 403
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    lines = sum(
        len(caplog.handler.format(r).splitlines()) for r in records if r.name != "edge_bridge"
    )
    assert len(records) <= 4, [r.getMessage() for r in records]
    assert lines <= 4
    assert all(r.exc_info is None for r in records)
    assert REFUSALS.get("engine", "bad_http") == 500
    assert REFUSALS.get("engine", "auth") == 500


def test_log_throttle_counts_what_it_suppresses(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    throttle = LogThrottle(60.0, clock=lambda: now[0])
    logger = logging.getLogger("tests.throttle")
    caplog.set_level(logging.INFO, logger="tests.throttle")
    logged = [throttle.log(logger, logging.INFO, "k", "line %d", n) for n in range(1000)]
    assert logged.count(True) == 1
    assert throttle.log(logger, logging.INFO, "other", "another kind")
    now[0] = 60.0
    assert throttle.log(logger, logging.INFO, "k", "line %d", 1000)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["line 0", "another kind", "line 1000 (999 similar suppressed)"]


# --------------------------------------------------------------------------- finding 8


def test_f8_engine_files_private(
    tmp_path: Path,
    engine_factory: Callable[..., EngineThread],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Finding 8: a new engine dir is 0700 with 0600 files; a loose one is tightened, warned."""
    fresh = tmp_path / "fresh"
    engine_factory(fresh).stop()
    assert fresh.stat().st_mode & 0o777 == 0o700
    assert (fresh / DB_FILE).stat().st_mode & 0o777 == 0o600

    loose = tmp_path / "loose"
    engine_factory(loose).stop()
    loose.chmod(0o755)
    for path in loose.iterdir():
        path.chmod(0o644)
    caplog.set_level(logging.WARNING, logger="edge_bridge.engine.store")
    server = engine_factory(loose)
    rekognition_client(endpoint_of(server)).create_collection(CollectionId="private")
    assert loose.stat().st_mode & 0o777 == 0o700
    modes = {path.name: path.stat().st_mode & 0o777 for path in loose.iterdir()}
    assert set(modes.values()) == {0o600}, modes
    assert any("readable by other local users" in r.getMessage() for r in caplog.records)


# --------------------------------------------------------------------------- finding 9


def test_f9_replayed_index_faces_refused(
    engine: EngineEndpoint,
    rekognition: Any,
    collection_id: str,
    astronaut_jpeg: bytes,
    refusals: None,
) -> None:
    """Finding 9: a captured IndexFaces sent again inside the SigV4 window stores nothing."""
    body = json.dumps(
        {
            "CollectionId": collection_id,
            "Image": {"Bytes": base64.b64encode(astronaut_jpeg).decode()},
        }
    ).encode()
    headers = signed_headers(engine, target=INDEX, body=body)
    first = send(engine, headers, body)
    assert first.status == 200, first.body
    again = send(engine, headers, body)
    assert (again.status, again.code, again.message) == (
        403,
        "InvalidSignatureException",
        REPLAY_MESSAGE,
    )
    assert len(rekognition.list_faces(CollectionId=collection_id)["Faces"]) == 1
    assert REFUSALS.get("engine", "replay") == 1

    # Read-only calls may repeat; a re-signed change is accepted.
    search = json.dumps(
        {
            "CollectionId": collection_id,
            "Image": {"Bytes": base64.b64encode(astronaut_jpeg).decode()},
        }
    ).encode()
    search_headers = signed_headers(engine, target=SEARCH, body=search)
    for _ in range(2):
        assert send(engine, search_headers, search).status == 200
    earlier = (datetime.now(UTC) - timedelta(seconds=2)).strftime("%Y%m%dT%H%M%SZ")
    resigned = signed_headers(engine, target=INDEX, body=body, timestamp=earlier)
    assert send(engine, resigned, body).status == 200


def test_replay_guard_expires_and_is_bounded() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    guard = ReplayGuard(timedelta(minutes=5), max_entries=3, clock=lambda: now[0])
    signed = now[0]
    for n in range(3):
        guard.admit("key", f"sig{n}", signed)
    with pytest.raises(Exception) as full:
        guard.admit("key", "sig3", signed)
    assert getattr(full.value, "code", "") == "ThrottlingException"
    with pytest.raises(Exception) as replay:
        guard.admit("key", "sig0", signed)
    assert getattr(replay.value, "status", 0) == 403
    now[0] = signed + timedelta(minutes=5, seconds=1)  # every signature has expired
    guard.admit("key", "sig0", now[0])
    assert len(guard) == 1
    guard.release("key", "sig0")
    guard.admit("key", "sig0", now[0])


# --------------------------------------------------------------------------- finding 10


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs under tmp_path (needs root to mount)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill the disk needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_f10_disk_full_is_a_clear_error_and_loses_nothing(
    small_disk: Path,
    engine_factory: Callable[..., EngineThread],
    astronaut_jpeg: bytes,
    grace_hopper_jpeg: bytes,
    caplog: pytest.LogCaptureFixture,
    refusals: None,
) -> None:
    """Finding 10: IndexFaces on a full disk answers a clear InternalServerError without a
    traceback; the faces stored before are kept, and indexing works once space is back."""
    server = engine_factory(small_disk / "engine")
    client = rekognition_client(endpoint_of(server))
    client.create_collection(CollectionId="shop")
    kept = client.index_faces(CollectionId="shop", Image={"Bytes": astronaut_jpeg})
    kept_id = kept["FaceRecords"][0]["Face"]["FaceId"]
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 65536):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    caplog.set_level(logging.INFO, logger="edge_bridge")
    failures = 0
    for number in range(20):
        try:
            client.index_faces(
                CollectionId="shop",
                Image={"Bytes": grace_hopper_jpeg},
                ExternalImageId=f"full-{number}",
            )
        except ClientError as err:
            error = err.response["Error"]
            assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 500
            assert error["Code"] == "InternalServerError"
            assert error["Message"] == (
                "the engine cannot write its database: disk full; nothing was stored"
            )
            failures += 1
    assert failures >= 19  # the WAL may have room for one page more
    assert all(r.exc_info is None for r in caplog.records)
    assert len([r for r in caplog.records if "cannot write" in r.getMessage()]) == 1
    assert REFUSALS.get("engine", "storage") >= failures  # botocore retries a 500 once

    filler.unlink()
    stored = client.index_faces(
        CollectionId="shop", Image={"Bytes": grace_hopper_jpeg}, ExternalImageId="after"
    )
    assert stored["FaceRecords"]
    faces = client.list_faces(CollectionId="shop")["Faces"]
    assert kept_id in {f["FaceId"] for f in faces}
    assert len(faces) == 2 + (20 - failures)
    found = client.search_faces_by_image(CollectionId="shop", Image={"Bytes": astronaut_jpeg})
    assert found["FaceMatches"][0]["Face"]["FaceId"] == kept_id


def test_f4_loop_errors_are_throttled(caplog: pytest.LogCaptureFixture) -> None:
    """Finding 4: the 'out of system resource' accept storm logs once, then counts."""
    caplog.set_level(logging.ERROR, logger="edge_bridge.server_guard")
    loop = asyncio.new_event_loop()
    try:
        context = {
            "message": f"socket.accept() out of system resource {uuid.uuid4().hex}",
            "exception": OSError(24, "Too many open files"),
        }
        for _ in range(20_000):
            loop_exception_handler(loop, context)
    finally:
        loop.close()
    records = [r for r in caplog.records if "out of system resource" in r.getMessage()]
    assert len(records) == 1
    assert records[0].exc_info is None


def test_f4_open_file_limit_raised_to_the_hard_limit() -> None:
    """Finding 4: the soft descriptor limit is raised to the hard limit at start."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        lowered = min(256, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
        raised = raise_nofile_limit()
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == raised
        assert hard in (raised, resource.RLIM_INFINITY)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
