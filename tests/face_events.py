"""A face event as a bridge sends it, for tests that play the bridge's part."""

from __future__ import annotations

from typing import Any

from custom_components.smartshop.bridge_protocol import FaceEvent


def face_event(**overrides: Any) -> FaceEvent:
    """A well-formed face event; keyword arguments replace any field."""
    fields: dict[str, Any] = {
        "event_id": "e1",
        "bridge_id": "shop",
        "camera_id": "door",
        "track_id": 1,
        "visit_id": "v1",
        "reason": "good_shot",
        "first_seen": 1.0,
        "best_at": 1.5,
        "emitted_at": 2.0,
        "crop_jpeg": b"\xff\xd8\xff\x00",
        "crop_width": 112,
        "crop_height": 112,
        "quality": {"score": 0.8},
        "bbox": (10, 10, 112, 112),
        "frame_width": 640,
        "frame_height": 480,
    }
    return FaceEvent(**(fields | overrides))
