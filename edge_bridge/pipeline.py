"""Per-camera faces pipeline: detect -> track -> quality -> one face event per person-visit.

When a track sends its event (the documented policy, tuned for low latency):

* at once, when a shot scores ``quality.good_score`` or better and the track has at least
  ``visits.min_hits`` detections (so a one-frame false detection never becomes an event);
* otherwise after ``visits.settle_s`` seconds or ``visits.settle_frames`` detections, whichever
  comes first, with the best shot so far, if it scores at least ``quality.min_score``;
* otherwise when the track ends, if its best shot reaches ``quality.min_score``.

A track sends at most one event. Before sending, the best shot is embedded (SFace, one
embedding per track) and compared with this camera's recent visits: cosine similarity of at
least ``visits.same_person_threshold`` with a visit last seen less than ``visits.visit_gap_s``
ago means the same person is still (or again) here, and the event is suppressed. Time for the
visit gap is *observed* time: it advances only while frames arrive (at most 1 s per frame), so
a stream outage does not turn a person still in view into a new visit. Embeddings live only in
memory and are forgotten once their visit is over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import logging
import math
import threading
import time
import uuid

import cv2
import numpy as np

from .capture import Camera, Frame
from .detect import DetectedFace, FaceDetector
from .embed import FaceEmbedder
from .events import FaceEvent
from .quality import Quality, assess
from .settings import BridgeConfig, DetectionSettings, QualitySettings, VisitSettings
from .track import Track, Tracker

_LOGGER = logging.getLogger(__name__)

CROP_MARGIN = 0.4  # of the face size, on each side
MIN_CROP_PX = 112
MAX_CROP_PX = 400
JPEG_QUALITY = 90
MAX_OBSERVED_STEP_S = 1.0
MAX_EMBEDDINGS_PER_VISIT = 5


@dataclass(slots=True)
class Shot:
    """A candidate best shot: the face region (with margin) copied out of the full frame."""

    quality: Quality
    crop: np.ndarray = field(repr=False)
    face_in_crop: DetectedFace
    bbox: tuple[int, int, int, int]
    frame_size: tuple[int, int]
    captured_at: float


@dataclass(slots=True)
class Visit:
    """A person's presence at this camera, remembered for ``visit_gap_s`` after last seen."""

    id: str
    embeddings: list[np.ndarray] = field(repr=False)
    last_seen: float  # observed clock


@dataclass(slots=True)
class _TrackState:
    track: Track
    first_seen: float  # wall clock
    best: Shot | None = None
    done: bool = False  # emitted or suppressed
    visit: Visit | None = None


@dataclass(slots=True)
class PipelineStats:
    """Counters for /metrics."""

    frames: int = 0
    faces: int = 0
    detect_seconds: float = 0.0
    tracks_started: int = 0
    events: int = 0
    suppressed_same_visit: int = 0
    tracks_without_event: int = 0
    embed_errors: int = 0
    last_detect_ms: float = 0.0


class VisitMemory:
    """Recent visits on one camera, matched by embedding."""

    def __init__(self, settings: VisitSettings) -> None:
        self.settings = settings
        self.visits: list[Visit] = []

    def match(self, embedding: np.ndarray, now: float) -> Visit | None:
        best: Visit | None = None
        best_sim = self.settings.same_person_threshold
        for visit in self.visits:
            if now - visit.last_seen > self.settings.visit_gap_s:
                continue
            sim = max(float(np.dot(embedding, other)) for other in visit.embeddings)
            if sim >= best_sim:
                best, best_sim = visit, sim
        return best

    def add(self, embedding: np.ndarray | None, now: float) -> Visit:
        visit = Visit(uuid.uuid4().hex, [embedding] if embedding is not None else [], now)
        if embedding is not None:
            self.visits.append(visit)
        return visit

    @staticmethod
    def extend(visit: Visit, embedding: np.ndarray, now: float) -> None:
        visit.last_seen = max(visit.last_seen, now)
        if len(visit.embeddings) < MAX_EMBEDDINGS_PER_VISIT:
            visit.embeddings.append(embedding)

    def purge(self, now: float, active: set[str]) -> None:
        gap = self.settings.visit_gap_s
        self.visits = [v for v in self.visits if v.id in active or now - v.last_seen <= gap]


class FacePipeline:
    """Turns one camera's frames into face events. Not thread-safe: one thread per camera."""

    def __init__(
        self,
        *,
        bridge_id: str,
        camera_id: str,
        detector: FaceDetector,
        embedder: FaceEmbedder | None,
        detection: DetectionSettings,
        tracker: Tracker,
        quality: QualitySettings,
        visits: VisitSettings,
        analysis_width: int | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if visits.dedupe == "embedding" and embedder is None:
            raise ValueError("visit de-duplication by embedding needs a FaceEmbedder")
        self.bridge_id = bridge_id
        self.camera_id = camera_id
        self.detector = detector
        self.embedder = embedder if visits.dedupe == "embedding" else None
        self.detection = detection
        self.tracker = tracker
        self.quality = quality
        self.visits = visits
        self.analysis_width = analysis_width or detection.analysis_width
        self.memory = VisitMemory(visits)
        self.stats = PipelineStats()
        self._states: dict[int, _TrackState] = {}
        self._wall_clock = wall_clock
        self._observed = 0.0
        self._last_media: float | None = None
        self._session: int | None = None
        self.stats_lock = threading.Lock()

    @classmethod
    def from_config(
        cls,
        config: BridgeConfig,
        camera_id: str,
        detector: FaceDetector,
        embedder: FaceEmbedder | None,
        analysis_width: int | None = None,
    ) -> FacePipeline:
        return cls(
            bridge_id=config.bridge_id,
            camera_id=camera_id,
            detector=detector,
            embedder=embedder,
            detection=config.detection,
            tracker=Tracker(config.tracking),
            quality=config.quality,
            visits=config.visits,
            analysis_width=analysis_width,
        )

    @property
    def observed_time(self) -> float:
        return self._observed

    # ------------------------------------------------------------------ per frame

    def process(self, frame: Frame) -> list[FaceEvent]:
        """Analyse one frame; return the events it completes (usually none)."""
        events: list[FaceEvent] = []
        if self._session is not None and frame.session != self._session:
            events += self._end_tracks(self.tracker.end_all())
        now = self._advance_clock(frame)
        faces = self._detect(frame.image)
        update = self.tracker.update(faces, now)
        for track in update.started:
            self._states[track.id] = _TrackState(track=track, first_seen=frame.captured_at)
        height, width = frame.image.shape[:2]
        for track, face in update.matched:
            state = self._states[track.id]
            if state.visit is not None:
                state.visit.last_seen = now
            if state.done:
                continue
            quality = assess(frame.image, face, self.quality)
            if quality.ok and (state.best is None or quality.score > state.best.quality.score):
                state.best = _make_shot(frame, face, quality, (width, height))
            reason = self._ready(state, now)
            if reason is not None:
                event = self._finish(state, reason, now)
                if event is not None:
                    events.append(event)
        events += self._end_tracks(update.ended)
        active = {s.visit.id for s in self._states.values() if s.visit is not None}
        self.memory.purge(now, active)
        with self.stats_lock:
            self.stats.frames += 1
            self.stats.faces += len(faces)
            self.stats.tracks_started += len(update.started)
        return events

    def flush(self) -> list[FaceEvent]:
        """End every track (camera stopped or ended) and send what is still pending."""
        return self._end_tracks(self.tracker.end_all())

    # ------------------------------------------------------------------ steps

    def _advance_clock(self, frame: Frame) -> float:
        if self._last_media is not None and frame.session == self._session:
            step = frame.media_ts - self._last_media
            self._observed += min(max(step, 0.0), MAX_OBSERVED_STEP_S)
        self._last_media = frame.media_ts
        self._session = frame.session
        return self._observed

    def _detect(self, image: np.ndarray) -> list[DetectedFace]:
        height, width = image.shape[:2]
        scale = 1.0
        small = image
        if width > self.analysis_width:
            scale = self.analysis_width / width
            size = (self.analysis_width, max(1, round(height * scale)))
            small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        started = time.perf_counter()
        faces = self.detector.detect(small)
        elapsed = time.perf_counter() - started
        with self.stats_lock:
            self.stats.detect_seconds += elapsed
            self.stats.last_detect_ms = elapsed * 1000.0
        faces = faces[: self.detection.max_faces]
        if scale != 1.0:
            faces = [face.scaled(1.0 / scale) for face in faces]
        return faces

    def _ready(self, state: _TrackState, now: float) -> str | None:
        best = state.best
        track = state.track
        if best is None or track.hits < self.visits.min_hits:
            return None
        if best.quality.score >= self.quality.good_score:
            return "good_shot"
        if best.quality.score >= self.quality.min_score and (
            now - track.first_seen >= self.visits.settle_s
            or track.hits >= self.visits.settle_frames
        ):
            return "settled"
        return None

    def _end_tracks(self, tracks: list[Track]) -> list[FaceEvent]:
        events: list[FaceEvent] = []
        for track in tracks:
            state = self._states.pop(track.id, None)
            if state is None or state.done:
                continue
            best = state.best
            if (
                best is not None
                and track.hits >= self.visits.min_hits
                and best.quality.score >= self.quality.min_score
            ):
                event = self._finish(state, "track_ended", self._observed)
                if event is not None:
                    events.append(event)
            else:
                with self.stats_lock:
                    self.stats.tracks_without_event += 1
            state.best = None  # drop the crop from memory
        return events

    def _finish(self, state: _TrackState, reason: str, now: float) -> FaceEvent | None:
        """Send the track's event, or suppress it when the person's visit already has one."""
        state.done = True
        shot = state.best
        state.best = None  # the crop leaves memory once this returns
        if shot is None:
            return None
        embedding = self._embed(shot)
        if embedding is not None:
            visit = self.memory.match(embedding, now)
            if visit is not None:
                self.memory.extend(visit, embedding, now)
                state.visit = visit
                with self.stats_lock:
                    self.stats.suppressed_same_visit += 1
                _LOGGER.debug(
                    "camera %s: track %d is visit %s again; no new event",
                    self.camera_id,
                    state.track.id,
                    visit.id,
                )
                return None
        state.visit = self.memory.add(embedding, now)
        event = self._event(state, shot, reason, state.visit.id)
        with self.stats_lock:
            self.stats.events += 1
        return event

    def _embed(self, shot: Shot) -> np.ndarray | None:
        if self.embedder is None:
            return None
        try:
            return self.embedder.embed(shot.crop, shot.face_in_crop)
        except (cv2.error, ValueError) as err:
            with self.stats_lock:
                self.stats.embed_errors += 1
            _LOGGER.warning("camera %s: could not embed a face shot: %s", self.camera_id, err)
            return None

    def _event(self, state: _TrackState, shot: Shot, reason: str, visit_id: str) -> FaceEvent:
        crop = _sized_crop(shot.crop)
        ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise RuntimeError("JPEG encoding of a face crop failed")
        height, width = crop.shape[:2]
        return FaceEvent(
            event_id=uuid.uuid4().hex,
            bridge_id=self.bridge_id,
            camera_id=self.camera_id,
            track_id=state.track.id,
            visit_id=visit_id,
            reason=reason,
            crop_jpeg=encoded.tobytes(),
            crop_width=width,
            crop_height=height,
            quality=shot.quality.as_dict(),
            bbox=shot.bbox,
            frame_width=shot.frame_size[0],
            frame_height=shot.frame_size[1],
            first_seen=state.first_seen,
            best_at=shot.captured_at,
            emitted_at=self._wall_clock(),
        )


def _make_shot(
    frame: Frame, face: DetectedFace, quality: Quality, frame_size: tuple[int, int]
) -> Shot:
    width, height = frame_size
    side = max(face.w, face.h) * (1.0 + 2.0 * CROP_MARGIN)
    cx, cy = face.x + face.w / 2.0, face.y + face.h / 2.0
    left = max(0, math.floor(cx - side / 2.0))
    top = max(0, math.floor(cy - side / 2.0))
    right = min(width, math.ceil(cx + side / 2.0))
    bottom = min(height, math.ceil(cy + side / 2.0))
    crop = frame.image[top:bottom, left:right].copy()
    bbox = (
        max(0, round(face.x)),
        max(0, round(face.y)),
        round(min(face.w, width - max(face.x, 0.0))),
        round(min(face.h, height - max(face.y, 0.0))),
    )
    return Shot(
        quality=quality,
        crop=crop,
        face_in_crop=face.scaled(1.0, -left, -top),
        bbox=bbox,
        frame_size=frame_size,
        captured_at=frame.captured_at,
    )


def _sized_crop(crop: np.ndarray) -> np.ndarray:
    """At least 112 px on the short side (upscaled if needed), at most 400 px on the long side."""
    height, width = crop.shape[:2]
    short, long = min(width, height), max(width, height)
    factor = 1.0
    if short < MIN_CROP_PX:
        factor = MIN_CROP_PX / short
    elif long > MAX_CROP_PX:
        factor = max(MAX_CROP_PX / long, MIN_CROP_PX / short)
    if factor == 1.0:
        return crop
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    interpolation = cv2.INTER_CUBIC if factor > 1.0 else cv2.INTER_AREA
    return cv2.resize(crop, size, interpolation=interpolation)


class CameraWorker:
    """The analysis thread of one camera: takes frames off its queue and runs the pipeline."""

    def __init__(
        self,
        camera: Camera,
        pipeline: FacePipeline,
        publish: Callable[[FaceEvent], None],
    ) -> None:
        self.camera = camera
        self.pipeline = pipeline
        self.publish = publish
        self._thread = threading.Thread(target=self._run, name=f"pipeline-{camera.id}", daemon=True)
        self._errors = 0
        self.finished = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        queue = self.camera.queue
        try:
            while True:
                frame = queue.get(timeout=0.5)
                if frame is None:
                    if queue.closed:
                        break
                    continue
                self._process(frame)
            for event in self.pipeline.flush():
                self.publish(event)
        finally:
            self.finished.set()

    def _process(self, frame: Frame) -> None:
        try:
            events = self.pipeline.process(frame)
        except Exception:
            self._errors += 1
            if self._errors <= 3 or self._errors % 100 == 0:
                _LOGGER.exception(
                    "camera %s: frame analysis failed (%d so far)", self.camera.id, self._errors
                )
            return
        self.camera.add_analysed()
        for event in events:
            _LOGGER.info(
                "camera %s: face event %s (track %d, %s, quality %.2f, %.0f ms after first seen)",
                self.camera.id,
                event.event_id,
                event.track_id,
                event.reason,
                event.quality["score"],
                (event.emitted_at - event.first_seen) * 1000.0,
            )
            self.publish(event)


@dataclass(slots=True)
class CameraUnit:
    """Everything that belongs to one camera: its capture, its pipeline and the thread between."""

    camera: Camera
    pipeline: FacePipeline
    worker: CameraWorker
