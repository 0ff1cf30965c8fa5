"""Face events per person-visit on the demo clip, and first-seen -> emitted latency; prints JSON.

    python -m benchmarks.demo_visits [--runs 3]

Each run starts a real bridge in-process (bridge API on 127.0.0.1, no engine, no discovery)
whose one camera plays the demo clip once in real time (15 fps, like a live camera), with a
WebSocket client subscribed to ``/api/v1/events``. The clip's schedule says how many visits
there are; every event's crop is identified (SFace against the two fixture portraits) to check
that the events are the right people in the right order.

Latency is measured per event from ``first_seen`` (capture time of the first frame in which the
face was detected) to ``emitted_at`` (the pipeline sent it) and to the moment the WebSocket
client received it. In this clip people walk in from the side of the picture, so ``first_seen``
is a sliver of face at the frame edge; ``latency_whole_face_in_frame_to_emitted_ms`` measures
from the moment the whole face is in the picture (from the clip's schedule and the playback
start), which is what the pipeline itself can act on.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from pathlib import Path
import statistics
import sys
import tempfile
import time
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge_bridge import democlip
from edge_bridge.auth import open_bridge_access
from edge_bridge.config import build_config
from edge_bridge.model_files import locate_models
from edge_bridge.runtime import Bridge
from tests.edge_bridge.helpers_bridge import identify

CACHE = Path(__file__).resolve().parent.parent / ".bridge-data" / "cache" / "demo"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(_percentile(values, 0.5), 1),
        "p95": round(_percentile(values, 0.95), 1),
        "mean": round(statistics.fmean(values), 1),
        "max": round(max(values), 1),
    }


async def one_run(clip: Path, schedule: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    config = build_config(
        {
            "bridge_id": "bench",
            "data_dir": str(data_dir),
            "api": {"listen": "127.0.0.1:0"},
            "engine": {"enabled": False},
            "discovery": {"enabled": False},
            "visits": {"visit_gap_s": schedule["visit_gap_s"]},
            "cameras": [{"id": "demo", "source": str(clip), "loop": False}],
        },
        {},
    )
    certificate, access = open_bridge_access(config)
    token = access.registry.issue("benchmark").api_token
    bridge = Bridge(config, locate_models(), certificate, access)
    received: list[tuple[float, dict[str, Any]]] = []
    await bridge.start()
    try:
        async with aiohttp.ClientSession() as session:
            url = f"https://127.0.0.1:{bridge.api_port}/api/v1/events"
            async with session.ws_connect(
                url,
                headers={"Authorization": f"Bearer {token}"},
                ssl=aiohttp.Fingerprint(certificate.sha256),
            ) as ws:
                camera = bridge.units["demo"].camera

                async def listen() -> None:
                    async for message in ws:
                        data = json.loads(message.data)
                        if data["type"] == "face":
                            received.append((time.time(), data))

                listener = asyncio.create_task(listen())
                await asyncio.to_thread(camera.wait_ended, schedule["duration_s"] * 3)
                await asyncio.to_thread(bridge.units["demo"].worker.join, 10)
                await asyncio.sleep(0.5)
                listener.cancel()
        stats = bridge.units["demo"].pipeline.stats
        suppressed = stats.suppressed_same_visit
        analysed = stats.frames
        playback_start = camera.stats().connected_since or 0.0
    finally:
        await bridge.stop()
    people = [identify(base64.b64decode(e["crop"]["jpeg_b64"])) for _, e in received]
    # When each visit's whole face is first in the picture (the clip's schedule), on the wall
    # clock of this real-time playback; events come in visit order.
    in_frame = [playback_start + v["face_in_frame_s"] for v in schedule["visits"]]
    return {
        "events": len(received),
        "people": people,
        "suppressed_same_visit": suppressed,
        "frames_analysed": analysed,
        "emit_ms": [(e["emitted_at"] - e["first_seen"]) * 1000 for _, e in received],
        "client_ms": [(at - e["first_seen"]) * 1000 for at, e in received],
        "in_frame_ms": (
            [(e["emitted_at"] - t) * 1000 for t, (_, e) in zip(in_frame, received, strict=True)]
            if people == [v["person"] for v in schedule["visits"]]
            else []
        ),
    }


async def main_async(runs: int) -> dict[str, Any]:
    clip = CACHE / democlip.CLIP_NAME
    if not (CACHE / democlip.SCHEDULE_NAME).is_file():
        democlip.generate(CACHE)
    schedule = json.loads((CACHE / democlip.SCHEDULE_NAME).read_text())
    expected = [v["person"] for v in schedule["visits"]]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(runs):
            results.append(await one_run(clip, schedule, Path(tmp) / str(index)))
    events = sum(r["events"] for r in results)
    visits = len(expected) * runs
    emit = [v for r in results for v in r["emit_ms"]]
    client = [v for r in results for v in r["client_ms"]]
    in_frame = [v for r in results for v in r["in_frame_ms"]]
    return {
        "benchmark": "demo_visits",
        "clip": {
            "width": schedule["width"],
            "height": schedule["height"],
            "fps": schedule["fps"],
            "duration_s": schedule["duration_s"],
            "visits": expected,
            "visit_gap_s": schedule["visit_gap_s"],
        },
        "runs": runs,
        "visits": visits,
        "events": events,
        "events_per_visit": round(events / visits, 3),
        "right_people_in_order": all(r["people"] == expected for r in results),
        "suppressed_same_visit": sum(r["suppressed_same_visit"] for r in results),
        "latency_first_seen_to_emitted_ms": _summary(emit) if emit else None,
        "latency_first_seen_to_ws_client_ms": _summary(client) if client else None,
        "latency_whole_face_in_frame_to_emitted_ms": _summary(in_frame) if in_frame else None,
        "target_events_per_visit": 1.1,
        "meets_target": events / visits <= 1.1,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(main_async(args.runs))
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
