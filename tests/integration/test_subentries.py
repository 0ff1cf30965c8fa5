"""Watchlist and camera subentries: add, share, edit, remove."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.smartshop.const import (
    CONF_CAMERA_ENTITY,
    CONF_CATEGORY,
    CONF_COLLECTION_ID,
    CONF_LOCATION,
    CONF_NAME,
    CONF_OWNED,
    SUBENTRY_CAMERA,
    SUBENTRY_WATCHLIST,
)

from .conftest import COLLECTION, STORE_ID, Rekognition, setup_store, store_entry

# A new watchlist's collection is named after the store's id, not the store's name.
BANNED = f"smartshop-{STORE_ID}-banned"


async def _start(
    hass: HomeAssistant,
    entry_id: str,
    kind: str,
    source: str = SOURCE_USER,
    subentry_id: str | None = None,
):
    context = {"source": source}
    if subentry_id:
        context["subentry_id"] = subentry_id
    return await hass.config_entries.subentries.async_init((entry_id, kind), context=context)


async def test_add_watchlist_creates_collection(
    hass: HomeAssistant, rekognition: Rekognition
) -> None:
    """A new watchlist creates its own collection; errors on the way are recoverable."""
    entry = store_entry(watchlist=False, camera=None)
    await setup_store(hass, rekognition, entry)
    result = await _start(hass, entry.entry_id, SUBENTRY_WATCHLIST)
    assert result["step_id"] == "user"

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "  ", CONF_CATEGORY: "banned"}
    )
    assert result["errors"] == {CONF_NAME: "invalid_name"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "Banned", CONF_CATEGORY: "banned", CONF_COLLECTION_ID: "bad id!"},
    )
    assert result["errors"] == {CONF_COLLECTION_ID: "invalid_collection_id"}
    rekognition.error("describe_collection", "ThrottlingException", "Rate exceeded")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Banned", CONF_CATEGORY: "banned"}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    rekognition.error("describe_collection", "ResourceNotFoundException")
    rekognition.collection_exists(BANNED)
    rekognition.credentials_ok()  # the reload after the change
    rekognition.collection_exists(BANNED)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Banned", CONF_CATEGORY: "banned"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    subentry = next(iter(entry.subentries.values()))
    assert subentry.data == {
        CONF_NAME: "Banned",
        CONF_CATEGORY: "banned",
        CONF_COLLECTION_ID: BANNED,
        CONF_OWNED: True,
    }
    assert entry.runtime_data.watchlists.collection_ids == [BANNED]
    rekognition.assert_done()


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("UnrecognizedClientException", "invalid_auth"),
        ("AccessDeniedException", "access_denied"),
        ("InvalidParameterException", "unknown"),
    ],
)
async def test_add_watchlist_backend_errors(
    hass: HomeAssistant, rekognition: Rekognition, code: str, error: str
) -> None:
    """Backend refusals while creating the collection are shown on the form."""
    entry = store_entry(watchlist=False, camera=None)
    await setup_store(hass, rekognition, entry)
    result = await _start(hass, entry.entry_id, SUBENTRY_WATCHLIST)
    rekognition.error(
        "describe_collection", code, "not authorized to perform: rekognition:DescribeCollection"
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Banned", CONF_CATEGORY: "banned"}
    )
    assert result["errors"] == {"base": error}


async def test_join_shared_collection_and_remove(
    hass: HomeAssistant, rekognition: Rekognition
) -> None:
    """Naming another store's collection joins it; removing it later keeps the collection."""
    entry = store_entry(watchlist=False, camera=None)
    await setup_store(hass, rekognition, entry)
    result = await _start(hass, entry.entry_id, SUBENTRY_WATCHLIST)
    rekognition.ok(
        "describe_collection",
        {"FaceCount": 12, "FaceModelVersion": "7.0"},
        {"CollectionId": "chain-banned"},
    )
    rekognition.credentials_ok()
    rekognition.collection_exists("chain-banned")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "Chain banned", CONF_CATEGORY: "banned", CONF_COLLECTION_ID: "chain-banned"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    subentry_id, subentry = next(iter(entry.subentries.items()))
    assert subentry.data[CONF_OWNED] is False

    # The same collection twice in one store is refused.
    result = await _start(hass, entry.entry_id, SUBENTRY_WATCHLIST)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "Again", CONF_CATEGORY: "banned", CONF_COLLECTION_ID: "chain-banned"},
    )
    assert result["reason"] == "already_configured"

    # Removing a shared watchlist never deletes the collection (no DeleteCollection is stubbed).
    rekognition.credentials_ok()
    assert hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.watchlists.store.watchlists == {}
    rekognition.assert_done()


async def test_remove_owned_watchlist_deletes_collection(
    hass: HomeAssistant, rekognition: Rekognition
) -> None:
    """Removing a watchlist this store created deletes its collection and forgets its people."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    subentry_id = next(iter(entry.subentries))
    rekognition.credentials_ok()
    rekognition.ok("delete_collection", {"StatusCode": 200}, {"CollectionId": COLLECTION})
    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    rekognition.assert_done()
    assert entry.runtime_data.watchlists.collection_ids == []


async def test_reconfigure_watchlist(hass: HomeAssistant, rekognition: Rekognition) -> None:
    """A watchlist can be renamed and re-categorised; the collection stays."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    subentry_id = next(iter(entry.subentries))
    result = await _start(hass, entry.entry_id, SUBENTRY_WATCHLIST, SOURCE_RECONFIGURE, subentry_id)
    assert result["description_placeholders"] == {"collection": COLLECTION}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "", CONF_CATEGORY: "violence"}
    )
    assert result["errors"] == {CONF_NAME: "invalid_name"}
    rekognition.credentials_ok()
    rekognition.collection_exists()
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Violent", CONF_CATEGORY: "violence"}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.subentries[subentry_id].title == "Violent"
    assert entry.subentries[subentry_id].data[CONF_COLLECTION_ID] == COLLECTION


async def test_subentry_needs_loaded_store(hass: HomeAssistant, rekognition: Rekognition) -> None:
    """A watchlist cannot be added while the store cannot reach its backend."""
    entry = store_entry(watchlist=False, camera=None)
    entry.add_to_hass(hass)
    rekognition.error("describe_collection", "ServiceUnavailableException", status=503)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    result = await _start(hass, entry.entry_id, SUBENTRY_WATCHLIST)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "store_not_loaded"


async def test_add_edit_camera(hass: HomeAssistant, rekognition: Rekognition, still_camera) -> None:
    """A camera becomes a face watch entity on the store's device, named after its location."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    result = await _start(hass, entry.entry_id, SUBENTRY_CAMERA)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_CAMERA_ENTITY: "camera.nowhere", CONF_LOCATION: "Back"}
    )
    assert result["errors"] == {CONF_CAMERA_ENTITY: "camera_not_found"}
    rekognition.credentials_ok()
    rekognition.collection_exists()
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_CAMERA_ENTITY: "camera.front_door", CONF_LOCATION: "Till 1"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    state = hass.states.get("image_processing.high_street_till_1_face_watch")
    assert state is not None
    entity = er.async_get(hass).async_get(state.entity_id)
    camera_subentry_id = next(
        k for k, v in entry.subentries.items() if v.subentry_type == SUBENTRY_CAMERA
    )
    assert entity.config_subentry_id == camera_subentry_id

    result = await _start(hass, entry.entry_id, SUBENTRY_CAMERA)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_CAMERA_ENTITY: "camera.front_door"}
    )
    assert result["reason"] == "already_configured"

    result = await _start(
        hass, entry.entry_id, SUBENTRY_CAMERA, SOURCE_RECONFIGURE, camera_subentry_id
    )
    assert result["step_id"] == "reconfigure"
    rekognition.credentials_ok()
    rekognition.collection_exists()
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_CAMERA_ENTITY: "camera.front_door", CONF_LOCATION: "Entrance"}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.subentries[camera_subentry_id].title == "Entrance"
