"""HTTP front end: the Rekognition JSON 1.1 protocol over aiohttp, with SigV4 verification.

Limits come before work. From the headers alone a request must show a known access key, an
``X-Amz-Date`` within the clock window and a ``Content-Length`` within the limit (chunked
bodies are refused); only then is its body read, by at most ``max_unverified_reads`` requests
at a time (more are answered at once with ThrottlingException, which botocore retries) and
within ``body_read_timeout_s``. Then the signature is verified, a mutating request is checked
against replay (``replay.py``), the request is routed by ``X-Amz-Target``, its input validated
against botocore's model, the operation run in a thread pool and the output shaped by the
model. Refusals are counted in /metrics and logged at most once a minute per kind.

Connections are capped and idle ones closed (``edge_bridge.server_guard``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import logging
import os
from pathlib import Path
import ssl
import threading
import time
from types import TracebackType
from typing import Any, Final, Self
import uuid

from aiohttp import web

from edge_bridge.detect import FaceDetector
from edge_bridge.embed import FaceEmbedder
from edge_bridge.log_throttle import LogThrottle
from edge_bridge.metrics import REFUSALS
from edge_bridge.model_files import ModelFiles, locate_models
from edge_bridge.server_guard import (
    DEFAULT_IDLE_TIMEOUT_S,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_PEER,
    GuardedTCPSite,
    ServerLimits,
    guarded_runner,
    install_loop_guards,
)

from .errors import (
    IMAGE_TOO_LARGE,
    INTERNAL,
    REQUEST_TIMEOUT,
    SERIALIZATION,
    THROTTLING,
    UNKNOWN_OPERATION,
    AuthError,
    EngineError,
)
from .operations import EngineLimits, RecognitionEngine, StorageError
from .replay import DEFAULT_MAX_ENTRIES, REPLAY_MESSAGE, ReplayGuard, is_mutating
from .shapes import service_model, shape_output, validate_input
from .sigv4 import Authorization, parse_amz_date, precheck_request, verify_request
from .store import FaceStore

_LOGGER = logging.getLogger(__name__)

TARGET_PREFIX: Final = "RekognitionService."
JSON_CONTENT_TYPES: Final = frozenset({"application/x-amz-json-1.1", "application/x-amz-json-1.0"})
RESPONSE_CONTENT_TYPE: Final = "application/x-amz-json-1.1"
_INLINE_AUTH_BYTES: Final = 64 * 1024
METRICS_SERVER: Final = "engine"
# One line a minute per kind of refusal: a peer can cause thousands a second.
_REFUSAL_LOG: Final = LogThrottle(60.0)


@dataclass
class EngineConfig:
    """Settings of one engine instance. Image and decode limits are in ``limits``."""

    data_dir: Path
    # access key -> secret. May change while the engine runs (paired clients come and go): it
    # is never copied, each request looks its key up.
    credentials: Mapping[str, str]
    region: str = "us-east-1"
    max_clock_skew: timedelta = timedelta(minutes=5)
    # False: accept a signature scoped to any region (verified with that region); True: only
    # ``region``. The integration may default to another region name than the engine's.
    enforce_region: bool = False
    models: ModelFiles | None = None
    detector_score_threshold: float = 0.6
    # Embed each face and its mirror and average them (FaceEmbedder flip_tta): higher scores for
    # genuine one-photo matches at ~2x embedding time (docs/benchmarks.md, open-set section).
    flip_tta: bool = True
    limits: EngineLimits = field(default_factory=EngineLimits)
    max_request_bytes: int = 8 * 1024 * 1024
    workers: int = field(default_factory=lambda: max(2, min(4, os.cpu_count() or 2)))
    max_concurrent_requests: int = 32
    # Bodies read before their signature is verified, at once (x max_request_bytes of memory).
    max_unverified_reads: int = 8
    body_read_timeout_s: float = 30.0
    replay_max_entries: int = DEFAULT_MAX_ENTRIES
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_connections_per_peer: int = DEFAULT_MAX_CONNECTIONS_PER_PEER
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S

    def validate(self) -> None:
        """Raise ValueError for unusable settings."""
        for access_key, secret in self.credentials.items():
            if not access_key or not secret:
                raise ValueError("access keys and secrets must be non-empty")
        if self.max_clock_skew <= timedelta(0):
            raise ValueError("max_clock_skew must be positive")
        if self.workers < 1 or self.max_concurrent_requests < 1:
            raise ValueError("workers and max_concurrent_requests must be at least 1")
        if self.max_unverified_reads < 1 or self.replay_max_entries < 1:
            raise ValueError("max_unverified_reads and replay_max_entries must be at least 1")
        if self.body_read_timeout_s <= 0 or self.max_request_bytes < 1:
            raise ValueError("body_read_timeout_s and max_request_bytes must be positive")
        self.server_limits()  # validates the connection limits

    def server_limits(self) -> ServerLimits:
        """The connection limits of the engine's HTTP server."""
        return ServerLimits(
            name=METRICS_SERVER,
            max_connections=self.max_connections,
            idle_timeout_s=self.idle_timeout_s,
            max_connections_per_peer=self.max_connections_per_peer,
        )

    def __repr__(self) -> str:
        # Never print secrets, even by accident in a traceback or debug log.
        keys = ", ".join(sorted(self.credentials))
        return (
            f"EngineConfig(data_dir={self.data_dir!r}, access_keys=[{keys}], "
            f"region={self.region!r}, enforce_region={self.enforce_region})"
        )


@dataclass
class EngineState:
    """Runtime objects shared by request handlers."""

    config: EngineConfig
    engine: RecognitionEngine
    executor: ThreadPoolExecutor
    semaphore: asyncio.Semaphore
    replay: ReplayGuard
    unverified_reads: int = 0


ENGINE_STATE: Final = web.AppKey("smartshop_engine_state", EngineState)


def create_engine_app(config: EngineConfig) -> web.Application:
    """Build the engine's aiohttp application: loads models and opens the store now."""
    config.validate()
    models = config.models or locate_models()
    detector = FaceDetector(models.detector, score_threshold=config.detector_score_threshold)
    embedder = FaceEmbedder(models.recognizer, flip_tta=config.flip_tta)
    store = FaceStore(config.data_dir)
    engine = RecognitionEngine(
        store,
        detector,
        embedder,
        region=config.region,
        limits=config.limits,
    )
    executor = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="engine")
    app = web.Application(client_max_size=config.max_request_bytes)
    app[ENGINE_STATE] = EngineState(
        config=config,
        engine=engine,
        executor=executor,
        semaphore=asyncio.Semaphore(config.max_concurrent_requests),
        replay=ReplayGuard(config.max_clock_skew, max_entries=config.replay_max_entries),
    )
    app.router.add_route("*", "/{tail:.*}", _handle)
    app.on_cleanup.append(_cleanup)
    if not config.credentials:
        _LOGGER.warning("Recognition engine has no access keys yet: every request is refused")
    _LOGGER.info(
        "Recognition engine ready: data in %s, %d access key(s), detector %s, recogniser %s",
        config.data_dir,
        len(config.credentials),
        models.detector.name,
        models.recognizer.name,
    )
    return app


async def _cleanup(app: web.Application) -> None:
    state = app[ENGINE_STATE]
    await asyncio.to_thread(state.executor.shutdown, True)
    state.engine.store.close()


async def start_engine(
    config: EngineConfig,
    host: str = "127.0.0.1",
    port: int = 0,
    ssl_context: ssl.SSLContext | None = None,
) -> web.AppRunner:
    """Start the engine on ``host:port`` (port 0 picks a free one); ``runner.addresses`` has it.

    With ``ssl_context`` it serves HTTPS. Connections are capped and idle ones closed.
    """
    app = create_engine_app(config)
    install_loop_guards()
    runner = guarded_runner(app, config.server_limits())
    await runner.setup()
    try:
        site = GuardedTCPSite(runner, host, port, ssl_context=ssl_context)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


def _json_response(body: dict[str, Any], status: int, request_id: str) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(body, allow_nan=False, separators=(",", ":")).encode(),
        content_type=RESPONSE_CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id},
    )


async def _handle(request: web.Request) -> web.Response:
    state = request.app[ENGINE_STATE]
    request_id = str(uuid.uuid4())
    started = time.perf_counter()
    operation = "-"
    body_read = False
    try:
        auth = _precheck(request, state.config)
        body = await _read_body(request, state)
        body_read = True
        access_key = await _authenticate(request, body, state.config)
        operation = _operation(request)
        params = _parse_body(request, body)
        model = service_model().operation_model(operation)
        validated = validate_input(model.input_shape, params)
        del body, params  # the raw and parsed JSON (base64 images): only `validated` is kept
        mutating = is_mutating(operation)
        if mutating:
            state.replay.admit(access_key, auth.signature, _signed_at(request))
        try:
            async with state.semaphore:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(
                    state.executor, state.engine.call, operation, validated
                )
        except BaseException:
            if mutating:  # nothing changed: a retry with the same signature may run
                state.replay.release(access_key, auth.signature)
            raise
        response = _json_response(shape_output(model.output_shape, result), 200, request_id)
    except EngineError as err:
        response = _json_response(err.body(), err.status, request_id)
        _note_refusal(request, operation, err)
    except Exception:
        _LOGGER.exception("Engine error in %s (request %s)", operation, request_id)
        error = EngineError(INTERNAL, "Internal server error", status=500)
        response = _json_response(error.body(), 500, request_id)
    if not body_read and request.body_exists:
        # The unread body is not drained: the connection closes after the answer.
        response.force_close()
    _LOGGER.debug(
        "%s -> %d in %.1f ms", operation, response.status, (time.perf_counter() - started) * 1e3
    )
    return response


def _note_refusal(request: web.Request, operation: str, err: EngineError) -> None:
    """Count a refused request in /metrics and log it (throttled)."""
    if isinstance(err, StorageError):
        REFUSALS.add(METRICS_SERVER, "storage")
        _REFUSAL_LOG.log(_LOGGER, logging.ERROR, "storage", "%s failed: %s", operation, err.message)
        return
    if err.message == REPLAY_MESSAGE:
        reason = "replay"
    elif isinstance(err, AuthError):
        reason = "auth"
    elif err.code == THROTTLING:
        reason = "throttled"
    elif err.code == REQUEST_TIMEOUT:
        reason = "timeout"
    elif err.code == IMAGE_TOO_LARGE and operation == "-":
        reason = "too_large"
    else:
        return  # an ordinary client error (bad parameter, no such collection, ...)
    REFUSALS.add(METRICS_SERVER, reason)
    _REFUSAL_LOG.log(
        _LOGGER,
        logging.INFO,
        f"refused:{err.code}:{reason}",
        "Refused request from %s: %s (%s)",
        request.remote,
        err.code,
        reason,
    )


def _precheck(request: web.Request, config: EngineConfig) -> Authorization:
    """Everything the headers can show, before a byte of the body is read."""
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        raise EngineError(
            SERIALIZATION, "Chunked request bodies are not accepted; send a Content-Length"
        )
    auth = precheck_request(
        path_qs=request.raw_path,
        headers=list(request.headers.items()),
        credentials=config.credentials,
        now=datetime.now(UTC),
        max_skew=config.max_clock_skew,
        region=config.region if config.enforce_region else None,
    )
    limit = config.max_request_bytes
    if request.content_length is not None and request.content_length > limit:
        raise EngineError(IMAGE_TOO_LARGE, f"Request body exceeds the {limit} byte limit")
    return auth


def _signed_at(request: web.Request) -> datetime:
    return parse_amz_date(request.headers.get("X-Amz-Date", ""))


async def _read_body(request: web.Request, state: EngineState) -> bytes:
    """Read the body of a prechecked request: a bounded number at once, within a timeout."""
    config = state.config
    if not request.body_exists:
        return b""
    if state.unverified_reads >= config.max_unverified_reads:
        raise EngineError(THROTTLING, "Too many requests are being received; retry shortly")
    state.unverified_reads += 1
    try:
        async with asyncio.timeout(config.body_read_timeout_s):
            return await request.read()
    except TimeoutError as err:
        raise EngineError(
            REQUEST_TIMEOUT,
            f"The request body did not arrive within {config.body_read_timeout_s:g} s",
            status=408,
        ) from err
    except web.HTTPRequestEntityTooLarge as err:
        limit = config.max_request_bytes
        raise EngineError(IMAGE_TOO_LARGE, f"Request body exceeds the {limit} byte limit") from err
    finally:
        state.unverified_reads -= 1


async def _authenticate(request: web.Request, body: bytes, config: EngineConfig) -> str:
    def verify() -> str:
        return verify_request(
            method=request.method,
            path_qs=request.raw_path,
            headers=list(request.headers.items()),
            body=body,
            credentials=config.credentials,
            now=datetime.now(UTC),
            max_skew=config.max_clock_skew,
            region=config.region if config.enforce_region else None,
        )

    if len(body) <= _INLINE_AUTH_BYTES:
        return verify()
    return await asyncio.to_thread(verify)


def _operation(request: web.Request) -> str:
    if request.method != "POST" or request.path != "/":
        raise EngineError(UNKNOWN_OPERATION, "Only POST / with an X-Amz-Target is supported")
    target = request.headers.get("X-Amz-Target", "")
    prefix, _, name = target.partition(".")
    engine = request.app[ENGINE_STATE].engine
    if f"{prefix}." != TARGET_PREFIX or name not in engine.operations:
        raise EngineError(
            UNKNOWN_OPERATION,
            f"Operation {target or '(none)'} is not supported by this engine; supported: "
            + ", ".join(sorted(engine.operations)),
        )
    return name


def _parse_body(request: web.Request, body: bytes) -> Any:
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type not in JSON_CONTENT_TYPES:
        raise EngineError(SERIALIZATION, "Content-Type must be application/x-amz-json-1.1")
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise EngineError(SERIALIZATION, "Request body is not valid JSON") from err


class EngineThread:
    """Run an engine in a background thread with its own event loop (tests, benchmarks, tools).

    ``with EngineThread(config) as engine: boto3.client(..., endpoint_url=engine.endpoint_url)``
    """

    def __init__(
        self,
        config: EngineConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.config = config
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def endpoint_url(self) -> str:
        """``http(s)://host:port`` of the running engine."""
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> str:
        """Start serving; return the endpoint URL. Startup errors are re-raised here."""
        self._thread = threading.Thread(target=self._run, name="engine-loop", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self.endpoint_url

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            try:
                self._runner = loop.run_until_complete(
                    start_engine(self.config, self.host, self.port, self.ssl_context)
                )
                self.port = int(self._runner.addresses[0][1])
            except BaseException as err:  # startup failure is reported to start()
                self._error = err
                return
            finally:
                self._ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
        finally:
            loop.close()

    def stop(self) -> None:
        """Stop serving, close the store and join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
