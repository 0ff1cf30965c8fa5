"""Demo clip generator: public-domain faces walking across a generated shop scene.

``python -m edge_bridge.democlip --out DIR`` writes ``demo-clip.avi`` (MJPG) and
``demo-clip.json`` (the visitor schedule) and prints the schedule path. The default schedule:

1. the astronaut walks in from the left, across the shop, and out on the right;
2. Grace Hopper walks in from the right, stops in the middle, turns away (her face is hidden
   for ``occlusion_s``, shorter than the visit gap, so it is still the same visit), and
   walks out on the left;
3. after more than ``visit_gap_s`` the astronaut comes back: a new visit.

So the clip should produce exactly three face events. Everything is deterministic (fixed seed,
fixed motion), and generating the default clip takes a second or two.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field
import json
import math
from pathlib import Path
import sys

import cv2
import numpy as np

DEFAULT_FACES_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "faces"
PEOPLE = {"astronaut": "astronaut.jpg", "grace_hopper": "grace_hopper.jpg"}
# Where the face is in each fixture (x, y, w, h), so the sprite is cut the same way every time.
FACE_BOXES = {"astronaut": (178, 62, 91, 113), "grace_hopper": (182, 104, 168, 215)}
CLIP_NAME = "demo-clip.avi"
SCHEDULE_NAME = "demo-clip.json"


class DemoClipError(Exception):
    """The clip cannot be generated (missing face image, unwritable output)."""


@dataclass(frozen=True, slots=True)
class Waypoint:
    """The face centre (as fractions of the frame) at a time in seconds."""

    t: float
    x: float
    y: float


@dataclass(slots=True)
class PlannedVisit:
    """One person's pass through the scene."""

    person: str
    waypoints: list[Waypoint]
    hidden: list[tuple[float, float]] = field(default_factory=list)  # face turned away

    @property
    def enter_s(self) -> float:
        return self.waypoints[0].t

    @property
    def leave_s(self) -> float:
        return self.waypoints[-1].t

    def position(self, t: float) -> tuple[float, float] | None:
        if not self.enter_s <= t <= self.leave_s:
            return None
        for a, b in zip(self.waypoints, self.waypoints[1:], strict=False):
            if a.t <= t <= b.t:
                f = 0.0 if b.t == a.t else (t - a.t) / (b.t - a.t)
                return a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f
        return None

    def visible(self, t: float) -> bool:
        return self.position(t) is not None and not any(s <= t < e for s, e in self.hidden)


def default_plan(visit_gap_s: float, occlusion_s: float) -> list[PlannedVisit]:
    """The three-visit schedule described in the module docstring."""
    ret = 6.0 + visit_gap_s + 3.0  # the astronaut returns well after the gap
    linger_start, linger_end = 10.0, 12.0 + occlusion_s
    return [
        PlannedVisit(
            "astronaut",
            [Waypoint(1.0, -0.10, 0.42), Waypoint(6.0, 1.10, 0.40)],
        ),
        PlannedVisit(
            "grace_hopper",
            [
                Waypoint(7.5, 1.10, 0.45),
                Waypoint(linger_start, 0.55, 0.45),
                Waypoint(linger_end, 0.52, 0.45),
                Waypoint(linger_end + 2.5, -0.10, 0.43),
            ],
            hidden=[(linger_start + 1.0, linger_start + 1.0 + occlusion_s)],
        ),
        PlannedVisit(
            "astronaut",
            [Waypoint(ret, 1.10, 0.40), Waypoint(ret + 5.0, -0.10, 0.42)],
        ),
    ]


@dataclass(frozen=True, slots=True)
class Sprite:
    """A head-and-shoulders cut-out with a soft elliptical alpha mask."""

    image: np.ndarray  # BGR float32
    alpha: np.ndarray  # HxWx1 float32 in 0..1
    face_centre: tuple[float, float]  # in sprite pixels


def load_sprite(path: Path, face_box: tuple[int, int, int, int], face_width: int) -> Sprite:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise DemoClipError(f"cannot read face image {path}")
    x, y, w, h = face_box
    left, right = max(0, x - int(0.55 * w)), min(image.shape[1], x + w + int(0.55 * w))
    top, bottom = max(0, y - int(0.45 * h)), min(image.shape[0], y + h + int(0.7 * h))
    cut = image[top:bottom, left:right]
    scale = face_width / w
    size = (max(1, round(cut.shape[1] * scale)), max(1, round(cut.shape[0] * scale)))
    cut = cv2.resize(cut, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    hard = np.zeros(cut.shape[:2], np.float32)
    centre = (size[0] // 2, size[1] // 2)
    cv2.ellipse(hard, centre, (int(size[0] * 0.46), int(size[1] * 0.48)), 0, 0, 360, 1.0, -1)
    blur = max(3, (min(size) // 10) | 1)
    soft = cv2.GaussianBlur(hard, (blur, blur), 0)
    face_centre = ((x + w / 2 - left) * scale, (y + h / 2 - top) * scale)
    return Sprite(cut.astype(np.float32), soft[:, :, None], face_centre)


def make_background(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A plain shop-like scene: wall gradient, floor, shelves with coloured boxes."""
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    wall = np.empty((height, width, 3), np.float32)
    wall[..., 0] = 190 - 40 * ys
    wall[..., 1] = 200 - 35 * ys
    wall[..., 2] = 205 - 30 * ys
    floor_top = int(height * 0.78)
    wall[floor_top:] = (120, 130, 140)
    for shelf in range(3):
        sx = int(width * (0.05 + shelf * 0.33))
        sw = int(width * 0.25)
        for row in range(4):
            sy = int(height * (0.12 + row * 0.16))
            cv2.rectangle(wall, (sx, sy + 30), (sx + sw, sy + 34), (90, 100, 110), -1)
            bx = sx
            while bx < sx + sw - 10:
                bw = int(rng.integers(12, 30))
                bh = int(rng.integers(14, 28))
                colour = tuple(float(c) for c in rng.integers(40, 220, size=3))
                cv2.rectangle(wall, (bx, sy + 30 - bh), (bx + bw - 2, sy + 30), colour, -1)
                bx += bw
    return wall


def _paste(frame: np.ndarray, sprite: Sprite, cx: float, cy: float) -> None:
    height, width = frame.shape[:2]
    sh, sw = sprite.image.shape[:2]
    x0 = round(cx - sprite.face_centre[0])
    y0 = round(cy - sprite.face_centre[1])
    fx0, fy0 = max(0, x0), max(0, y0)
    fx1, fy1 = min(width, x0 + sw), min(height, y0 + sh)
    if fx1 <= fx0 or fy1 <= fy0:
        return
    sub = (slice(fy0 - y0, fy1 - y0), slice(fx0 - x0, fx1 - x0))
    alpha = sprite.alpha[sub]
    region = frame[fy0:fy1, fx0:fx1]
    region[:] = region * (1.0 - alpha) + sprite.image[sub] * alpha


def _face_in_frame(
    visit: PlannedVisit, width: int, height: int, face_width: int, fps: float, frames: int
) -> float | None:
    """Time of the first frame showing this visit's whole face (inside the frame, not hidden)."""
    _, _, w, h = FACE_BOXES[visit.person]
    half_w, half_h = face_width / 2.0, face_width * h / w / 2.0
    for index in range(frames):
        t = index / fps
        pos = visit.position(t)
        if pos is None or not visit.visible(t):
            continue
        cx, cy = pos[0] * width, pos[1] * height
        if half_w <= cx <= width - half_w and half_h <= cy <= height - half_h:
            return round(t, 4)
    return None


def generate(
    out_dir: Path,
    *,
    faces_dir: Path = DEFAULT_FACES_DIR,
    width: int = 640,
    height: int = 360,
    fps: float = 15.0,
    visit_gap_s: float = 4.0,
    occlusion_s: float = 1.5,
    face_fraction: float = 0.2,
    seed: int = 7,
    plan: list[PlannedVisit] | None = None,
    name: str = CLIP_NAME,
) -> dict[str, object]:
    """Write the clip and its schedule into ``out_dir``; return the schedule."""
    if width < 160 or height < 120 or fps <= 0:
        raise DemoClipError("the clip must be at least 160x120 at a positive frame rate")
    plan = plan if plan is not None else default_plan(visit_gap_s, occlusion_s)
    face_width = max(24, round(height * face_fraction))
    sprites = {}
    for person in {v.person for v in plan}:
        if person not in PEOPLE:
            raise DemoClipError(f"unknown demo person {person!r}")
        sprites[person] = load_sprite(faces_dir / PEOPLE[person], FACE_BOXES[person], face_width)
    rng = np.random.default_rng(seed)
    background = make_background(width, height, rng)
    duration = max(v.leave_s for v in plan) + 1.0
    frame_count = math.ceil(duration * fps)
    out_dir.mkdir(parents=True, exist_ok=True)
    clip_path = out_dir / name
    writer = cv2.VideoWriter(str(clip_path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
    if not writer.isOpened():
        raise DemoClipError(f"cannot write video file {clip_path}")
    try:
        for index in range(frame_count):
            t = index / fps
            frame = background.copy()
            for visit in plan:
                pos = visit.position(t)
                if pos is None or not visit.visible(t):
                    continue
                _paste(frame, sprites[visit.person], pos[0] * width, pos[1] * height)
            noise = rng.normal(0.0, 2.0, size=(height, width, 1)).astype(np.float32)
            writer.write(np.clip(frame + noise, 0, 255).astype(np.uint8))
    finally:
        writer.release()
    schedule: dict[str, object] = {
        "clip": clip_path.name,
        "width": width,
        "height": height,
        "fps": fps,
        "frames": frame_count,
        "duration_s": frame_count / fps,
        "visit_gap_s": visit_gap_s,
        "face_width_px": face_width,
        "expected_events": len(plan),
        "visits": [
            {
                "person": v.person,
                "enter_s": v.enter_s,
                "leave_s": v.leave_s,
                "face_in_frame_s": _face_in_frame(v, width, height, face_width, fps, frame_count),
                "hidden": [list(h) for h in v.hidden],
                "waypoints": [asdict(w) for w in v.waypoints],
            }
            for v in plan
        ],
    }
    (out_dir / (Path(name).stem + ".json")).write_text(json.dumps(schedule, indent=2) + "\n")
    return schedule


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m edge_bridge.democlip", description="Generate the SmartShop demo clip."
    )
    parser.add_argument("--out", type=Path, default=Path(".bridge-data/cache"))
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES_DIR)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--visit-gap", type=float, default=4.0)
    parser.add_argument("--name", default=CLIP_NAME)
    args = parser.parse_args(argv)
    try:
        generate(
            args.out,
            faces_dir=args.faces,
            width=args.width,
            height=args.height,
            fps=args.fps,
            visit_gap_s=args.visit_gap,
            name=args.name,
        )
    except (DemoClipError, OSError) as err:
        sys.stderr.write(f"democlip: {err}\n")
        return 1
    sys.stdout.write(f"{args.out / (Path(args.name).stem + '.json')}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
