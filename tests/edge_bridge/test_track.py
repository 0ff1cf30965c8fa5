"""Tracking: ids stay stable while a face is in view and survive a few missed detections."""

from __future__ import annotations

import pytest

from edge_bridge.detect import DetectedFace
from edge_bridge.settings import TrackingSettings
from edge_bridge.track import Tracker, iou


def face(x: float, y: float, size: float = 80.0) -> DetectedFace:
    eye_y = y + size * 0.4
    return DetectedFace(
        x=x,
        y=y,
        w=size,
        h=size * 1.2,
        score=0.9,
        landmarks=(
            (x + size * 0.3, eye_y),
            (x + size * 0.7, eye_y),
            (x + size * 0.5, y + size * 0.6),
            (x + size * 0.35, y + size * 0.85),
            (x + size * 0.65, y + size * 0.85),
        ),
    )


SETTINGS = TrackingSettings(max_missed_frames=3, max_missed_s=0.2)


def test_iou() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == pytest.approx(1.0)
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0


def test_walking_face_keeps_its_track_id() -> None:
    tracker = Tracker(SETTINGS)
    ids = set()
    for step in range(40):
        update = tracker.update([face(10 + step * 12, 50)], step / 15)
        ids.update(track.id for track, _ in update.matched)
        assert not update.ended
    assert ids == {1}
    assert tracker.tracks[1].hits == 40


def test_fast_face_without_overlap_is_kept_by_centre_distance() -> None:
    tracker = Tracker(SETTINGS)
    tracker.update([face(0, 50)], 0.0)
    # Moves 70% of its width per frame: boxes barely overlap, but the velocity prediction and
    # the centroid fallback keep the same id.
    for step in range(1, 10):
        update = tracker.update([face(step * 56, 50)], step / 15)
        assert [t.id for t, _ in update.matched] == [1]


def test_missed_detections_are_tolerated_then_the_track_ends() -> None:
    tracker = Tracker(SETTINGS)
    tracker.update([face(100, 100)], 0.0)
    for step in range(1, 4):  # three missed frames (0.2 s): still alive
        update = tracker.update([], step / 15)
        assert not update.ended
    update = tracker.update([face(102, 101)], 4 / 15)
    assert [t.id for t, _ in update.matched] == [1]
    for step in range(5, 9):
        update = tracker.update([], step / 15)
    assert [t.id for t in update.ended] == [1]
    assert not tracker.tracks


def test_a_track_needs_both_frames_and_time_to_end() -> None:
    tracker = Tracker(TrackingSettings(max_missed_frames=2, max_missed_s=1.0))
    tracker.update([face(100, 100)], 0.0)
    for step in range(1, 10):  # many frames, but only 0.3 s
        assert not tracker.update([], step * 0.033).ended
    assert tracker.update([], 1.5).ended


def test_two_people_crossing_keep_their_ids() -> None:
    tracker = Tracker(SETTINGS)
    tracker.update([face(0, 50), face(500, 60)], 0.0)
    for step in range(1, 30):
        left = face(step * 10, 50)
        right = face(500 - step * 10, 60)
        update = tracker.update([left, right], step / 15)
        by_x = {round(f.x): t.id for t, f in update.matched}
        if abs(left.x - right.x) > 120:  # apart: identities are unambiguous
            assert by_x[round(left.x)] == 1
            assert by_x[round(right.x)] == 2


def test_new_face_far_away_starts_a_new_track_and_end_all() -> None:
    tracker = Tracker(SETTINGS)
    tracker.update([face(0, 0)], 0.0)
    update = tracker.update([face(0, 0), face(600, 300, 40)], 0.1)
    assert [t.id for t in update.started] == [2]
    ended = tracker.end_all()
    assert sorted(t.id for t in ended) == [1, 2]
    assert not tracker.tracks
