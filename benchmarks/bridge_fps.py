"""Analysed frames per second for 720p cameras on this machine; prints JSON.

    python benchmarks/bridge_fps.py [--cameras N] [--seconds S]

Uses a generated 1280x720 MJPG clip (the demo scene, 30 fps) so no camera is needed; the footage
buffer records every camera as the bridge does (defaults: 1 frame/s, encrypted). Two runs:

* ``max``: the file is decoded as fast as the pipeline analyses it (no frame dropped): the
  pipeline's throughput, i.e. the highest analysed fps one camera can sustain;
* ``live_30fps``: the clip is played in real time at 30 fps, like a camera; reports the analysed
  rate and how many frames the bounded queue dropped.

Detection time per frame (``detect_ms``) is measured around ``FaceDetector.detect`` (YuNet on
the frame scaled to ``analysis_width``). With ``--cameras N`` the live run uses N cameras at once
and also reports the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import resource
import statistics
import sys
import tempfile
import threading
import time
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge_bridge import democlip
from edge_bridge.capture import Camera
from edge_bridge.config import build_config
from edge_bridge.detect import DetectedFace, FaceDetector
from edge_bridge.embed import FaceEmbedder
from edge_bridge.events import FaceEvent
from edge_bridge.footage import FootageRecorder
from edge_bridge.model_files import locate_models
from edge_bridge.pipeline import CameraWorker, FacePipeline
from edge_bridge.settings import BridgeConfig

CACHE = Path(__file__).resolve().parent.parent / ".bridge-data" / "cache" / "bench-720p"


class TimedDetector(FaceDetector):
    """FaceDetector that records how long each call takes."""

    def __init__(self, model: Path) -> None:
        super().__init__(model)
        self.times: list[float] = []
        self._times_lock = threading.Lock()

    def detect(self, bgr: np.ndarray) -> list[DetectedFace]:
        started = time.perf_counter()
        faces = super().detect(bgr)
        elapsed = time.perf_counter() - started
        with self._times_lock:
            self.times.append(elapsed)
        return faces


def clip() -> Path:
    path = CACHE / "bench-720p.avi"
    if not path.is_file():
        democlip.generate(CACHE, width=1280, height=720, fps=30.0, name=path.name)
    return path


def _config(path: Path, cameras: int, realtime: bool) -> BridgeConfig:
    return build_config(
        {
            "bridge_id": "bench",
            "engine": {"enabled": False},
            "visits": {"visit_gap_s": 4.0},  # the demo scene's schedule assumes a short gap
            "cameras": [
                {"id": f"cam{i}", "source": str(path), "realtime": realtime, "loop": realtime}
                for i in range(cameras)
            ],
        },
        {},
    )


def run(path: Path, *, cameras: int, realtime: bool, seconds: float) -> dict[str, Any]:
    config = _config(path, cameras, realtime)
    models = locate_models()
    embedder = FaceEmbedder(models.recognizer)
    units = []
    events: list[FaceEvent] = []
    # The footage buffer runs as deployed (default settings): 1 frame/s per camera, encrypted.
    footage = FootageRecorder(Path(tempfile.mkdtemp(prefix="smartshop-fps-")), config.footage)
    footage.start()
    for cam in config.cameras:
        detector = TimedDetector(models.detector)
        camera = Camera(
            cam,
            tap=lambda frame, cam_id=cam.id: footage.offer(cam_id, frame.image, frame.captured_at),
        )
        pipeline = FacePipeline.from_config(config, cam.id, detector, embedder)
        worker = CameraWorker(camera, pipeline, events.append)
        units.append((camera, worker, detector))
    started = time.perf_counter()
    for camera, worker, _ in units:
        worker.start()
        camera.start()
    if realtime:
        time.sleep(seconds)
    else:
        for camera, _, _ in units:
            camera.wait_ended(600)
    for camera, worker, _ in units:
        camera.stop()
        worker.join(30)
    elapsed = time.perf_counter() - started
    footage.stop(30)
    times = sorted(t for _, _, d in units for t in d.times)
    stats = [camera.stats() for camera, _, _ in units]
    analysed = sum(s.frames_analysed for s in stats)
    frames_in = sum(s.frames_in for s in stats)
    return {
        "cameras": cameras,
        "seconds": round(elapsed, 2),
        "frames_in": frames_in,
        "frames_analysed": analysed,
        "frames_dropped": sum(s.frames_dropped for s in stats),
        "analysed_fps_per_camera": round(analysed / elapsed / cameras, 1),
        "detect_ms": {
            "mean": round(statistics.fmean(times) * 1000, 2),
            "p50": round(times[len(times) // 2] * 1000, 2),
            "p95": round(times[int(len(times) * 0.95)] * 1000, 2),
        },
        "face_events": len(events),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=1, help="cameras in the live run")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the live run")
    args = parser.parse_args()
    path = clip()
    maximum = run(path, cameras=1, realtime=False, seconds=0)
    live = run(path, cameras=args.cameras, realtime=True, seconds=args.seconds)
    live["dropped_fraction"] = round(live["frames_dropped"] / max(1, live["frames_in"]), 3)
    result = {
        "benchmark": "bridge_fps",
        "resolution": "1280x720",
        "analysis_width": 640,
        "cpu_count": os.cpu_count(),
        "max": maximum,
        "live_30fps": live,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target_analysed_fps": 25,
        "meets_target": maximum["analysed_fps_per_camera"] >= 25,
    }
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
