"""The bridge ↔ Home Assistant wire contract: one definition, and real bridge output read by the
integration's own client.

``custom_components/smartshop/bridge_protocol.py`` defines the contract; the bridge loads that
same file (``edge_bridge.protocol``). The guard below fails when a protocol fact is written a
second time anywhere else.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import aiohttp
from PIL import Image
import pytest

from custom_components.smartshop import bridge_protocol as contract
from custom_components.smartshop.bridge_client import BridgeClient, pair
from demo.bridge_process import start_bridge, write_config
from edge_bridge import protocol
from tests.edge_bridge.helpers_bridge import GUARD_S, demo_clip

REPO = Path(__file__).resolve().parent.parent.parent
BRIDGE_ID = "contract-bridge"
# Facts of the contract, as they would look written out by hand somewhere else.
FACTS = (
    "_smartshop-bridge._tcp",
    '"/api/v1',
    'f"bridge-{',
    '"jpeg_b64"',
    "'jpeg_b64'",
    "smartshop-pair-",
    "Crockford",
)


def test_the_bridge_uses_the_integrations_file() -> None:
    """One file, not a copy: the bridge's classes come from the integration's module file."""
    assert Path(contract.__file__).resolve() == protocol.PATH
    assert protocol.FaceEvent.__module__ == "smartshop_bridge_protocol"
    assert protocol.SERVICE_TYPE == contract.SERVICE_TYPE
    assert protocol.FINGERPRINT_BYTES == contract.FINGERPRINT_BYTES
    assert protocol.PAIR_PATH == contract.PAIR_PATH


def test_protocol_facts_are_written_once() -> None:
    """No module of either side spells out a protocol fact; it imports it from the contract."""
    offenders = []
    for package in ("custom_components/smartshop", "edge_bridge"):
        for path in (REPO / package).rglob("*.py"):
            if path.name == "bridge_protocol.py":
                continue
            text = path.read_text()
            offenders += [f"{path.relative_to(REPO)}: {fact}" for fact in FACTS if fact in text]
    assert offenders == []
    manifest = json.loads((REPO / "custom_components/smartshop/manifest.json").read_text())
    assert manifest["zeroconf"] == [contract.SERVICE_TYPE]


def test_malformed_messages_are_protocol_errors() -> None:
    """Whatever the other side sends, parsing fails with the contract's own error."""
    for message in ({}, {"type": "face"}, {"type": "hello"}, {"type": "face", "crop": "x"}):
        with pytest.raises(contract.ProtocolError):
            contract.FaceEvent.from_wire(message)
    for info in ({}, {"bridge_id": "b", "cameras": [{}]}, {"bridge_id": "b", "engine": 3}):
        with pytest.raises(contract.ProtocolError):
            contract.BridgeInfo.from_wire(info)


async def test_real_bridge_output_through_the_client(tmp_path: Path) -> None:
    """A bridge subprocess on the demo clip: its /info and its first face event, read by the
    integration's client, carry what the bridge knows, and the crop is a real JPEG."""
    clip, _ = demo_clip(tmp_path / "clip")
    config = write_config(tmp_path / "bridge", bridge_id=BRIDGE_ID, clip=clip, location="Door")
    bridge = start_bridge(config, bridge_id=BRIDGE_ID)
    try:
        code = contract.PairingCode.parse(bridge.pairing_code)
        async with aiohttp.ClientSession() as session:
            paired = await pair(
                session,
                "127.0.0.1",
                bridge.api_port,
                code.secret,
                client_name="protocol test",
                expected=code,
            )
            assert paired.bridge_id == BRIDGE_ID
            assert paired.cert_sha256 == bridge.cert_sha256
            client = BridgeClient(
                session,
                "127.0.0.1",
                bridge.api_port,
                paired.credentials.api_token,
                paired.cert_sha256,
            )
            info = await client.info()
            assert info.bridge_id == BRIDGE_ID
            assert info.engine_port == bridge.engine_port
            assert [(c.camera_id, c.location) for c in info.cameras] == [("front-door", "Door")]
            async with asyncio.timeout(GUARD_S):
                event = await anext(client.face_events())
    finally:
        bridge.stop()
    assert (event.bridge_id, event.camera_id) == (BRIDGE_ID, "front-door")
    assert event.first_seen <= event.best_at <= event.emitted_at
    crop = Image.open(io.BytesIO(event.crop_jpeg))
    assert crop.format == "JPEG"
    assert crop.size == (event.crop_width, event.crop_height)
    x, y, w, h = event.bbox
    assert 0 <= x < event.frame_width and 0 <= y < event.frame_height and w > 0 and h > 0
    # What the client parsed goes back onto the wire unchanged.
    assert contract.FaceEvent.from_wire(event.to_wire()) == event
