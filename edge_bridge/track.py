"""Face tracking: give each face a track id that stays stable while the person is in view.

Association per frame, greedy and cheap (a shop camera sees a handful of faces):

1. predict each track's box at this frame from its recent velocity;
2. pair tracks and detections by IoU (highest first, at least ``iou_threshold``);
3. pair what is left by centre distance (at most ``max_centroid_distance`` face widths, similar
   size), which keeps a fast-moving face whose boxes no longer overlap;
4. unmatched detections start new tracks; unmatched tracks count a miss and end only once they
   have missed more than ``max_missed_frames`` frames AND been unseen for ``max_missed_s``
   seconds, so a few missed detections do not split a person into two tracks.

Times are on the caller's clock (the pipeline's observed clock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
import itertools
import math

from .detect import DetectedFace
from .settings import TrackingSettings

type Box = tuple[float, float, float, float]  # x, y, w, h

VELOCITY_SMOOTHING = 0.5
MAX_PREDICT_S = 1.0


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def _centre(box: Box) -> tuple[float, float]:
    return box[0] + box[2] / 2.0, box[1] + box[3] / 2.0


@dataclass(slots=True)
class Track:
    """One face followed across frames."""

    id: int
    box: Box
    first_seen: float
    last_seen: float
    hits: int = 1
    missed: int = 0
    velocity: tuple[float, float] = (0.0, 0.0)  # box centre, pixels per second
    face: DetectedFace | None = field(default=None, repr=False)

    def predicted(self, now: float) -> Box:
        dt = min(max(now - self.last_seen, 0.0), MAX_PREDICT_S)
        x, y, w, h = self.box
        return (x + self.velocity[0] * dt, y + self.velocity[1] * dt, w, h)

    @property
    def age(self) -> float:
        return self.last_seen - self.first_seen


@dataclass(frozen=True, slots=True)
class TrackUpdate:
    """The result of one frame: which detection belongs to which track, and what ended."""

    matched: list[tuple[Track, DetectedFace]]
    started: list[Track]
    ended: list[Track]


class Tracker:
    """Greedy IoU + centroid tracker."""

    def __init__(self, settings: TrackingSettings, first_id: int = 1) -> None:
        self.settings = settings
        self._ids = itertools.count(first_id)
        self.tracks: dict[int, Track] = {}

    def update(self, faces: list[DetectedFace], now: float) -> TrackUpdate:
        """Associate this frame's faces (frame pixel coordinates) with the live tracks."""
        boxes: list[Box] = [(f.x, f.y, f.w, f.h) for f in faces]
        tracks = list(self.tracks.values())
        predicted = {t.id: t.predicted(now) for t in tracks}
        pairs = self._pair_by_iou(tracks, boxes, predicted)
        used_tracks = {t.id for t, _ in pairs}
        used_faces = {i for _, i in pairs}
        pairs += self._pair_by_distance(
            [t for t in tracks if t.id not in used_tracks],
            [(i, b) for i, b in enumerate(boxes) if i not in used_faces],
            predicted,
        )
        matched: list[tuple[Track, DetectedFace]] = []
        for track, index in pairs:
            self._advance(track, faces[index], boxes[index], now)
            matched.append((track, faces[index]))
        matched_ids = {t.id for t, _ in matched}
        matched_faces = {i for _, i in pairs}
        started: list[Track] = []
        for index, face in enumerate(faces):
            if index in matched_faces:
                continue
            track = Track(
                id=next(self._ids), box=boxes[index], first_seen=now, last_seen=now, face=face
            )
            self.tracks[track.id] = track
            started.append(track)
            matched.append((track, face))
        ended: list[Track] = []
        for track in tracks:
            if track.id in matched_ids:
                continue
            track.missed += 1
            if (
                track.missed > self.settings.max_missed_frames
                and now - track.last_seen > self.settings.max_missed_s
            ):
                ended.append(self.tracks.pop(track.id))
        return TrackUpdate(matched=matched, started=started, ended=ended)

    def end_all(self) -> list[Track]:
        """End every live track (stream discontinuity or shutdown)."""
        ended = list(self.tracks.values())
        self.tracks.clear()
        return ended

    def _pair_by_iou(
        self, tracks: list[Track], boxes: list[Box], predicted: dict[int, Box]
    ) -> list[tuple[Track, int]]:
        candidates: list[tuple[float, int, int]] = []
        for t_index, track in enumerate(tracks):
            for d_index, box in enumerate(boxes):
                overlap = max(iou(predicted[track.id], box), iou(track.box, box))
                if overlap >= self.settings.iou_threshold:
                    candidates.append((overlap, t_index, d_index))
        return _greedy(candidates, tracks, reverse=True)

    def _pair_by_distance(
        self,
        tracks: list[Track],
        boxes: list[tuple[int, Box]],
        predicted: dict[int, Box],
    ) -> list[tuple[Track, int]]:
        limit = self.settings.max_centroid_distance
        if limit <= 0 or not tracks or not boxes:
            return []
        candidates: list[tuple[float, int, int]] = []
        for t_index, track in enumerate(tracks):
            px, py = _centre(predicted[track.id])
            width = track.box[2]
            for d_index, box in boxes:
                ratio = box[2] / width if width > 0 else 0.0
                if not 0.5 <= ratio <= 2.0:
                    continue
                bx, by = _centre(box)
                distance = math.hypot(bx - px, by - py) / max(width, box[2], 1.0)
                if distance <= limit:
                    candidates.append((distance, t_index, d_index))
        return _greedy(candidates, tracks, reverse=False)

    @staticmethod
    def _advance(track: Track, face: DetectedFace, box: Box, now: float) -> None:
        dt = now - track.last_seen
        if dt > 0:
            (ox, oy), (nx, ny) = _centre(track.box), _centre(box)
            vx, vy = (nx - ox) / dt, (ny - oy) / dt
            a = VELOCITY_SMOOTHING
            track.velocity = (
                a * vx + (1 - a) * track.velocity[0],
                a * vy + (1 - a) * track.velocity[1],
            )
        track.box = box
        track.face = face
        track.last_seen = now
        track.hits += 1
        track.missed = 0


def _greedy(
    candidates: list[tuple[float, int, int]], tracks: list[Track], *, reverse: bool
) -> list[tuple[Track, int]]:
    candidates.sort(key=lambda c: c[0], reverse=reverse)
    taken_tracks: set[int] = set()
    taken_boxes: set[int] = set()
    pairs: list[tuple[Track, int]] = []
    for _, t_index, d_index in candidates:
        if t_index in taken_tracks or d_index in taken_boxes:
            continue
        taken_tracks.add(t_index)
        taken_boxes.add(d_index)
        pairs.append((tracks[t_index], d_index))
    return pairs
