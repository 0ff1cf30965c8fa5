"""HTTP front end: the Rekognition JSON 1.1 protocol over aiohttp, with SigV4 verification.

Every request is read (bounded), authenticated, then routed by ``X-Amz-Target``; the input is
validated against botocore's model, the operation runs in a thread pool, and the output is
shaped by the model. Refused requests are answered before any parsing of the body.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import logging
import os
from pathlib import Path
import threading
import time
from types import TracebackType
from typing import Any, Final, Self
import uuid

from aiohttp import web

from edge_bridge.detect import FaceDetector
from edge_bridge.embed import FaceEmbedder
from edge_bridge.model_files import ModelFiles, locate_models

from .errors import IMAGE_TOO_LARGE, INTERNAL, SERIALIZATION, UNKNOWN_OPERATION, EngineError
from .operations import EngineLimits, RecognitionEngine
from .shapes import service_model, shape_output, validate_input
from .sigv4 import verify_request
from .store import FaceStore

_LOGGER = logging.getLogger(__name__)

TARGET_PREFIX: Final = "RekognitionService."
JSON_CONTENT_TYPES: Final = frozenset({"application/x-amz-json-1.1", "application/x-amz-json-1.0"})
RESPONSE_CONTENT_TYPE: Final = "application/x-amz-json-1.1"
_INLINE_AUTH_BYTES: Final = 64 * 1024


@dataclass
class EngineConfig:
    """Settings of one engine instance."""

    data_dir: Path
    credentials: dict[str, str]  # access key -> secret
    region: str = "us-east-1"
    max_clock_skew: timedelta = timedelta(minutes=5)
    # False: accept a signature scoped to any region (verified with that region); True: only
    # ``region``. The integration may default to another region name than the engine's.
    enforce_region: bool = False
    models: ModelFiles | None = None
    detector_score_threshold: float = 0.6
    detect_max_side: int = 1024
    max_image_bytes: int = 5 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    max_request_bytes: int = 8 * 1024 * 1024
    workers: int = field(default_factory=lambda: max(2, min(4, os.cpu_count() or 2)))
    max_concurrent_requests: int = 32

    def validate(self) -> None:
        """Raise ValueError for unusable settings."""
        if not self.credentials:
            raise ValueError("the engine needs at least one access key")
        for access_key, secret in self.credentials.items():
            if not access_key or not secret:
                raise ValueError("access keys and secrets must be non-empty")
        if self.max_clock_skew <= timedelta(0):
            raise ValueError("max_clock_skew must be positive")
        if self.workers < 1 or self.max_concurrent_requests < 1:
            raise ValueError("workers and max_concurrent_requests must be at least 1")

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


ENGINE_STATE: Final = web.AppKey("smartshop_engine_state", EngineState)


def create_engine_app(config: EngineConfig) -> web.Application:
    """Build the engine's aiohttp application: loads models and opens the store now."""
    config.validate()
    models = config.models or locate_models()
    detector = FaceDetector(models.detector, score_threshold=config.detector_score_threshold)
    embedder = FaceEmbedder(models.recognizer)
    store = FaceStore(config.data_dir)
    engine = RecognitionEngine(
        store,
        detector,
        embedder,
        region=config.region,
        limits=EngineLimits(
            max_image_bytes=config.max_image_bytes,
            max_image_pixels=config.max_image_pixels,
            detect_max_side=config.detect_max_side,
        ),
    )
    executor = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="engine")
    app = web.Application(client_max_size=config.max_request_bytes)
    app[ENGINE_STATE] = EngineState(
        config=config,
        engine=engine,
        executor=executor,
        semaphore=asyncio.Semaphore(config.max_concurrent_requests),
    )
    app.router.add_route("*", "/{tail:.*}", _handle)
    app.on_cleanup.append(_cleanup)
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
    config: EngineConfig, host: str = "127.0.0.1", port: int = 0
) -> web.AppRunner:
    """Start the engine on ``host:port`` (port 0 picks a free one); ``runner.addresses`` has it."""
    app = create_engine_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
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
    try:
        body = await _read_body(request, state.config.max_request_bytes)
        await _authenticate(request, body, state.config)
        operation = _operation(request)
        params = _parse_body(request, body)
        model = service_model().operation_model(operation)
        validated = validate_input(model.input_shape, params)
        async with state.semaphore:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(
                state.executor, state.engine.call, operation, validated
            )
        response = _json_response(shape_output(model.output_shape, result), 200, request_id)
    except EngineError as err:
        response = _json_response(err.body(), err.status, request_id)
        if err.status == 403:
            _LOGGER.info("Refused request from %s: %s", request.remote, err.code)
    except Exception:
        _LOGGER.exception("Engine error in %s (request %s)", operation, request_id)
        error = EngineError(INTERNAL, "Internal server error", status=500)
        response = _json_response(error.body(), 500, request_id)
    _LOGGER.debug(
        "%s -> %d in %.1f ms", operation, response.status, (time.perf_counter() - started) * 1e3
    )
    return response


async def _read_body(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise EngineError(IMAGE_TOO_LARGE, f"Request body exceeds the {limit} byte limit")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge as err:
        raise EngineError(IMAGE_TOO_LARGE, f"Request body exceeds the {limit} byte limit") from err


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

    def __init__(self, config: EngineConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def endpoint_url(self) -> str:
        """``http://host:port`` of the running engine."""
        return f"http://{self.host}:{self.port}"

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
                    start_engine(self.config, self.host, self.port)
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
