"""Shared fixtures for edge-bridge tests: fixture faces and a real engine on loopback.

``engine`` is one engine per test session (fast); give each test its own collection ids, e.g.
with the ``collection_id`` fixture. ``engine_factory`` starts extra engines on chosen data
directories (restart and isolation tests); they are stopped at the end of the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
import os
from pathlib import Path
from typing import Any, NamedTuple
import uuid

import boto3
from botocore.config import Config
import pytest

from edge_bridge.capture import Camera
from edge_bridge.engine import EngineConfig, EngineThread
from tests.edge_bridge.helpers_bridge import GUARD_S

FIXTURE_FACES = Path(__file__).resolve().parent.parent / "fixtures" / "faces"
FACES_DEV = Path(
    os.environ.get(
        "SMARTSHOP_FACES_DEV",
        Path(__file__).resolve().parents[3] / "shared" / "datasets" / "faces-dev",
    )
)
ENGINE_ACCESS_KEY = "AKIDSMARTSHOPTEST"
ENGINE_SECRET_KEY = "test-secret-key-0123456789abcdef"
ENGINE_REGION = "eu-west-2"


class EngineEndpoint(NamedTuple):
    """Where a test engine listens and the key pair it accepts."""

    endpoint_url: str
    access_key: str
    secret_key: str


def rekognition_client(endpoint: EngineEndpoint, **overrides: Any) -> Any:
    """A boto3 Rekognition client for ``endpoint`` (no retries; timeouts only as failure guards)."""
    kwargs: dict[str, Any] = {
        "endpoint_url": endpoint.endpoint_url,
        "region_name": ENGINE_REGION,
        "aws_access_key_id": endpoint.access_key,
        "aws_secret_access_key": endpoint.secret_key,
        "config": Config(
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=GUARD_S,
            read_timeout=GUARD_S,
            proxies={},
        ),
    }
    kwargs.update(overrides)
    return boto3.client("rekognition", **kwargs)


@pytest.fixture(scope="session")
def astronaut_jpeg() -> bytes:
    """A public-domain portrait with one face (NASA)."""
    return (FIXTURE_FACES / "astronaut.jpg").read_bytes()


@pytest.fixture(scope="session")
def grace_hopper_jpeg() -> bytes:
    """A public-domain portrait of a different person (US Navy)."""
    return (FIXTURE_FACES / "grace_hopper.jpg").read_bytes()


@pytest.fixture(scope="session")
def face_jpeg(astronaut_jpeg: bytes) -> bytes:
    """The default one-face JPEG."""
    return astronaut_jpeg


@pytest.fixture(scope="session")
def faces_dev() -> Path:
    """The labelled real-photo set (../shared or $SMARTSHOP_FACES_DEV); skips when absent."""
    if not (FACES_DEV / "master.csv").is_file():
        pytest.skip(f"faces-dev photos not present at {FACES_DEV}")
    return FACES_DEV


def _engine_config(data_dir: Path, **overrides: Any) -> EngineConfig:
    settings: dict[str, Any] = {
        "credentials": {ENGINE_ACCESS_KEY: ENGINE_SECRET_KEY},
        "region": "us-east-1",
    }
    settings.update(overrides)
    return EngineConfig(data_dir=data_dir, **settings)


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineEndpoint]:
    """A running engine on 127.0.0.1 (free port), shared by the session."""
    with EngineThread(_engine_config(tmp_path_factory.mktemp("engine"))) as server:
        yield EngineEndpoint(server.endpoint_url, ENGINE_ACCESS_KEY, ENGINE_SECRET_KEY)


@pytest.fixture(scope="session")
def rekognition(engine: EngineEndpoint) -> Any:
    """A signed boto3 Rekognition client for the session engine."""
    return rekognition_client(engine)


@pytest.fixture(scope="session")
def make_rekognition(engine: EngineEndpoint) -> Callable[..., Any]:
    """Build further clients for the session engine; keyword arguments override boto3's."""

    def make(**overrides: Any) -> Any:
        return rekognition_client(engine, **overrides)

    return make


@pytest.fixture
def collection_id(rekognition: Any) -> Iterator[str]:
    """A fresh, empty collection on the session engine, deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    rekognition.create_collection(CollectionId=name)
    yield name
    with contextlib.suppress(rekognition.exceptions.ResourceNotFoundException):
        rekognition.delete_collection(CollectionId=name)


@pytest.fixture
def cameras() -> Iterator[list[Camera]]:
    """Cameras a test starts (with ``start_camera``); all are stopped after it."""
    started: list[Camera] = []
    yield started
    for camera in started:
        camera.stop(GUARD_S)


@pytest.fixture
def engine_factory() -> Iterator[Callable[..., EngineThread]]:
    """Start engines on given data directories (keyword arguments override EngineConfig).

    All are stopped after the test.
    """
    started: list[EngineThread] = []

    def start(data_dir: Path, **overrides: Any) -> EngineThread:
        server = EngineThread(_engine_config(data_dir, **overrides))
        server.start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()
