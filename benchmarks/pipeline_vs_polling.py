"""Search calls per person-visit and detection latency: SmartShop's event-driven pipeline versus
Home Assistant's stock image_processing behaviour (poll the camera every 10 s, search each frame).
Prints JSON.

    python -m benchmarks.pipeline_vs_polling [--seconds 120] [--poll-interval 10]

Both sides run at the same time against the same real bridge subprocess (the demo clip on a loop,
one camera) and the same engine (its Rekognition API, signed), with the integration's own
``RecognitionClient`` and ``BridgeClient``: exactly the calls the integration makes.

- **event-driven**: one ``SearchFacesByImage`` per face event (the bridge sends one crop per
  person-visit). Latency: the face's ``first_seen`` at the bridge -> search answered.
- **polling**: every ``--poll-interval`` seconds a snapshot, then ``search_frame`` (one
  ``DetectFaces`` and one search per face). Latency for a visit it catches: the visit's
  ``first_seen`` (from the bridge's event for that visit) -> the polling search answered.

Visits are counted from the bridge's face events (one per person-visit, checked against the
clip's schedule by the bridge's own tests). A paid call is DetectFaces, SearchFacesByImage,
IndexFaces or SearchFaces. The latency from search answer to the event on Home Assistant's bus
adds a few milliseconds; ``scripts/demo --check`` prints that whole path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import statistics
import sys
import tempfile
import time
from typing import Any
import uuid

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.smartshop.bridge_client import BridgeClient, PairingResult, pair
from custom_components.smartshop.bridge_protocol import PairingCode
from custom_components.smartshop.recognition import BackendConfig, RateLimiter, RecognitionClient
from custom_components.smartshop.usage import billable_total
from demo.bridge_process import RunningBridge, demo_clip, start_bridge, write_config

FACES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "faces"
THRESHOLD = 95.0
BRIDGE_ID = "bench-bridge"


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1), "n": len(ordered)}


def _client(engine_port: int, paired: PairingResult) -> RecognitionClient:
    return RecognitionClient(
        BackendConfig(
            access_key_id=paired.credentials.engine_access_key_id,
            secret_access_key=paired.credentials.engine_secret_access_key,
            endpoint_url=f"https://127.0.0.1:{engine_port}",
            cert_sha256=paired.cert_sha256,
        ),
        # No client-side cap here: both sides are measured at the speed the engine allows.
        rate_limiter=RateLimiter(rate=1000, burst=1000),
    )


async def _pair(bridge: RunningBridge) -> PairingResult:
    """Pair with a code from the bridge's command line, as Home Assistant does."""
    code = PairingCode.parse(bridge.pairing_code)
    async with aiohttp.ClientSession() as session:
        return await pair(
            session,
            bridge.host,
            bridge.api_port,
            code.secret,
            client_name="benchmark",
            expected=code,
        )


async def _run(seconds: float, poll_interval: float) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="smartshop-bench-"))
    clip = demo_clip(work / "clip")
    config = write_config(work / "bridge", bridge_id=BRIDGE_ID, clip=clip)
    bridge = start_bridge(config, bridge_id=BRIDGE_ID)
    collection = f"bench-{uuid.uuid4().hex[:8]}"
    offender = str(uuid.uuid4())
    event_side: dict[str, Any] = {"latency_ms": [], "matches": 0, "visits": 0}
    offender_visits: list[float] = []  # first_seen of each offender visit the bridge reported
    poll_side: dict[str, Any] = {"latency_ms": [], "matched_at": [], "polls": 0}
    try:
        paired = await _pair(bridge)
        admin = _client(bridge.engine_port, paired)
        await admin.ensure_collection(collection)
        await admin.index_face(collection, (FACES / "astronaut.jpg").read_bytes(), offender)
        event_client = _client(bridge.engine_port, paired)
        poll_client = _client(bridge.engine_port, paired)
        async with aiohttp.ClientSession() as session:
            bridge_client = BridgeClient(
                session,
                bridge.host,
                bridge.api_port,
                paired.credentials.api_token,
                paired.cert_sha256,
            )
            deadline = time.monotonic() + seconds

            async def event_driven() -> None:
                async for event in bridge_client.face_events():
                    if time.monotonic() > deadline:
                        return
                    event_side["visits"] += 1
                    matches = await event_client.search_face(
                        [collection], event.crop_jpeg, threshold=THRESHOLD
                    )
                    if any(m.external_image_id == offender for m in matches):
                        event_side["matches"] += 1
                        offender_visits.append(event.first_seen)
                        event_side["latency_ms"].append((time.time() - event.first_seen) * 1000)

            async def polling() -> None:
                while time.monotonic() < deadline:
                    started = time.monotonic()
                    frame = await bridge_client.snapshot("front-door")
                    result = await poll_client.search_frame(
                        [collection], frame, threshold=THRESHOLD
                    )
                    poll_side["polls"] += 1
                    if any(m.external_image_id == offender for m in result.matches):
                        poll_side["matched_at"].append(time.time())
                    await asyncio.sleep(max(0.0, poll_interval - (time.monotonic() - started)))

            await asyncio.wait_for(
                asyncio.gather(event_driven(), polling()), timeout=seconds + poll_interval + 30
            )
    finally:
        bridge.stop()

    # A polling match belongs to the offender's visit whose face was first seen last before it.
    caught: dict[float, float] = {}
    for at in poll_side["matched_at"]:
        started_at = max((v for v in offender_visits if v <= at), default=None)
        if started_at is not None and started_at not in caught:
            caught[started_at] = (at - started_at) * 1000
    visits = max(event_side["visits"], 1)
    event_calls = billable_total(event_client.calls)
    poll_calls = billable_total(poll_client.calls)
    result = {
        "seconds": seconds,
        "poll_interval_s": poll_interval,
        "person_visits": event_side["visits"],
        "offender_visits": event_side["matches"],
        "event_driven": {
            "paid_calls": event_calls,
            "paid_calls_per_visit": round(event_calls / visits, 3),
            "offender_visits_alerted": event_side["matches"],
            "latency_first_seen_to_match_ms": _percentiles(event_side["latency_ms"]),
        },
        "polling_every_10s": {
            "polls": poll_side["polls"],
            "paid_calls": poll_calls,
            "paid_calls_per_visit": round(poll_calls / visits, 3),
            "offender_visits_alerted": len(caught),
            "latency_first_seen_to_match_ms": _percentiles(list(caught.values())),
        },
    }
    result["ratio_polling_to_event_driven"] = {
        "paid_calls": round(poll_calls / max(event_calls, 1), 2),
        "offender_visits_missed_by_polling": max(event_side["matches"] - len(caught), 0),
    }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--poll-interval", type=float, default=10.0)
    args = parser.parse_args()
    result = asyncio.run(_run(args.seconds, args.poll_interval))
    print(json.dumps({"pipeline_vs_polling": result}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
