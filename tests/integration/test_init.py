"""Setting up, unloading and removing a store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import re
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartshop import _async_migrate_users
from custom_components.smartshop.const import CONF_BRIDGE_KEY, CONF_STORE_ID, DOMAIN
from custom_components.smartshop.people import migrate_people_data

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
from .helpers import as_admin


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


def _v1_people_file(entry: MockConfigEntry, face_id: str = "f-legacy-1") -> dict:
    """A people file as SmartShop wrote it before users: one face per entry, version 1."""
    watchlist_id = next(iter(entry.subentries))
    return {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.people",
        "data": {
            "people": [
                {
                    "person_id": PERSON_ID,
                    "watchlist_id": watchlist_id,
                    "display_name": "Legacy entry",
                    "category": "theft",
                    "reason": "Shoplifting",
                    "incident_reference": "INC-7",
                    "added_by": "Manager Sam",
                    "added_at": "2026-11-01T10:00:00+00:00",
                    "expires_at": "2099-11-01T00:00:00+00:00",
                    "review_at": "2099-01-01T00:00:00+00:00",
                    "updated_at": "2026-11-01T10:00:00+00:00",
                    "face_ids": [face_id],
                }
            ],
            "watchlists": {watchlist_id: {"collection_id": COLLECTION, "owned": True}},
        },
    }


PERSON_ID = "44444444-4444-4444-4444-444444444444"


def _user_made(rekognition: Rekognition, *, exists: bool = False) -> None:
    if exists:
        rekognition.error("create_user", "ConflictException", "The user already exists", 409)
    else:
        rekognition.ok("create_user", {}, {"CollectionId": COLLECTION, "UserId": PERSON_ID})
    rekognition.ok(
        "associate_faces",
        {"AssociatedFaces": [{"FaceId": "f-legacy-1"}], "UserStatus": "ACTIVE"},
        {"CollectionId": COLLECTION, "UserId": PERSON_ID, "FaceIds": ["f-legacy-1"]},
    )


async def _setup(hass: HomeAssistant, rekognition: Rekognition, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_entries_from_before_users_become_users(
    hass: HomeAssistant, rekognition: Rekognition, hass_storage
) -> None:
    """At set-up a one-face entry becomes a user with its face (an existing user is fine), the
    people file moves to version 2, and the store then searches by person."""
    entry = store_entry(camera=None)
    hass_storage[f"{DOMAIN}.{entry.entry_id}.people"] = _v1_people_file(entry)
    rekognition.credentials_ok()
    rekognition.collection_exists()
    _user_made(rekognition, exists=True)
    await _setup(hass, rekognition, entry)
    rekognition.assert_done()
    assert entry.state is ConfigEntryState.LOADED
    manager = entry.runtime_data.watchlists
    person = manager.store.get(PERSON_ID)
    assert person is not None
    assert person.user_created
    assert person.photo_time("f-legacy-1").isoformat() == "2026-11-01T10:00:00+00:00"
    assert manager.search_by_user
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.people"]
    assert (stored["version"], stored["minor_version"]) == (2, 2)
    assert stored["data"]["people"][0]["user_created"] is True
    # From before the enrolment safeguards: shown without them, and not blocked.
    assert (person.justification, person.attest_adult, person.attest_not_vulnerable) == (
        "",
        False,
        False,
    )
    assert person.active
    listed = await hass.services.async_call(
        DOMAIN, "list_people", {}, blocking=True, return_response=True, context=await as_admin(hass)
    )
    (shown,) = listed["people"]
    assert (shown["status"], shown["justification"], shown["attest_adult"]) == ("active", "", False)

    # Nothing left to do: the next start makes no user calls.
    rekognition.credentials_ok()
    rekognition.collection_exists()
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    rekognition.assert_done()


async def test_migration_retried_while_the_backend_refuses(
    hass: HomeAssistant, rekognition: Rekognition, hass_storage
) -> None:
    """A backend that cannot make the user at set-up does not stop the store: it searches by
    face meanwhile and the user is made at a later retry."""
    entry = store_entry(camera=None)
    hass_storage[f"{DOMAIN}.{entry.entry_id}.people"] = _v1_people_file(entry)
    rekognition.credentials_ok()
    rekognition.collection_exists()
    rekognition.error("create_user", "ServiceUnavailableException", status=503)
    await _setup(hass, rekognition, entry)
    rekognition.assert_done()
    assert entry.state is ConfigEntryState.LOADED
    manager = entry.runtime_data.watchlists
    assert not manager.search_by_user
    assert manager.users_to_retry

    # The retry the store runs every USER_MIGRATION_INTERVAL, called directly.
    _user_made(rekognition)
    await _async_migrate_users(entry, dt_util.utcnow())
    rekognition.assert_done()
    assert manager.store.get(PERSON_ID).user_created
    assert manager.search_by_user
    assert not manager.users_to_retry

    # Once done, the retry asks nothing.
    await _async_migrate_users(entry, dt_util.utcnow())
    rekognition.assert_done()


def test_people_file_migration_keeps_what_it_finds() -> None:
    """Version 1 to 2 adds photo times and the user flag; version 2 data passes unchanged."""
    data = {"people": [{"person_id": "p", "added_at": "t", "face_ids": ["a", "b"]}]}
    migrated = migrate_people_data(1, data)
    assert migrated["people"][0]["photo_added_at"] == {"a": "t", "b": "t"}
    assert migrated["people"][0]["user_created"] is False
    assert migrate_people_data(2, migrated) is migrated
    safeguarded = migrate_people_data(2, migrated, 1)["people"][0]
    assert (safeguarded["justification"], safeguarded["active"]) == ("", True)
    assert safeguarded["attest_adult"] is safeguarded["attest_not_vulnerable"] is False
    assert safeguarded["user_created"] is False  # what was there stays
