"""The wire contract between a SmartShop edge bridge and Home Assistant, defined once.

Both sides use this module: the integration through ``bridge_client`` and the edge bridge
through ``edge_bridge.protocol``, which loads this very file (it imports nothing but the
standard library, so the bridge needs neither Home Assistant nor the integration's package).
Change a fact here and both sides change with it; ``tests/edge_bridge/test_protocol.py``
round-trips real bridge output through the integration's client.

- Discovery: zeroconf service ``SERVICE_TYPE``; TXT records ``TXT_ID`` (the bridge id) and
  ``TXT_API_PORT``.
- HTTP API under ``API_PREFIX``; every request carries ``Authorization: Bearer <pairing key>``.
- ``GET {API_PREFIX}/info``: ``BridgeInfo``; ``GET {API_PREFIX}/events`` (WebSocket): one
  ``FaceEvent`` per person-visit, as a JSON message of type ``FACE_EVENT_TYPE``.
- The bridge's recognition engine accepts the pairing key as a SigV4 secret under the access
  key id ``engine_access_key_id(bridge_id)``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Final

API_VERSION: Final = "1"
API_PREFIX: Final = f"/api/v{API_VERSION}"
SERVICE_TYPE: Final = "_smartshop-bridge._tcp.local."
TXT_ID: Final = "id"
TXT_API_PORT: Final = "api_port"
TXT_API_PATH: Final = "api_path"
FACE_EVENT_TYPE: Final = "face"
HELLO_TYPE: Final = "hello"


class ProtocolError(ValueError):
    """A message that does not follow this contract."""


def engine_access_key_id(bridge_id: str) -> str:
    """The engine access key id whose secret is the bridge's pairing key.

    One pairing code thus lets Home Assistant use both the bridge API and the bridge's engine
    (signed like any Rekognition request); revoking the pairing key revokes both.
    """
    return f"bridge-{bridge_id}"


def snapshot_path(camera_id: str) -> str:
    """Where a camera's latest frame is served as JPEG."""
    return f"{API_PREFIX}/cameras/{camera_id}/snapshot.jpg"


def stream_path(camera_id: str) -> str:
    """Where a camera's MJPEG stream is served."""
    return f"{API_PREFIX}/cameras/{camera_id}/stream.mjpeg"


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
