"""Fixtures for the Home Assistant integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
import secrets
import time
from typing import Any
from unittest.mock import patch

from aiohttp import web
from aiohttp.test_utils import TestServer
import boto3
from botocore.stub import ANY, Stubber
from homeassistant.components.camera import Camera
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    setup_test_component_platform,
)

from custom_components.smartshop.bridge_protocol import (
    CREDENTIALS_PATH,
    PAIR_PATH,
    ROTATE_PATH,
    PairedCredentials,
    PairingCode,
    PairRequest,
    PairResponse,
    ProtocolError,
    bridge_proof,
    client_proof,
    footage_frame_path,
    footage_path,
    footage_timestamp,
    proofs_equal,
)
from custom_components.smartshop.const import (
    CONF_ACCESS_KEY_ID,
    CONF_AI_OPT_OUT,
    CONF_API_TOKEN,
    CONF_BACKEND,
    CONF_BRIDGE_HOST,
    CONF_BRIDGE_ID,
    CONF_BRIDGE_KEY,
    CONF_BRIDGE_PORT,
    CONF_CAMERA_ENTITY,
    CONF_CATEGORY,
    CONF_CERT_SHA256,
    CONF_CLIENT_ID,
    CONF_COLLECTION_ID,
    CONF_DPIA_DONE,
    CONF_ENGINE_ACCESS_KEY_ID,
    CONF_ENGINE_ON_BRIDGE,
    CONF_ENGINE_PORT,
    CONF_ENGINE_SECRET_ACCESS_KEY,
    CONF_LOCATION,
    CONF_NAME,
    CONF_OWNED,
    CONF_REGION,
    CONF_SECRET_ACCESS_KEY,
    CONF_SIGNAGE_UP,
    CONF_STORE_ID,
    CONF_STORE_NAME,
    DOMAIN,
    SUBENTRY_CAMERA,
    SUBENTRY_WATCHLIST,
)
from edge_bridge.tls import BridgeCertificate, load_or_create_certificate
from tests.face_events import face_event

FIXTURES = Path(__file__).parent.parent / "fixtures"
ACCESS_KEY = "AKIATESTSMARTSHOP01"
SECRET_KEY = "s3cr3t/SmartShop+TestSecretKey0000000000"
# The fixture store's generated id (its unique id). Its watchlist's collection predates it: it
# was made when store ids were slugified names, and collection ids are stored, never recomputed.
STORE_ID = "5f1c0b9e2a7d4e3f8c6b1a0d9e8f7a6b"
COLLECTION = "smartshop-high-street-theft"
BRIDGE_ID = "back-office"
BRIDGE_KEY = "pairing-key-7Hq2xVb9LmZ4"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/smartshop."""


@pytest.fixture(autouse=True)
def private_config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """Files the integration writes (the incident database) go to a fresh folder per test."""
    hass.config.config_dir = str(tmp_path)


@pytest.fixture
def face_jpeg() -> bytes:
    """A public-domain photo with exactly one face."""
    return (FIXTURES / "faces" / "astronaut.jpg").read_bytes()


@pytest.fixture
def photo(hass: HomeAssistant, tmp_path: Path, face_jpeg: bytes) -> str:
    """A photo in a directory Home Assistant may read (outside SmartShop's own folders); a
    module may define its own."""
    folder = tmp_path / "photos"
    folder.mkdir()
    hass.config.allowlist_external_dirs = {str(folder)}
    path = folder / "photo.jpg"
    path.write_bytes(face_jpeg)
    return str(path)


class Rekognition:
    """A real boto3 Rekognition client whose answers are scripted with botocore's Stubber.

    Stubber checks every request against the real service model, so request shapes and error
    codes are AWS's own; only the network is left out.
    """

    def __init__(self) -> None:
        self.client = boto3.client(
            "rekognition",
            region_name="eu-west-2",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )
        self.stub = Stubber(self.client)
        self.stub.activate()

    def ok(
        self, method: str, response: dict[str, Any], params: dict[str, Any] | None = None
    ) -> None:
        self.stub.add_response(method, response, params)

    def error(self, method: str, code: str, message: str = "", status: int = 400) -> None:
        self.stub.add_client_error(method, code, message or code, http_status_code=status)

    def credentials_ok(self) -> None:
        """The DescribeCollection probe that proves keys work (the probe collection never exists)."""
        self.error("describe_collection", "ResourceNotFoundException")

    def collection_exists(self, collection_id: str = COLLECTION) -> None:
        self.ok(
            "create_collection",
            {
                "StatusCode": 200,
                "CollectionArn": f"aws:rekognition:eu-west-2:1:collection/{collection_id}",
                "FaceModelVersion": "7.0",
            },
            {"CollectionId": collection_id},
        )

    def detect(self, *boxes: tuple[float, float, float, float]) -> None:
        self.ok(
            "detect_faces",
            {
                "FaceDetails": [
                    {
                        "BoundingBox": {"Left": x, "Top": y, "Width": w, "Height": h},
                        "Confidence": 99.9,
                    }
                    for x, y, w, h in boxes
                ]
            },
            {"Image": {"Bytes": ANY}, "Attributes": ["DEFAULT"]},
        )

    def index(
        self, collection_id: str = COLLECTION, face_id: str = "11111111-1111-1111-1111-111111111111"
    ) -> None:
        self.ok(
            "index_faces",
            {
                "FaceRecords": [
                    {
                        "Face": {
                            "FaceId": face_id,
                            "BoundingBox": {"Left": 0.3, "Top": 0.1, "Width": 0.3, "Height": 0.4},
                            "ImageId": "22222222-2222-2222-2222-222222222222",
                            "ExternalImageId": "x",
                            "Confidence": 99.9,
                        },
                        "FaceDetail": {"Confidence": 99.9},
                    }
                ],
                "UnindexedFaces": [],
                "FaceModelVersion": "7.0",
            },
        )

    def search(self, matches: list[tuple[str, float]], collection_id: str = COLLECTION) -> None:
        self.ok(
            "search_faces_by_image",
            {
                "SearchedFaceBoundingBox": {"Left": 0.3, "Top": 0.1, "Width": 0.3, "Height": 0.4},
                "SearchedFaceConfidence": 99.9,
                "FaceMatches": [
                    {
                        "Similarity": similarity,
                        "Face": {
                            "FaceId": f"face-of-{external_id}"[:36],
                            "ExternalImageId": external_id,
                            "Confidence": 99.9,
                            "BoundingBox": {"Left": 0.3, "Top": 0.1, "Width": 0.3, "Height": 0.4},
                        },
                    }
                    for external_id, similarity in matches
                ],
                "FaceModelVersion": "7.0",
            },
        )

    def assert_done(self) -> None:
        self.stub.assert_no_pending_responses()


@pytest.fixture
def rekognition() -> Iterator[Rekognition]:
    """Every RecognitionClient the integration builds talks to this stubbed client."""
    stubbed = Rekognition()
    with patch(
        "custom_components.smartshop.recognition.create_boto3_client", return_value=stubbed.client
    ):
        yield stubbed


def theft_watchlist() -> ConfigSubentryData:
    """The "Theft" watchlist subentry on ``COLLECTION``, owned by its store."""
    return ConfigSubentryData(
        subentry_type=SUBENTRY_WATCHLIST,
        title="Theft",
        unique_id=COLLECTION,
        data={
            CONF_NAME: "Theft",
            CONF_CATEGORY: "theft",
            CONF_COLLECTION_ID: COLLECTION,
            CONF_OWNED: True,
        },
    )


def store_entry(
    *,
    confirmed: bool = True,
    watchlist: bool = True,
    camera: str | None = "camera.front_door",
    options: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    legacy: bool = False,
) -> MockConfigEntry:
    """A store on AWS (or as ``data`` overrides) with (optionally) one watchlist and one camera.

    ``legacy`` saves it as version 1.1 did: unique id the slugified name, no store id.
    """
    subentries: list[ConfigSubentryData] = []
    if watchlist:
        subentries.append(theft_watchlist())
    if camera:
        subentries.append(
            ConfigSubentryData(
                subentry_type=SUBENTRY_CAMERA,
                title="Front door",
                unique_id=camera,
                data={CONF_CAMERA_ENTITY: camera, CONF_LOCATION: "Front door"},
            )
        )
    identity = {} if legacy else {CONF_STORE_ID: STORE_ID}
    return MockConfigEntry(
        domain=DOMAIN,
        title="High Street",
        unique_id="high_street" if legacy else STORE_ID,
        version=1,
        minor_version=1 if legacy else 3,
        data={
            CONF_STORE_NAME: "High Street",
            **identity,
            CONF_BACKEND: "aws",
            CONF_ACCESS_KEY_ID: ACCESS_KEY,
            CONF_SECRET_ACCESS_KEY: SECRET_KEY,
            CONF_REGION: "eu-west-2",
        }
        | (data or {}),
        options={CONF_DPIA_DONE: confirmed, CONF_SIGNAGE_UP: confirmed, CONF_AI_OPT_OUT: confirmed}
        | (options or {}),
        subentries_data=subentries,
    )


class StillCamera(Camera):
    """A real camera entity that serves whatever image the test gives it."""

    _attr_name = "Front door"
    _attr_unique_id = "front_door_camera"

    def __init__(self, image: bytes) -> None:
        super().__init__()
        self.image = image

    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        return self.image


@pytest.fixture
def still_camera(hass: HomeAssistant, face_jpeg: bytes) -> Generator[StillCamera]:
    """camera.front_door, set up through Home Assistant's camera component."""
    camera = StillCamera(face_jpeg)
    setup_test_component_platform(hass, "camera", [camera])
    yield camera


# After this many wrong proofs the fake bridge answers 429, as a real one does.
PAIRING_ATTEMPTS = 5


class FakeBridge:
    """An edge bridge's API on loopback, over TLS with its own certificate, as the real one.

    It pairs clients by code (``new_code``) or, once, by the old shared key of a bridge updated
    from the version before TLS (``legacy_key``); gives each client its own token; rotates and
    revokes them. ``/info`` and an idle event WebSocket sit behind the tokens. With ``tls``
    False it plays that older bridge instead: plain HTTP, the shared key as bearer token, no
    pairing. ``impostor`` answers pairing without knowing any secret (a device that took the
    bridge's address). Tests change ``bridge_id`` or ``engine_port`` to play a different bridge.
    ``footage`` holds each camera's recorded frames (epoch seconds -> JPEG); a camera missing
    from it answers as a bridge whose footage buffer is off.
    """

    def __init__(self, certificate: BridgeCertificate, *, tls: bool = True) -> None:
        self.bridge_id = BRIDGE_ID
        self.certificate = certificate
        self.tls = tls
        self.legacy_key: str | None = BRIDGE_KEY
        self.impostor = False
        self.engine_port: int | None = 8766
        self.cameras: list[dict[str, Any]] = []
        self.host = "127.0.0.1"
        self.port = 0
        self.codes: set[bytes] = set()
        self.tokens: dict[str, PairedCredentials] = {}
        self.rotations: dict[str, str] = {}  # new token -> the token it replaces
        self.client_names: list[str] = []
        self.pair_requests = 0
        self.failed_attempts = 0
        self.refused: list[str] = []  # tokens refused, in order
        self.footage: dict[str, dict[float, bytes]] = {}
        self._streams: list[web.WebSocketResponse] = []
        app = web.Application()
        app.router.add_get("/api/v1/info", self._info)
        app.router.add_get("/api/v1/events", self._events)
        app.router.add_get(footage_path("{camera_id}"), self._footage)
        app.router.add_get(footage_frame_path("{camera_id}", "{timestamp}"), self._footage_frame)
        if tls:
            app.router.add_post(PAIR_PATH, self._pair)
            app.router.add_post(ROTATE_PATH, self._rotate)
            app.router.add_delete(CREDENTIALS_PATH, self._revoke)
        self.server = TestServer(app, host=self.host)

    async def start(self) -> None:
        await self.server.start_server(ssl=self.certificate.server_context() if self.tls else None)
        self.port = int(self.server.port or 0)

    @property
    def pin(self) -> bytes:
        return self.certificate.sha256

    def new_code(self) -> str:
        """A single-use pairing code, as ``--show-pairing-code`` prints it."""
        code = PairingCode.new(self.pin)
        self.codes.add(code.secret)
        return str(code)

    def issue(self, client_name: str = "test") -> PairedCredentials:
        """New credentials for a client, as pairing makes them."""
        number = len(self.client_names) + 1
        credentials = PairedCredentials(
            client_id=f"client-{number}",
            api_token=secrets.token_urlsafe(24),
            engine_access_key_id=f"SSK{secrets.token_hex(8).upper()}",
            engine_secret_access_key=secrets.token_urlsafe(30),
        )
        self.tokens[credentials.api_token] = credentials
        self.client_names.append(client_name)
        return credentials

    def _authorised(self, request: web.Request) -> bool:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not self.tls:
            ok = self.legacy_key is not None and token == self.legacy_key
        else:
            ok = token in self.tokens
            if ok and token in self.rotations:
                # The first use of a rotated token ends the credentials it replaces.
                self.tokens.pop(self.rotations.pop(token), None)
        if not ok:
            self.refused.append(token)
        return ok

    async def _pair(self, request: web.Request) -> web.Response:
        self.pair_requests += 1
        try:
            pair_request = PairRequest.from_wire(await request.json())
        except (ProtocolError, ValueError):
            return web.json_response({"error": "bad_request"}, status=400)
        if self.failed_attempts >= PAIRING_ATTEMPTS:
            return web.json_response({"error": "too_many_attempts"}, status=429)
        secrets_known = [*self.codes, *([self.legacy_key.encode()] if self.legacy_key else [])]
        secret = next(
            (
                known
                for known in secrets_known
                if proofs_equal(
                    pair_request.proof, client_proof(known, self.pin, pair_request.nonce)
                )
            ),
            None,
        )
        if self.impostor:
            secret = b"an impostor knows no secret"
        elif secret is None:
            self.failed_attempts += 1
            return web.json_response(
                {"error": "unauthorized", "message": "wrong, used or expired code"}, status=401
            )
        elif secret in self.codes:
            self.codes.discard(secret)
        else:
            self.legacy_key = None  # the old key migrates one client, once
        credentials = self.issue(pair_request.client_name)
        proof = bridge_proof(secret, self.pin, pair_request.nonce, credentials)
        return web.json_response(PairResponse(self.bridge_id, credentials, proof).to_wire())

    async def _rotate(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "unauthorized"}, status=401)
        old = request.headers["Authorization"].removeprefix("Bearer ")
        credentials = self.issue("rotated")
        self.rotations[credentials.api_token] = old
        return web.json_response({"credentials": credentials.to_wire()})

    async def _revoke(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "unauthorized"}, status=401)
        self.tokens.pop(request.headers["Authorization"].removeprefix("Bearer "))
        return web.Response(status=204)

    async def _info(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "unauthorized"}, status=401)
        return web.json_response(
            {
                "bridge_id": self.bridge_id,
                "version": "1.0.0",
                "cameras": self.cameras,
                "engine": {"enabled": self.engine_port is not None, "port": self.engine_port},
            }
        )

    async def _events(self, request: web.Request) -> web.StreamResponse:
        if not self._authorised(request):
            return web.json_response({"error": "unauthorized"}, status=401)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._streams.append(ws)
        async for _ in ws:  # no face ever walks past; the socket stays open until closed
            pass
        self._streams.remove(ws)
        return ws

    async def _footage(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "unauthorized"}, status=401)
        frames = self.footage.get(request.match_info["camera_id"])
        if frames is None:
            return web.json_response({"error": "not_found", "message": "footage off"}, status=404)
        around, span = float(request.query["around"]), float(request.query["span"])
        stamps = sorted(t for t in frames if abs(t - around) <= span)
        return web.json_response({"timestamps": stamps, "retention_minutes": 30})

    async def _footage_frame(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "unauthorized"}, status=401)
        frames = self.footage.get(request.match_info["camera_id"], {})
        wanted = request.match_info["timestamp"]
        for stamp, jpeg in frames.items():
            if footage_timestamp(stamp) == wanted:
                return web.Response(body=jpeg, content_type="image/jpeg")
        return web.json_response({"error": "no_frame"}, status=404)

    @property
    def streaming(self) -> bool:
        """True while Home Assistant holds an event stream open."""
        return bool(self._streams)

    async def send_face(self, camera_id: str, crop_jpeg: bytes, event_id: str) -> None:
        """Push one person-visit's best crop, as the bridge's pipeline does."""
        now = time.time()
        message = face_event(
            event_id=event_id,
            bridge_id="fake-bridge",
            camera_id=camera_id,
            visit_id=f"visit-{event_id}",
            first_seen=now,
            best_at=now,
            emitted_at=now,
            crop_jpeg=crop_jpeg,
        ).to_wire()
        for ws in list(self._streams):
            await ws.send_json(message)

    async def drop_event_streams(self) -> None:
        """Close every event stream, as a bridge does when it restarts."""
        for ws in list(self._streams):
            await ws.close()

    def entry_data(self, backend: str = "engine") -> dict[str, Any]:
        """Config entry data of a store paired with this bridge (credentials issued now)."""
        credentials = self.issue("Home Assistant")
        data: dict[str, Any] = {
            CONF_STORE_NAME: "Back office",
            CONF_BACKEND: backend,
            CONF_REGION: "eu-west-2",
            CONF_BRIDGE_ID: self.bridge_id,
            CONF_BRIDGE_HOST: self.host,
            CONF_BRIDGE_PORT: self.port,
            CONF_CLIENT_ID: credentials.client_id,
            CONF_API_TOKEN: credentials.api_token,
            CONF_ENGINE_ACCESS_KEY_ID: credentials.engine_access_key_id,
            CONF_ENGINE_SECRET_ACCESS_KEY: credentials.engine_secret_access_key,
            CONF_CERT_SHA256: self.pin.hex(),
        }
        return data | self._backend_data(backend)

    def legacy_entry_data(self, backend: str = "engine") -> dict[str, Any]:
        """Config entry data of a store paired before TLS: the bridge's shared key, no pin."""
        assert self.legacy_key is not None
        data: dict[str, Any] = {
            CONF_STORE_NAME: "Back office",
            CONF_BACKEND: backend,
            CONF_REGION: "eu-west-2",
            CONF_BRIDGE_ID: self.bridge_id,
            CONF_BRIDGE_HOST: self.host,
            CONF_BRIDGE_PORT: self.port,
            CONF_BRIDGE_KEY: self.legacy_key,
        }
        return data | self._backend_data(backend)

    def _backend_data(self, backend: str) -> dict[str, Any]:
        if backend == "engine":
            return {CONF_ENGINE_ON_BRIDGE: True, CONF_ENGINE_PORT: self.engine_port}
        return {CONF_ACCESS_KEY_ID: ACCESS_KEY, CONF_SECRET_ACCESS_KEY: SECRET_KEY}


@pytest.fixture(scope="session")
def bridge_certificate(tmp_path_factory: pytest.TempPathFactory) -> BridgeCertificate:
    """The fake bridge's certificate, made as a real bridge makes it."""
    return load_or_create_certificate(tmp_path_factory.mktemp("bridge-tls"))


@pytest.fixture(scope="session")
def other_certificate(tmp_path_factory: pytest.TempPathFactory) -> BridgeCertificate:
    """Another device's certificate (a replaced bridge, or one impersonating it)."""
    return load_or_create_certificate(tmp_path_factory.mktemp("other-tls"))


@pytest.fixture
async def fake_bridge(
    hass: HomeAssistant, socket_enabled: None, bridge_certificate: BridgeCertificate
) -> AsyncIterator[FakeBridge]:
    """A bridge listening on loopback; stores still loaded at the end are unloaded first."""
    bridge = FakeBridge(bridge_certificate)
    await bridge.start()
    yield bridge
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await bridge.server.close()


def bridge_store_entry(
    bridge: FakeBridge,
    backend: str = "engine",
    *,
    minor_version: int = 3,
    legacy: bool = False,
    subentries_data: list[ConfigSubentryData] | None = None,
) -> MockConfigEntry:
    """A store paired with the fake bridge, on its engine or on AWS, with these subentries.

    ``legacy``: paired before TLS (the shared key, no credentials of its own).
    """
    return MockConfigEntry(
        domain=DOMAIN,
        title="Back office",
        unique_id=bridge.bridge_id,
        version=1,
        minor_version=minor_version,
        data=bridge.legacy_entry_data(backend) if legacy else bridge.entry_data(backend),
        options={CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True, CONF_AI_OPT_OUT: True},
        subentries_data=subentries_data,
    )


async def setup_store(
    hass: HomeAssistant, rekognition: Rekognition, entry: MockConfigEntry
) -> None:
    """Add the entry and load it with the calls set-up makes (probe + one collection)."""
    from homeassistant.setup import async_setup_component

    entry.add_to_hass(hass)
    await async_setup_component(hass, "camera", {"camera": {"platform": "test"}})
    rekognition.credentials_ok()
    for sub in entry.subentries.values():
        if sub.subentry_type == SUBENTRY_WATCHLIST:
            rekognition.collection_exists(sub.data[CONF_COLLECTION_ID])
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
