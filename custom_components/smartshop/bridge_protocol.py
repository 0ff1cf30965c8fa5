"""The wire contract between a SmartShop edge bridge and Home Assistant, defined once.

Both sides use this module: the integration through ``bridge_client`` and the edge bridge
through ``edge_bridge.protocol``, which loads this very file (it imports nothing but the
standard library, so the bridge needs neither Home Assistant nor the integration's package).
Change a fact here and both sides change with it; ``tests/edge_bridge/test_protocol.py``
round-trips real bridge output through the integration's client.

- Discovery: zeroconf service ``SERVICE_TYPE``; TXT records ``TXT_ID`` (the bridge id) and
  ``TXT_API_PORT``. Discovery only says where a bridge is; it is never trusted for identity.
- Transport: HTTPS with the certificate the bridge made at its first start, pinned by the
  SHA-256 of its DER encoding (``certificate_sha256``). The pairing code carries the first
  ``FINGERPRINT_BYTES`` of that digest, so the certificate is checked before any secret is sent.
- Pairing (``POST PAIR_PATH``, no bearer token): ``PairRequest`` proves knowledge of the pairing
  secret bound to the certificate the client saw; ``PairResponse`` hands out the client's own
  API token and engine key pair, with the bridge's proof bound to the same certificate. A
  pairing code is single-use and expires; a pre-TLS bridge's key serves once, to migrate.
- HTTP API under ``API_PREFIX``; every other request carries ``Authorization: Bearer <API token>``.
  ``POST ROTATE_PATH`` issues new credentials (the old ones end at the first use of the new
  token); ``DELETE CREDENTIALS_PATH`` revokes the caller's own.
- ``GET {API_PREFIX}/info``: ``BridgeInfo``; ``GET {API_PREFIX}/events`` (WebSocket): one
  ``FaceEvent`` per person-visit, as a JSON message of type ``FACE_EVENT_TYPE``.
- ``GET footage_path(camera)``: the capture times of a camera's recorded frames around a
  moment; ``GET footage_frame_path(camera, footage_timestamp(t))``: one of them as JPEG.
- The bridge's recognition engine is reached over the same pinned TLS and signed with SigV4
  under the client's engine key pair.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
import hashlib
import hmac
import re
import secrets
from typing import Any, Final

API_VERSION: Final = "1"
API_PREFIX: Final = f"/api/v{API_VERSION}"
SERVICE_TYPE: Final = "_smartshop-bridge._tcp.local."
TXT_ID: Final = "id"
TXT_API_PORT: Final = "api_port"
TXT_API_PATH: Final = "api_path"
FACE_EVENT_TYPE: Final = "face"
HELLO_TYPE: Final = "hello"
PAIR_PATH: Final = f"{API_PREFIX}/pair"
ROTATE_PATH: Final = f"{API_PREFIX}/credentials/rotate"
CREDENTIALS_PATH: Final = f"{API_PREFIX}/credentials"

# Pairing codes: Crockford base32 (no I, L, O, U), 8 groups of 4 characters = 160 bits:
# SECRET_BYTES of single-use secret, then FINGERPRINT_BYTES of the certificate's SHA-256.
SECRET_BYTES: Final = 10
FINGERPRINT_BYTES: Final = 10
_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_ALIASES: Final = {"O": "0", "I": "1", "L": "1"}
_CODE_RE: Final = re.compile(r"[0-9A-Z]{32}")
NONCE_BYTES: Final = 16
_CLIENT_PROOF: Final = b"smartshop-pair-client-v1"
_BRIDGE_PROOF: Final = b"smartshop-pair-bridge-v1"


class ProtocolError(ValueError):
    """A message that does not follow this contract."""


def legacy_engine_access_key_id(bridge_id: str) -> str:
    """The engine access key id of a pre-TLS pairing, whose secret was the pairing key itself.

    Only used to recognise and migrate such pairings; a bridge no longer accepts it.
    """
    return f"bridge-{bridge_id}"


def certificate_sha256(der: bytes) -> bytes:
    """The pin of a bridge: the SHA-256 of its certificate in DER form."""
    return hashlib.sha256(der).digest()


def _b32encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chars = len(data) * 8 // 5
    return "".join(_CROCKFORD[(number >> (5 * (chars - 1 - i))) & 31] for i in range(chars))


def _b32decode(text: str, size: int) -> bytes:
    number = 0
    for char in text:
        number = (number << 5) | _CROCKFORD.index(char)
    return number.to_bytes(size, "big")


@dataclass(frozen=True, slots=True)
class PairingCode:
    """What the owner types into Home Assistant: a single-use secret and the bridge's pin."""

    secret: bytes = field(repr=False)
    fingerprint_prefix: bytes

    @classmethod
    def new(cls, cert_sha256: bytes) -> PairingCode:
        """A fresh random code for the bridge whose certificate has this digest."""
        return cls(secrets.token_bytes(SECRET_BYTES), cert_sha256[:FINGERPRINT_BYTES])

    @classmethod
    def parse(cls, text: str) -> PairingCode:
        """Read a typed code: case, spaces and dashes do not matter; O/I/L read as 0/1/1."""
        cleaned = "".join(
            _CROCKFORD_ALIASES.get(char, char)
            for char in text.upper()
            if not char.isspace() and char != "-"
        )
        if not _CODE_RE.fullmatch(cleaned) or any(char not in _CROCKFORD for char in cleaned):
            raise ProtocolError(
                "a pairing code is 32 letters and digits in 8 groups of 4 (XXXX-XXXX-...)"
            )
        raw = _b32decode(cleaned, SECRET_BYTES + FINGERPRINT_BYTES)
        return cls(raw[:SECRET_BYTES], raw[SECRET_BYTES:])

    def __str__(self) -> str:
        """The code as shown to the owner: ``XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX``."""
        text = _b32encode(self.secret + self.fingerprint_prefix)
        return "-".join(text[i : i + 4] for i in range(0, len(text), 4))

    def matches_certificate(self, cert_sha256: bytes) -> bool:
        """True when the certificate is the one this code was made for."""
        return hmac.compare_digest(self.fingerprint_prefix, cert_sha256[:FINGERPRINT_BYTES])


def new_nonce() -> str:
    """A fresh client nonce for a pairing request (URL-safe base64)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(NONCE_BYTES)).decode("ascii")


def _proof(label: bytes, secret: bytes, cert_sha256: bytes, nonce: str, extra: bytes) -> str:
    message = b"\x00".join((label, cert_sha256, nonce.encode("ascii"), extra))
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def client_proof(secret: bytes, cert_sha256: bytes, nonce: str) -> str:
    """The client's proof that it knows ``secret``, bound to the certificate it sees."""
    return _proof(_CLIENT_PROOF, secret, cert_sha256, nonce, b"")


def bridge_proof(
    secret: bytes, cert_sha256: bytes, nonce: str, credentials: PairedCredentials
) -> str:
    """The bridge's proof that it knows ``secret``, bound to its certificate and the credentials."""
    return _proof(_BRIDGE_PROOF, secret, cert_sha256, nonce, credentials.digest())


def proofs_equal(given: str, expected: str) -> bool:
    """Constant-time comparison of two proofs."""
    return hmac.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii"))


@dataclass(frozen=True, slots=True)
class PairRequest:
    """``POST PAIR_PATH``: who asks, and the proof over the certificate it sees."""

    client_name: str
    nonce: str
    proof: str

    def to_wire(self) -> dict[str, Any]:
        """The JSON body."""
        return {"client_name": self.client_name, "nonce": self.nonce, "proof": self.proof}

    @classmethod
    def from_wire(cls, data: Any) -> PairRequest:
        """Parse the JSON body; raises ProtocolError."""
        if not isinstance(data, dict):
            raise ProtocolError("a pairing request is a JSON object")
        name, nonce, proof = data.get("client_name"), data.get("nonce"), data.get("proof")
        if not isinstance(name, str) or not 0 < len(name) <= 100 or not name.isprintable():
            raise ProtocolError("client_name must be 1-100 printable characters")
        if not isinstance(nonce, str) or not re.fullmatch(r"[A-Za-z0-9_-]{22}==", nonce):
            raise ProtocolError("nonce must be 16 bytes of URL-safe base64")
        if not isinstance(proof, str) or not re.fullmatch(r"[0-9a-f]{64}", proof):
            raise ProtocolError("proof must be 64 lower-case hex digits")
        return cls(name, nonce, proof)


@dataclass(frozen=True, slots=True)
class PairedCredentials:
    """A client's own credentials on one bridge."""

    client_id: str
    api_token: str = field(repr=False)
    engine_access_key_id: str
    engine_secret_access_key: str = field(repr=False)

    def digest(self) -> bytes:
        """What the bridge's pairing proof covers."""
        parts = (
            self.client_id,
            self.api_token,
            self.engine_access_key_id,
            self.engine_secret_access_key,
        )
        return hashlib.sha256("\x00".join(parts).encode()).digest()

    def to_wire(self) -> dict[str, Any]:
        """The JSON object inside pairing and rotation answers."""
        return {
            "client_id": self.client_id,
            "api_token": self.api_token,
            "engine_access_key_id": self.engine_access_key_id,
            "engine_secret_access_key": self.engine_secret_access_key,
        }

    @classmethod
    def from_wire(cls, data: Any) -> PairedCredentials:
        """Parse; raises ProtocolError."""
        try:
            values = {
                key: data[key]
                for key in (
                    "client_id",
                    "api_token",
                    "engine_access_key_id",
                    "engine_secret_access_key",
                )
            }
        except (KeyError, TypeError) as err:
            raise ProtocolError(f"credentials incomplete: {err!r}") from err
        if not all(isinstance(value, str) and value for value in values.values()):
            raise ProtocolError("credentials must be non-empty strings")
        return cls(**values)


@dataclass(frozen=True, slots=True)
class PairResponse:
    """The bridge's answer to a pairing request."""

    bridge_id: str
    credentials: PairedCredentials
    proof: str

    def to_wire(self) -> dict[str, Any]:
        """The JSON body."""
        return {
            "bridge_id": self.bridge_id,
            "credentials": self.credentials.to_wire(),
            "proof": self.proof,
        }

    @classmethod
    def from_wire(cls, data: Any) -> PairResponse:
        """Parse; raises ProtocolError."""
        if not isinstance(data, dict) or not isinstance(data.get("bridge_id"), str):
            raise ProtocolError("not a pairing answer")
        proof = data.get("proof")
        if not isinstance(proof, str):
            raise ProtocolError("pairing answer without a proof")
        return cls(data["bridge_id"], PairedCredentials.from_wire(data.get("credentials")), proof)


def snapshot_path(camera_id: str) -> str:
    """Where a camera's latest frame is served as JPEG."""
    return f"{API_PREFIX}/cameras/{camera_id}/snapshot.jpg"


def stream_path(camera_id: str) -> str:
    """Where a camera's MJPEG stream is served."""
    return f"{API_PREFIX}/cameras/{camera_id}/stream.mjpeg"


def footage_path(camera_id: str) -> str:
    """Where a camera's recorded frames are listed (``?around=<epoch s>&span=<s>``).

    The answer is ``{"camera_id", "timestamps": [epoch s, ...], "retention_minutes"}``: the
    capture times of the frames within ``span`` seconds either side of ``around``.
    """
    return f"{API_PREFIX}/cameras/{camera_id}/footage"


def footage_timestamp(timestamp: float) -> str:
    """A recorded frame's capture time as its path names it (epoch s, to the millisecond)."""
    return f"{timestamp:.3f}"


def footage_frame_path(camera_id: str, timestamp: str) -> str:
    """Where one recorded frame is served as JPEG (``timestamp`` from ``footage_timestamp``)."""
    return f"{footage_path(camera_id)}/{timestamp}.jpg"


@dataclass(frozen=True, slots=True)
class BridgeCamera:
    """A camera the bridge reads, as ``/info`` lists it."""

    camera_id: str
    name: str
    location: str | None
    connected: bool

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of one camera in ``/info``."""
        return {
            "id": self.camera_id,
            "name": self.name,
            "location": self.location,
            "connected": self.connected,
            "snapshot_path": snapshot_path(self.camera_id),
            "stream_path": stream_path(self.camera_id),
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> BridgeCamera:
        """Parse one camera of ``/info``."""
        camera_id = str(data["id"])
        return cls(
            camera_id=camera_id,
            name=str(data.get("name") or camera_id),
            location=data.get("location") or None,
            connected=bool(data.get("connected", False)),
        )


@dataclass(frozen=True, slots=True)
class BridgeInfo:
    """What ``/info`` says about a bridge."""

    bridge_id: str
    version: str
    cameras: tuple[BridgeCamera, ...]
    engine_port: int | None

    def to_wire(self) -> dict[str, Any]:
        """The JSON object ``/info`` answers with (the bridge may add more fields)."""
        return {
            "bridge_id": self.bridge_id,
            "version": self.version,
            "api_version": API_VERSION,
            "cameras": [camera.to_wire() for camera in self.cameras],
            "engine": {"enabled": self.engine_port is not None, "port": self.engine_port},
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> BridgeInfo:
        """Parse ``/info``; raises ProtocolError when it is not a bridge's answer."""
        try:
            engine = data.get("engine") or {}
            port = engine.get("port") if engine.get("enabled", True) else None
            return cls(
                bridge_id=str(data["bridge_id"]),
                version=str(data.get("version", "")),
                cameras=tuple(BridgeCamera.from_wire(item) for item in data.get("cameras", [])),
                engine_port=int(port) if port else None,
            )
        except (AttributeError, KeyError, TypeError, ValueError) as err:
            raise ProtocolError(f"not a bridge's /info: {err!r}") from err


@dataclass(frozen=True, slots=True)
class FaceEvent:
    """One person-visit's best face crop. The crop is only ever held in memory."""

    event_id: str
    bridge_id: str
    camera_id: str
    track_id: int
    visit_id: str
    reason: str  # good_shot | settled | track_ended
    first_seen: float  # epoch seconds: the face was first detected in a captured frame
    best_at: float  # epoch seconds: capture time of the frame the crop comes from
    emitted_at: float  # epoch seconds: the event left the bridge's pipeline
    crop_jpeg: bytes = field(repr=False)
    crop_width: int
    crop_height: int
    quality: dict[str, float]
    bbox: tuple[int, int, int, int]  # x, y, w, h in frame pixels
    frame_width: int
    frame_height: int

    def to_wire(self) -> dict[str, Any]:
        """The WebSocket JSON message; the crop is base64 JPEG."""
        x, y, w, h = self.bbox
        return {
            "type": FACE_EVENT_TYPE,
            "event_id": self.event_id,
            "bridge_id": self.bridge_id,
            "camera_id": self.camera_id,
            "track_id": self.track_id,
            "visit_id": self.visit_id,
            "reason": self.reason,
            "first_seen": self.first_seen,
            "best_at": self.best_at,
            "emitted_at": self.emitted_at,
            "quality": dict(self.quality),
            "bbox": {"x": x, "y": y, "w": w, "h": h},
            "frame": {"width": self.frame_width, "height": self.frame_height},
            "crop": {
                "content_type": "image/jpeg",
                "width": self.crop_width,
                "height": self.crop_height,
                "jpeg_b64": base64.b64encode(self.crop_jpeg).decode("ascii"),
            },
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> FaceEvent:
        """Parse a face message; raises ProtocolError for a malformed one."""
        if not isinstance(data, dict) or data.get("type") != FACE_EVENT_TYPE:
            raise ProtocolError("not a face event")
        try:
            crop = data["crop"]
            bbox = data["bbox"]
            return cls(
                event_id=str(data["event_id"]),
                bridge_id=str(data["bridge_id"]),
                camera_id=str(data["camera_id"]),
                track_id=int(data["track_id"]),
                visit_id=str(data["visit_id"]),
                reason=str(data["reason"]),
                first_seen=float(data["first_seen"]),
                best_at=float(data["best_at"]),
                emitted_at=float(data["emitted_at"]),
                crop_jpeg=base64.b64decode(crop["jpeg_b64"], validate=True),
                crop_width=int(crop["width"]),
                crop_height=int(crop["height"]),
                quality={str(k): float(v) for k, v in dict(data["quality"]).items()},
                bbox=(int(bbox["x"]), int(bbox["y"]), int(bbox["w"]), int(bbox["h"])),
                frame_width=int(data["frame"]["width"]),
                frame_height=int(data["frame"]["height"]),
            )
        except (AttributeError, KeyError, TypeError, ValueError, binascii.Error) as err:
            raise ProtocolError(f"malformed face event: {err!r}") from err
