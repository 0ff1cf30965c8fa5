"""The running bridge: cameras, pipelines, the bridge API, the engine and discovery; or the
engine alone (``StandaloneEngine``, engine-only mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import logging
import ssl
import time

from aiohttp import web
import cv2

from .api import create_bridge_app
from .auth import BridgeAccess, EngineCredentials
from .capture import Camera, Frame
from .detect import FaceDetector
from .discovery import Advertisement, Advertiser, DiscoveryError, local_addresses
from .embed import FaceEmbedder
from .engine.http_api import EngineConfig, create_engine_app
from .events import EventHub, FaceEvent
from .footage import FootageError, FootageRecorder, purge_footage
from .model_files import ModelFiles
from .pipeline import CameraUnit, CameraWorker, FacePipeline
from .server_guard import (
    GuardedTCPSite,
    ServerLimits,
    guarded_runner,
    prepare_serving,
    server_name,
)
from .settings import BridgeConfig, Listen
from .tls import BridgeCertificate, CertificateError

_LOGGER = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0


class StartupError(Exception):
    """The bridge cannot start (port in use, engine data unusable, ...); one-line message."""


class Bridge:
    """Starts and stops every part of the bridge in the right order."""

    def __init__(
        self,
        config: BridgeConfig,
        models: ModelFiles,
        certificate: BridgeCertificate,
        access: BridgeAccess,
    ) -> None:
        self.config = config
        self.models = models
        self.certificate = certificate
        self.access = access
        self.units: dict[str, CameraUnit] = {}
        self.hub: EventHub | None = None
        self.footage: FootageRecorder | None = None
        self.started_at = time.time()
        self.api_port: int | None = None
        self.engine_port: int | None = None
        self._api_runner: web.AppRunner | None = None
        self._engine_runner: web.AppRunner | None = None
        self._advertiser: Advertiser | None = None
        self.ssl_context: ssl.SSLContext | None = None

    @property
    def cert_sha256(self) -> bytes:
        """The pin of the certificate the API and the engine serve."""
        return self.certificate.sha256

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.hub = EventHub(loop, replay_s=self.config.api.replay_s)
        self.started_at = time.time()
        try:
            try:
                self.ssl_context = self.certificate.server_context()
            except CertificateError as err:
                raise StartupError(f"TLS: {err}") from err
            self._open_footage()
            try:
                self._build_cameras()
            except cv2.error as err:
                raise StartupError(f"cannot load the face models: {_first_line(err)}") from err
            self._api_runner, self.api_port = await serve_app(
                create_bridge_app(self), self.config.api.listen, "bridge API", self.ssl_context
            )
            if self.config.engine.enabled:
                self._engine_runner, self.engine_port = await serve_app(
                    self._engine_app(),
                    self.config.engine.listen,
                    "recognition engine",
                    self.ssl_context,
                )
            if self.footage is not None:
                self.footage.start()
            for unit in self.units.values():
                unit.worker.start()
                unit.camera.start()
            await self._advertise()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        advertiser, self._advertiser = self._advertiser, None
        if advertiser is not None:
            try:
                await advertiser.stop()
            except Exception as err:  # shutting down regardless
                _LOGGER.warning("zeroconf withdrawal failed: %s", err)
        units = list(self.units.values())
        if units:
            await asyncio.gather(
                *(asyncio.to_thread(unit.camera.stop, STOP_TIMEOUT_S) for unit in units)
            )
            await asyncio.gather(
                *(asyncio.to_thread(unit.worker.join, STOP_TIMEOUT_S) for unit in units)
            )
        footage, self.footage = self.footage, None
        if footage is not None:
            await asyncio.to_thread(footage.stop, STOP_TIMEOUT_S)
        for name in ("_api_runner", "_engine_runner"):
            runner = getattr(self, name)
            setattr(self, name, None)
            if runner is not None:
                await runner.cleanup()
        if self.hub is not None:
            self.hub.clear()

    # ------------------------------------------------------------------ parts

    def _build_cameras(self) -> None:
        config = self.config
        cameras = [c for c in config.cameras if c.enabled]
        embedder = None
        if cameras and config.visits.dedupe == "embedding":
            embedder = FaceEmbedder(self.models.recognizer)
        for cam in cameras:
            detector = FaceDetector(
                self.models.detector,
                score_threshold=config.detection.score_threshold,
                nms_threshold=config.detection.nms_threshold,
            )
            camera = Camera(cam, tap=self._footage_tap(cam.id))
            pipeline = FacePipeline.from_config(
                config, cam.id, detector, embedder, analysis_width=cam.analysis_width
            )
            worker = CameraWorker(camera, pipeline, self._publish)
            self.units[cam.id] = CameraUnit(camera, pipeline, worker)
            _LOGGER.info(
                "camera %s (%s): %s, analysis width %d px",
                cam.id,
                cam.name,
                cam.source.redacted(),
                pipeline.analysis_width,
            )
        if not cameras:
            _LOGGER.info("no cameras configured")

    def _open_footage(self) -> None:
        settings = self.config.footage
        if settings.minutes == 0 or not any(c.enabled for c in self.config.cameras):
            if settings.minutes == 0:
                purge_footage(self.config.data_dir)
            return
        try:
            self.footage = FootageRecorder(self.config.data_dir, settings)
        except FootageError as err:
            raise StartupError(str(err)) from err
        _LOGGER.info(
            "footage buffer: %d min at %g frame/s per camera, encrypted, at most %d MB",
            settings.minutes,
            settings.fps,
            settings.max_disk_mb,
        )

    def _footage_tap(self, camera_id: str) -> Callable[[Frame], None] | None:
        footage = self.footage
        if footage is None:
            return None

        def tap(frame: Frame) -> None:
            footage.offer(camera_id, frame.image, frame.captured_at)

        return tap

    def _publish(self, event: FaceEvent) -> None:
        if self.hub is not None:
            self.hub.publish(event)

    def _engine_app(self) -> web.Application:
        engine = self.config.engine
        return engine_app(
            self.config, self.models, EngineCredentials(engine.credentials, self.access.registry)
        )

    async def _advertise(self) -> None:
        settings = self.config.discovery
        if not settings.enabled:
            _LOGGER.info("zeroconf discovery disabled")
            return
        addresses = settings.addresses or local_addresses(self.config.api.listen.host)
        if not addresses or self.api_port is None:
            _LOGGER.warning("zeroconf discovery skipped: no network address to advertise")
            return
        advertiser = Advertiser(
            settings,
            Advertisement(
                bridge_id=self.config.bridge_id,
                api_port=self.api_port,
                engine_port=self.engine_port,
                addresses=tuple(addresses),
            ),
        )
        try:
            await advertiser.start()
        except DiscoveryError as err:
            _LOGGER.warning("zeroconf discovery unavailable: %s", err)
            return
        self._advertiser = advertiser


class StandaloneEngine:
    """The recognition engine alone (engine-only mode): its HTTPS port and nothing else.

    No bridge API, no cameras, no pairing, no zeroconf; it accepts the configured key pairs.
    """

    def __init__(
        self, config: BridgeConfig, models: ModelFiles, certificate: BridgeCertificate
    ) -> None:
        self.config = config
        self.models = models
        self.certificate = certificate
        self.engine_port: int | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        try:
            ssl_context = self.certificate.server_context()
        except CertificateError as err:
            raise StartupError(f"TLS: {err}") from err
        app = engine_app(self.config, self.models, dict(self.config.engine.credentials))
        self._runner, self.engine_port = await serve_app(
            app, self.config.engine.listen, "recognition engine", ssl_context
        )

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


def engine_app(
    config: BridgeConfig, models: ModelFiles, credentials: Mapping[str, str]
) -> web.Application:
    """The engine's aiohttp application on its data directory (made if missing)."""
    engine = config.engine
    try:
        engine.data_dir.mkdir(parents=True, exist_ok=True)
        return create_engine_app(
            EngineConfig(
                data_dir=engine.data_dir,
                credentials=credentials,
                region=engine.region,
                models=models,
            )
        )
    except (OSError, ValueError, cv2.error) as err:
        raise StartupError(f"recognition engine: {_first_line(err)}") from err


async def serve_app(
    app: web.Application, listen: Listen, what: str, ssl_context: ssl.SSLContext | None
) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on ``listen``; the runner and the port it got (``listen.port`` may be 0)."""
    # Connection cap, header/idle timeout, quiet bad-request and loop errors, raised
    # descriptor limit: see server_guard.
    prepare_serving()
    runner = guarded_runner(app, ServerLimits(name=server_name(what)))
    await runner.setup()
    site = GuardedTCPSite(
        runner, listen.host, listen.port, reuse_address=True, ssl_context=ssl_context
    )
    try:
        await site.start()
    except OSError as err:
        await runner.cleanup()
        reason = err.strerror or str(err)
        raise StartupError(f"{what}: cannot listen on {listen}: {reason}") from err
    port = listen.port
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            port = int(address[1])
            break
    scheme_host = f"[{listen.host}]" if ":" in listen.host else listen.host
    scheme = "https" if ssl_context is not None else "http"
    _LOGGER.info("%s listening on %s://%s:%d", what, scheme, scheme_host, port)
    return runner, port


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]
