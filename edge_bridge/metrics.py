"""Prometheus text exposition (format 0.0.4) of the bridge's figures.

The renderer reads plain figures (:class:`BridgeFigures`), never the running bridge, so this
module depends on nothing in the bridge but its version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import math
import threading
import time

from .version import BRIDGE_VERSION

type Sample = tuple[dict[str, str], float]


@dataclass(frozen=True, slots=True)
class CameraFigures:
    """One camera's counters: its capture, the inputs it skipped, and its face pipeline."""

    connected: bool
    frames_in: int
    frames_analysed: int
    frames_dropped: int
    frames_skipped: int
    reconnects: int
    stalls: int
    last_frame_at: float | None
    bad_inputs: Mapping[str, int]
    faces: int
    detect_seconds: float
    detect_frames: int
    tracks_started: int
    events: int
    suppressed_same_visit: int
    tracks_without_event: int
    embed_errors: int


@dataclass(frozen=True, slots=True)
class BridgeFigures:
    """Everything /metrics reports, read from the bridge at one moment."""

    bridge_id: str
    started_at: float
    cameras: Mapping[str, CameraFigures]
    ws_clients: int
    streams: int
    ws_events_dropped: int
    footage: FootageCounts | None = None  # None while the footage buffer is off


@dataclass(frozen=True, slots=True)
class FootageCounts:
    """The footage buffer's counters (``footage.FootageRecorder.figures`` is one)."""

    recorded: Mapping[str, int]
    dropped: Mapping[str, int]
    bytes_on_disk: int


class RefusalCounters:
    """Requests and connections refused, by server and reason; thread-safe, process-wide.

    Reasons: ``auth`` (engine SigV4 refusals), ``throttled`` (over a concurrency bound),
    ``replay`` (a signed mutating request used twice), ``bad_http`` (unparsable HTTP),
    ``over_connection_cap`` / ``over_peer_cap`` (connection closed at once: the server's or one
    peer address's cap), ``idle_timeout`` (connection closed for
    sending nothing), ``too_large`` (declared body over the limit), ``storage`` (database
    unwritable), ``pairing`` (a wrong, used or expired pairing code), ``pairing_locked`` (a
    pairing attempt while its address, or everyone, is locked out).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}

    def add(self, server: str, reason: str, count: int = 1) -> None:
        """Count ``count`` refusals of ``reason`` by ``server`` (``api`` or ``engine``)."""
        with self._lock:
            key = (server, reason)
            self._counts[key] = self._counts.get(key, 0) + count

    def get(self, server: str, reason: str) -> int:
        """The count so far."""
        with self._lock:
            return self._counts.get((server, reason), 0)

    def snapshot(self) -> dict[tuple[str, str], int]:
        """A copy of every count."""
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        """Forget every count (tests)."""
        with self._lock:
            self._counts.clear()


REFUSALS = RefusalCounters()


def escape_label(value: str) -> str:
    """Escape a label value: backslash, double quote and newline."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


class MetricsWriter:
    """Collects metric families and renders them."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> None:
        metric = f"{name}_total" if kind == "counter" else name
        self.lines.append(f"# HELP {metric} {help_text}")
        self.lines.append(f"# TYPE {metric} {kind}")
        for labels, value in samples:
            self.lines.append(f"{metric}{_labels(labels)} {_format_value(value)}")

    def summary(
        self, name: str, help_text: str, samples: Iterable[tuple[dict[str, str], float, int]]
    ) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} summary")
        for labels, total, count in samples:
            self.lines.append(f"{name}_sum{_labels(labels)} {_format_value(total)}")
            self.lines.append(f"{name}_count{_labels(labels)} {_format_value(count)}")

    def render(self) -> str:
        return "\n".join(self.lines) + "\n"


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{escape_label(value)}"' for key, value in labels.items())
    return "{" + inner + "}"


def render_metrics(figures: BridgeFigures) -> str:
    """The /metrics body."""
    out = MetricsWriter()
    out.family(
        "smartshop_bridge_info",
        "gauge",
        "Bridge identity (always 1).",
        [({"bridge_id": figures.bridge_id, "version": BRIDGE_VERSION}, 1)],
    )
    out.family(
        "smartshop_bridge_uptime_seconds",
        "gauge",
        "Seconds since the bridge started.",
        [({}, round(time.time() - figures.started_at, 3))],
    )
    cameras = figures.cameras

    def per_camera(attr: str) -> list[Sample]:
        return [({"camera": cid}, float(getattr(c, attr))) for cid, c in cameras.items()]

    out.family(
        "smartshop_camera_connected",
        "gauge",
        "1 while the camera delivers frames.",
        [({"camera": cid}, 1.0 if c.connected else 0.0) for cid, c in cameras.items()],
    )
    counters = [
        ("smartshop_camera_frames_in", "frames_in", "Frames read from the camera."),
        ("smartshop_camera_frames_analysed", "frames_analysed", "Frames run through detection."),
        (
            "smartshop_camera_frames_dropped",
            "frames_dropped",
            "Frames dropped (oldest first) because analysis was behind.",
        ),
        (
            "smartshop_camera_frames_skipped",
            "frames_skipped",
            "Live frames skipped by the camera's fps limit.",
        ),
        ("smartshop_camera_reconnects", "reconnects", "Reconnection attempts."),
        ("smartshop_camera_stalls", "stalls", "Readers abandoned by the watchdog."),
    ]
    for name, attr, help_text in counters:
        out.family(name, "counter", help_text, per_camera(attr))
    out.family(
        "smartshop_camera_last_frame_timestamp_seconds",
        "gauge",
        "Capture time of the newest frame (epoch seconds; 0 before the first frame).",
        [({"camera": cid}, c.last_frame_at or 0.0) for cid, c in cameras.items()],
    )
    out.family(
        "smartshop_camera_bad_inputs",
        "counter",
        "Inputs skipped as unusable, by reason.",
        [
            ({"camera": cid, "reason": reason}, float(count))
            for cid, c in cameras.items()
            for reason, count in sorted(c.bad_inputs.items())
        ],
    )
    out.family("smartshop_faces_detected", "counter", "Faces detected.", per_camera("faces"))
    out.summary(
        "smartshop_detect_seconds",
        "Time spent in face detection.",
        [({"camera": cid}, c.detect_seconds, c.detect_frames) for cid, c in cameras.items()],
    )
    out.family(
        "smartshop_tracks_started",
        "counter",
        "Face tracks started.",
        per_camera("tracks_started"),
    )
    out.family(
        "smartshop_face_events",
        "counter",
        "Face events emitted (one per person-visit).",
        per_camera("events"),
    )
    out.family(
        "smartshop_face_events_suppressed",
        "counter",
        "Tracks recognised as a visit that already had its event.",
        per_camera("suppressed_same_visit"),
    )
    out.family(
        "smartshop_tracks_without_event",
        "counter",
        "Tracks that ended without a usable shot.",
        per_camera("tracks_without_event"),
    )
    out.family(
        "smartshop_embed_errors",
        "counter",
        "Best shots that could not be embedded.",
        per_camera("embed_errors"),
    )
    out.family(
        "smartshop_ws_clients",
        "gauge",
        "Connected event WebSocket clients.",
        [({}, float(figures.ws_clients))],
    )
    out.family(
        "smartshop_mjpeg_streams", "gauge", "Open MJPEG streams.", [({}, float(figures.streams))]
    )
    out.family(
        "smartshop_ws_events_dropped",
        "counter",
        "Events dropped for WebSocket clients that read too slowly.",
        [({}, float(figures.ws_events_dropped))],
    )
    if (footage := figures.footage) is not None:
        out.family(
            "smartshop_footage_frames_recorded",
            "counter",
            "Frames stored in the footage buffer.",
            [({"camera": cid}, float(n)) for cid, n in sorted(footage.recorded.items())],
        )
        out.family(
            "smartshop_footage_frames_dropped",
            "counter",
            "Frames not stored because the disk was slow (or a write failed).",
            [({"camera": cid}, float(n)) for cid, n in sorted(footage.dropped.items())],
        )
        out.family(
            "smartshop_footage_bytes",
            "gauge",
            "Bytes the footage buffer takes on disk.",
            [({}, float(footage.bytes_on_disk))],
        )
    out.family(
        "smartshop_refused",
        "counter",
        "Requests and connections refused, by server and reason.",
        [
            ({"server": server, "reason": reason}, float(count))
            for (server, reason), count in sorted(REFUSALS.snapshot().items())
        ],
    )
    return out.render()
