"""Setting up, unloading and removing a store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import re
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartshop.const import CONF_BRIDGE_KEY, CONF_STORE_ID, DOMAIN

from .conftest import (
    BRIDGE_ID,
    COLLECTION,
    STORE_ID,
    FakeBridge,
    Rekognition,
    bridge_store_entry,
    setup_store,
    store_entry,
)


async def test_setup_and_unload(
    hass: HomeAssistant, rekognition: Rekognition, still_camera
) -> None:
    """A confirmed store loads, creates its collection and a face watch entity."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    assert entry.state is ConfigEntryState.LOADED
    rekognition.assert_done()
    state = hass.states.get("image_processing.high_street_front_door_face_watch")
    assert state is not None
    assert state.state == "0"
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"recognition_disabled_{entry.entry_id}") is None
    )

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


@pytest.mark.parametrize(
    ("code", "message", "state", "reauth"),
    [
        ("UnrecognizedClientException", "bad token", ConfigEntryState.SETUP_ERROR, True),
        (
            "AccessDeniedException",
            "not authorized to perform: rekognition:DescribeCollection",
            ConfigEntryState.SETUP_ERROR,
            True,
        ),
        ("ServiceUnavailableException", "down", ConfigEntryState.SETUP_RETRY, False),
        ("InvalidParameterException", "odd", ConfigEntryState.SETUP_RETRY, False),
    ],
)
async def test_setup_failures(
    hass: HomeAssistant,
    rekognition: Rekognition,
    code: str,
    message: str,
    state: ConfigEntryState,
    reauth: bool,
) -> None:
    """Auth problems ask for new keys; transient ones retry later."""
    entry = store_entry()
    entry.add_to_hass(hass)
    rekognition.error("describe_collection", code, message)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is state
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert bool(flows) is reauth


async def test_setup_wrong_region(hass: HomeAssistant, rekognition: Rekognition) -> None:
    """A region without Rekognition is a permanent error until reconfigured."""
    entry = store_entry()
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data=dict(entry.data) | {"region": "xx-nowhere-9"}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR


async def test_remove_entry_forgets_people(
    hass: HomeAssistant, rekognition: Rekognition, hass_storage
) -> None:
    """Removing the store deletes its people file and its repair issue."""
    entry = store_entry(confirmed=False, camera=None)
    await setup_store(hass, rekognition, entry)
    key = f"{DOMAIN}.{entry.entry_id}.people"
    assert key in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"recognition_disabled_{entry.entry_id}") is None
    )


async def test_store_device(hass: HomeAssistant, rekognition: Rekognition, still_camera) -> None:
    """Each store is a device; each watched camera a device linked to it; sensors on the store."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.entry_id), entry.entry_id
    )
    assert device is not None
    assert device.name == "High Street"
    entity = er.async_get(hass).async_get("image_processing.high_street_front_door_face_watch")
    camera_device = dr.async_get(hass).async_get(entity.device_id)
    assert camera_device.via_device_id == device.id
    assert camera_device.name == "High Street Front door"
    sensor = er.async_get(hass).async_get("sensor.high_street_billable_calls_today")
    assert sensor.device_id == device.id
    assert entity.unique_id == f"{entry.entry_id}_{entity.config_subentry_id}"
    assert COLLECTION in entry.runtime_data.watchlists.collection_ids


def _subentries(entry: MockConfigEntry) -> dict[str, tuple[str, str | None, dict[str, object]]]:
    return {
        sub_id: (sub.subentry_type, sub.unique_id, dict(sub.data))
        for sub_id, sub in entry.subentries.items()
    }


async def test_migrate_store_named_by_slug(
    hass: HomeAssistant, rekognition: Rekognition, still_camera
) -> None:
    """A 1.1 store identified by its slugified name gets a generated id; nothing else changes:
    its watchlist keeps its collection id and the store loads on it."""
    entry = store_entry(legacy=True)
    data, options, subentries = dict(entry.data), dict(entry.options), _subentries(entry)
    assert entry.unique_id == "high_street"
    assert CONF_STORE_ID not in data
    await setup_store(hass, rekognition, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 3)
    assert re.fullmatch(r"[0-9a-f]{32}", entry.unique_id or "")
    assert entry.data == data | {CONF_STORE_ID: entry.unique_id}
    assert entry.options == options
    assert _subentries(entry) == subentries
    assert entry.runtime_data.watchlists.collection_ids == [COLLECTION]
    rekognition.assert_done()


async def test_migrate_bridge_store_keeps_bridge_id(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """A store paired with a bridge was already identified by the bridge: the id stays, and its
    pairing from before TLS moves to credentials of its own (tests/integration/
    test_bridge_security.py has the details)."""
    entry = bridge_store_entry(fake_bridge, minor_version=1, legacy=True)
    data = dict(entry.data)
    await setup_store(hass, rekognition, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.minor_version == 3
    assert entry.unique_id == BRIDGE_ID
    assert CONF_BRIDGE_KEY not in entry.data
    assert {k: v for k, v in data.items() if k != CONF_BRIDGE_KEY}.items() <= entry.data.items()


async def test_store_from_newer_minor_version_loads_unchanged(
    hass: HomeAssistant, rekognition: Rekognition
) -> None:
    """A store saved by a later SmartShop of the same major version (1.4) loads as it is."""
    entry = store_entry(watchlist=False, camera=None)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, minor_version=4)
    data = dict(entry.data)
    await setup_store(hass, rekognition, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.minor_version, entry.unique_id, dict(entry.data)) == (4, STORE_ID, data)


async def test_backend_checked_as_soon_as_the_bridge_returns(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """A store on its bridge's engine lost the backend with the bridge; when the bridge is back
    the backend is checked at once, not at the next periodic probe."""
    entry = bridge_store_entry(fake_bridge)
    await setup_store(hass, rekognition, entry)
    data = entry.runtime_data
    bridge = data.bridge
    assert bridge is not None
    changed = asyncio.Event()
    bridge.add_listener(changed.set)
    data.health.add_listener(changed.set)

    async def until(condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(10):  # the periodic probe would take 20 s
            while not condition():
                changed.clear()
                await changed.wait()

    await until(lambda: bridge.connected)
    data.health.mark_unavailable("a search failed while the bridge restarted")
    rekognition.credentials_ok()  # the check when the bridge is back
    with patch(
        "custom_components.smartshop.bridge_connection.wait_backoff", AsyncMock(return_value=None)
    ):
        await fake_bridge.drop_event_streams()
        await until(lambda: bridge.connected and data.health.available)
    rekognition.assert_done()
