"""End to end against a real edge bridge and its engine (subprocess, loopback): no mocks.

Every store here is paired as the owner pairs one: with a code from the bridge's CLI, over the
bridge's pinned certificate (the engine too, through boto3).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path
import socket

from homeassistant.config_entries import (
    SOURCE_USER,
    SOURCE_ZEROCONF,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.const import CONF_HOST, CONF_PORT, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartshop.bridge_client import BridgeAuthError, BridgeClient, pair
from custom_components.smartshop.bridge_protocol import PairingCode
from custom_components.smartshop.const import (
    CONF_ACCESS_KEY_ID,
    CONF_AI_OPT_OUT,
    CONF_API_TOKEN,
    CONF_BACKEND,
    CONF_BRIDGE_HOST,
    CONF_BRIDGE_ID,
    CONF_BRIDGE_KEY,
    CONF_BRIDGE_PORT,
    CONF_CATEGORY,
    CONF_CERT_SHA256,
    CONF_COLLECTION_ID,
    CONF_DPIA_DONE,
    CONF_ENGINE_ON_BRIDGE,
    CONF_ENGINE_PORT,
    CONF_NAME,
    CONF_OWNED,
    CONF_REGION,
    CONF_SECRET_ACCESS_KEY,
    CONF_SIGNAGE_UP,
    CONF_STORE_NAME,
    DOMAIN,
    EVENT_MATCH,
    SUBENTRY_WATCHLIST,
)
from custom_components.smartshop.data import pairing_data
from demo.bridge_process import RunningBridge, demo_clip, start_bridge, write_config

from .conftest import ACCESS_KEY, FIXTURES, SECRET_KEY, Rekognition
from .helpers import as_admin

# Real loopback connections to the bridge and its engine.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("socket_enabled")]

# The shared key of a bridge paired before TLS (only the migration test configures one).
LEGACY_KEY = "live-pairing-key-0123456789abcdef"
BRIDGE_ID = "test-bridge"
FACE_WATCH = "image_processing.entrance_front_door_face_watch"
CAMERA = "camera.entrance_front_door"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo clip: the astronaut walks through, then Grace Hopper, then the astronaut again."""
    return demo_clip(tmp_path_factory.mktemp("clip"))


@pytest.fixture(scope="session")
def live_bridge(tmp_path_factory: pytest.TempPathFactory, clip: Path) -> Iterator[RunningBridge]:
    """One bridge for the session, reading the clip on a loop."""
    work = tmp_path_factory.mktemp("bridge")
    config = write_config(work, bridge_id=BRIDGE_ID, clip=clip)
    bridge = start_bridge(config, bridge_id=BRIDGE_ID)
    yield bridge
    bridge.stop()


async def _code(hass: HomeAssistant, bridge: RunningBridge) -> str:
    """A fresh pairing code from the bridge's CLI (``--show-pairing-code``)."""
    return await hass.async_add_executor_job(lambda: bridge.pairing_code)


async def bridge_entry(
    hass: HomeAssistant, bridge: RunningBridge, collection: str
) -> MockConfigEntry:
    """A store whose backend is its bridge's engine, with one watchlist, paired by a code."""
    code = PairingCode.parse(await _code(hass, bridge))
    paired = await pair(
        async_get_clientsession(hass),
        bridge.host,
        bridge.api_port,
        code.secret,
        client_name="Home Assistant (live test)",
        expected=code,
    )
    assert paired.cert_sha256 == bridge.cert_sha256
    return _entry(
        bridge,
        collection,
        {CONF_BRIDGE_PORT: bridge.api_port} | pairing_data(paired),
    )


def _entry(bridge: RunningBridge, collection: str, pairing: dict[str, object]) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Demo shop",
        unique_id=bridge.bridge_id,
        version=1,
        minor_version=3,
        data={
            CONF_STORE_NAME: "Demo shop",
            CONF_BACKEND: "engine",
            CONF_ENGINE_ON_BRIDGE: True,
            CONF_ENGINE_PORT: bridge.engine_port,
            CONF_REGION: "eu-west-2",
            CONF_BRIDGE_ID: bridge.bridge_id,
            CONF_BRIDGE_HOST: bridge.host,
        }
        | pairing,
        options={CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True},
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_WATCHLIST,
                title="Demo",
                unique_id=collection,
                data={
                    CONF_NAME: "Demo",
                    CONF_CATEGORY: "banned",
                    CONF_COLLECTION_ID: collection,
                    CONF_OWNED: True,
                },
            )
        ],
    )


# Failure guard for waits on another process (the bridge): long enough for a loaded machine,
# never the thing a test measures. Reconnect and recovery times are benchmarked, not tested.
GUARD_S = 120.0


async def _wait_for(hass: HomeAssistant, predicate, within: float = GUARD_S) -> None:
    """Poll a condition that other processes change (the bridge), failing after ``within`` s."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 - the change happens in another process
            await asyncio.sleep(0.2)


async def test_bridge_visit_raises_one_match(
    hass: HomeAssistant, live_bridge: RunningBridge
) -> None:
    """Enrol the astronaut on the bridge's engine; her visits on the bridge camera raise matches,
    each recorded once; Grace Hopper's visit raises nothing."""
    hass.config.allowlist_external_dirs = {str(FIXTURES)}
    entry = await bridge_entry(hass, live_bridge, "smartshop-live-demo")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    bridge = entry.runtime_data.bridge
    assert bridge is not None
    await _wait_for(hass, lambda: bridge.connected)
    assert hass.states.get(FACE_WATCH).state != STATE_UNAVAILABLE
    assert hass.states.get(CAMERA) is not None

    response = await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        {
            "watchlist": "Demo",
            "name": "Demo offender",
            "reason": "Demo: shoplifting",
            "incident_reference": "DEMO-1",
            "added_by": "Manager Sam",
            "image_path": str(FIXTURES / "faces" / "astronaut.jpg"),
            "justification": "repeat_offender",
            "attest_adult": True,
            "attest_not_vulnerable": True,
        },
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    person_id = response["person_id"]
    matches: list[Event] = []
    hass.bus.async_listen(EVENT_MATCH, matches.append)
    await _wait_for(hass, lambda: bool(matches))
    data = matches[0].data
    assert data["person_id"] == person_id
    assert data["category"] == "banned"
    assert data["camera"] == f"{BRIDGE_ID}/front-door"
    assert data["location"] == "Entrance"
    assert data["similarity"] >= 95
    assert "Demo offender" not in str(data)
    latency = float(hass.states.get("sensor.demo_shop_last_match_latency").state)
    assert 0 < latency < 10_000
    incidents = await hass.async_add_executor_job(entry.runtime_data.incidents.query)
    assert [i.person_id for i in incidents] == [person_id]
    # Every entry is a user on the engine: once enrolment has made the user, the bridge's faces
    # are searched per person (a visit searched while enrolment was under way may have been
    # searched by face; the looping clip brings the next visit). Read the client afresh: a
    # reload (the bridge's camera list changing under load) makes a new one, and the store's
    # people outlive it.
    await _wait_for(hass, lambda: entry.runtime_data.client.calls["SearchUsersByImage"] >= 1)
    # Snapshots come from the bridge through the camera entity.
    from homeassistant.components.camera import async_get_image

    image = await async_get_image(hass, CAMERA)
    assert image.content[:2] == b"\xff\xd8"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_discovery_pairs_with_engine_preselected(
    hass: HomeAssistant, live_bridge: RunningBridge
) -> None:
    """A discovered bridge: pairing code, then its engine is the preselected backend."""
    info = ZeroconfServiceInfo(
        ip_address=ip_address("127.0.0.1"),
        ip_addresses=[ip_address("127.0.0.1")],
        hostname="test-bridge.local.",
        name=f"{BRIDGE_ID}._smartshop-bridge._tcp.local.",
        port=live_bridge.api_port,
        type="_smartshop-bridge._tcp.local.",
        properties={
            "id": BRIDGE_ID,
            "api_port": str(live_bridge.api_port),
            "engine_port": str(live_bridge.engine_port),
        },
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["step_id"] == "zeroconf_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"pairing_key": "wrong-key-wrong-key-wrong"}
    )
    assert result["errors"] == {"pairing_key": "invalid_pairing_code"}
    # Well-formed, for this bridge's certificate, but not a code the bridge made.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"pairing_key": str(PairingCode.new(live_bridge.cert_sha256))}
    )
    assert result["errors"] == {"base": "pairing_code_refused"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"pairing_key": await _code(hass, live_bridge)}
    )
    assert result["step_id"] == "bridge_store"
    schema = {str(key): key for key in result["data_schema"].schema}
    assert schema[CONF_BACKEND].default() == "engine"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: "Discovered shop", CONF_BACKEND: "engine"}
    )
    assert result["step_id"] == "compliance"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == BRIDGE_ID
    assert result["data"][CONF_ENGINE_ON_BRIDGE] is True
    assert result["data"][CONF_CERT_SHA256] == live_bridge.cert_sha256.hex()
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # The same bridge announced at a new port updates the store instead of adding another.
    moved = ZeroconfServiceInfo(
        ip_address=ip_address("127.0.0.1"),
        ip_addresses=[ip_address("127.0.0.1")],
        hostname="test-bridge.local.",
        name=info.name,
        port=live_bridge.api_port,
        type=info.type,
        properties=info.properties,
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=moved
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_bridge_goes_away_and_comes_back(
    hass: HomeAssistant, tmp_path: Path, clip: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bridge stopped: its entities go unavailable with one log line; restarted on the same
    ports: they come back by themselves."""
    api_port, engine_port = _free_port(), _free_port()
    config = write_config(
        tmp_path, bridge_id=BRIDGE_ID, clip=clip, api_port=api_port, engine_port=engine_port
    )
    bridge = start_bridge(config, bridge_id=BRIDGE_ID)
    try:
        entry = await bridge_entry(hass, bridge, "smartshop-live-restart")
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        connection = entry.runtime_data.bridge
        await _wait_for(hass, lambda: connection.connected)
        bridge.stop()
        await _wait_for(hass, lambda: not connection.connected)
        await hass.async_block_till_done()
        assert hass.states.get(FACE_WATCH).state == STATE_UNAVAILABLE
        assert hass.states.get(CAMERA).state == STATE_UNAVAILABLE
        bridge = start_bridge(config, bridge_id=BRIDGE_ID)
        await _wait_for(hass, lambda: connection.connected)
        await hass.async_block_till_done()
        assert hass.states.get(FACE_WATCH).state != STATE_UNAVAILABLE
        assert caplog.text.count(f"Bridge {BRIDGE_ID} disconnected") == 1
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        bridge.stop()


async def test_manual_pairing_with_aws_backend(
    hass: HomeAssistant, live_bridge: RunningBridge, rekognition: Rekognition
) -> None:
    """Pair by address; wrong code and wrong port are told apart; AWS stays one choice away."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_bridge"}
    )
    assert result["step_id"] == "pair_bridge"
    code = await _code(hass, live_bridge)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: _free_port(), "pairing_key": code}
    )
    assert result["errors"] == {"base": "bridge_unreachable"}
    # A code for another certificate: refused before anything is sent.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: "127.0.0.1",
            CONF_PORT: live_bridge.api_port,
            "pairing_key": str(PairingCode.new(bytes(32))),
        },
    )
    assert result["errors"] == {"base": "certificate_mismatch"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: "127.0.0.1", CONF_PORT: live_bridge.api_port, "pairing_key": code},
    )
    assert result["step_id"] == "bridge_store"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: "!!", CONF_BACKEND: "aws"}
    )
    assert result["errors"] == {CONF_STORE_NAME: "invalid_store_name"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: "Cloud shop", CONF_BACKEND: "aws"}
    )
    assert result["step_id"] == "credentials_aws"
    rekognition.credentials_ok()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_ACCESS_KEY_ID: ACCESS_KEY,
            CONF_SECRET_ACCESS_KEY: SECRET_KEY,
            CONF_REGION: "eu-west-2",
        },
    )
    rekognition.credentials_ok()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True, CONF_AI_OPT_OUT: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert (data[CONF_BACKEND], data[CONF_BRIDGE_ID], data[CONF_BRIDGE_PORT]) == (
        "aws",
        BRIDGE_ID,
        live_bridge.api_port,
    )
    assert CONF_ENGINE_ON_BRIDGE not in data
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(result["result"].entry_id)


async def test_revoked_key_reauth_and_moved_bridge(
    hass: HomeAssistant, live_bridge: RunningBridge
) -> None:
    """A token the bridge does not know asks for a new code; a new address is tested, then
    saved."""
    entry = await bridge_entry(hass, live_bridge, "smartshop-live-reauth")
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data=dict(entry.data) | {CONF_API_TOKEN: "revoked-token-revoked-token"}
    )
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"pairing_key": str(PairingCode.new(live_bridge.cert_sha256))}
    )
    assert result["errors"] == {"base": "pairing_code_refused"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"pairing_key": await _code(hass, live_bridge)}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_API_TOKEN] != "revoked-token-revoked-token"

    result = await entry.start_reconfigure_flow(hass)
    assert set(map(str, result["data_schema"].schema)) == {CONF_HOST, CONF_PORT}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: _free_port()}
    )
    assert result["errors"] == {"base": "bridge_unreachable"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: " 127.0.0.1 ", CONF_PORT: live_bridge.api_port}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_BRIDGE_HOST] == "127.0.0.1"
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_rotation_then_removal_end_the_old_credentials(
    hass: HomeAssistant, live_bridge: RunningBridge
) -> None:
    """Rotating gives the store new credentials and the bridge then refuses the old token;
    removing the store revokes the new one."""
    entry = await bridge_entry(hass, live_bridge, "smartshop-live-rotate")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    old_token = entry.data[CONF_API_TOKEN]
    await hass.services.async_call(
        DOMAIN,
        "rotate_bridge_credentials",
        {"config_entry_id": entry.entry_id},
        blocking=True,
        context=await as_admin(hass),
    )
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    new_token = entry.data[CONF_API_TOKEN]
    assert new_token != old_token

    def client(token: str) -> BridgeClient:
        return BridgeClient(
            async_get_clientsession(hass),
            live_bridge.host,
            live_bridge.api_port,
            token,
            live_bridge.cert_sha256,
        )

    with pytest.raises(BridgeAuthError):
        await client(old_token).info()
    await client(new_token).info()
    assert await hass.config_entries.async_remove(entry.entry_id)
    with pytest.raises(BridgeAuthError):
        await client(new_token).info()


async def test_legacy_pairing_migrates_against_a_real_bridge(
    hass: HomeAssistant, tmp_path: Path, clip: Path
) -> None:
    """A store paired with this bridge before TLS (its shared key, no pin) moves to its own
    credentials and the bridge's certificate at set-up, with nothing typed."""
    config = write_config(tmp_path, bridge_id=BRIDGE_ID, clip=clip, legacy_api_key=LEGACY_KEY)
    bridge = start_bridge(config, bridge_id=BRIDGE_ID)
    try:
        entry = _entry(
            bridge,
            "smartshop-live-migrate",
            {CONF_BRIDGE_PORT: bridge.api_port, CONF_BRIDGE_KEY: LEGACY_KEY},
        )
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(entry, minor_version=2)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert entry.minor_version == 3
        assert CONF_BRIDGE_KEY not in entry.data
        assert entry.data[CONF_CERT_SHA256] == bridge.cert_sha256.hex()
        backend = entry.runtime_data.client.config
        assert backend.endpoint_url == f"https://{bridge.host}:{bridge.engine_port}"
        connection = entry.runtime_data.bridge
        await _wait_for(hass, lambda: connection.connected)
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        bridge.stop()


async def test_camera_stream_is_relayed(
    hass: HomeAssistant, live_bridge: RunningBridge, hass_client: ClientSessionGenerator
) -> None:
    """The bridge camera's MJPEG stream plays through Home Assistant's camera proxy."""
    entry = await bridge_entry(hass, live_bridge, "smartshop-live-stream")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    connection = entry.runtime_data.bridge
    await _wait_for(hass, lambda: connection.connected)
    client = await hass_client()
    response = await client.get(f"/api/camera_proxy_stream/{CAMERA}")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("multipart/x-mixed-replace")
    chunk = await response.content.read(2048)
    assert b"Content-Type: image/jpeg" in chunk
    response.close()
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_bridge_camera_list_change_follows(
    hass: HomeAssistant, tmp_path: Path, clip: Path
) -> None:
    """The bridge restarts with another camera: the store reloads, the new camera appears and the
    old camera's device is removed."""
    api_port, engine_port = _free_port(), _free_port()
    config = write_config(
        tmp_path, bridge_id=BRIDGE_ID, clip=clip, api_port=api_port, engine_port=engine_port
    )
    bridge = start_bridge(config, bridge_id=BRIDGE_ID)
    try:
        entry = await bridge_entry(hass, bridge, "smartshop-live-cameras")
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await _wait_for(hass, lambda: entry.runtime_data.bridge.connected)
        bridge.stop()
        await _wait_for(hass, lambda: not entry.runtime_data.bridge.connected)
        write_config(
            tmp_path,
            bridge_id=BRIDGE_ID,
            clip=clip,
            api_port=api_port,
            engine_port=engine_port,
            camera_id="till",
            camera_name="Till",
            location="Checkout",
        )
        bridge = start_bridge(config, bridge_id=BRIDGE_ID)
        await _wait_for(
            hass,
            lambda: hass.states.get("image_processing.checkout_till_face_watch") is not None,
        )
        await hass.async_block_till_done()
        devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        names = {device.name for device in devices}
        assert "Till" in names
        assert "Front door" not in names
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        bridge.stop()


async def test_photos_of_one_person_on_the_real_engine(
    hass: HomeAssistant, live_bridge: RunningBridge, tmp_path: Path
) -> None:
    """Several photos per entry against the bridge's real engine: a second photo of the same
    person joins its user, someone else's photo is refused and not kept, photos come and go,
    the last one stays."""
    mirrored = tmp_path / "astronaut-mirrored.jpg"
    image = Image.open(FIXTURES / "faces" / "astronaut.jpg")
    image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(mirrored, quality=90)
    hass.config.allowlist_external_dirs = {str(FIXTURES), str(tmp_path)}
    entry = await bridge_entry(hass, live_bridge, "smartshop-live-photos")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    enrolled = await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        {
            "watchlist": "Demo",
            "name": "Demo offender",
            "reason": "Demo: shoplifting",
            "incident_reference": "DEMO-2",
            "added_by": "Manager Sam",
            "image_path": str(FIXTURES / "faces" / "astronaut.jpg"),
            "justification": "repeat_offender",
            "attest_adult": True,
            "attest_not_vulnerable": True,
        },
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    person_id = enrolled["person_id"]
    (first,) = enrolled["face_ids"]

    async def photo_action(action: str, **data: str) -> dict:
        return await hass.services.async_call(
            DOMAIN,
            action,
            {"person_id": person_id, **data},
            blocking=True,
            return_response=True,
            context=await as_admin(hass),
        )

    added = await photo_action("add_photo", image_path=str(mirrored))
    assert [p["face_id"] for p in added["photos"]] == [first, added["face_id"]]
    with pytest.raises(ServiceValidationError) as refused:
        await photo_action("add_photo", image_path=str(FIXTURES / "faces" / "grace_hopper.jpg"))
    assert refused.value.translation_key == "photo_not_same_person"
    client = entry.runtime_data.client
    faces = await client.list_faces("smartshop-live-photos")
    assert {face.face_id for face in faces} == {first, added["face_id"]}  # Grace was not kept
    removed = await photo_action("remove_photo", face_id=first)
    assert [p["face_id"] for p in removed["photos"]] == [added["face_id"]]
    with pytest.raises(ServiceValidationError) as last:
        await photo_action("remove_photo", face_id=added["face_id"])
    assert last.value.translation_key == "last_photo"
    assert {face.face_id for face in await client.list_faces("smartshop-live-photos")} == {
        added["face_id"]
    }
    assert await hass.config_entries.async_unload(entry.entry_id)
