"""Setting up, unloading and removing a store."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.smartshop.const import DOMAIN

from .conftest import COLLECTION, Rekognition, setup_store, store_entry


async def test_setup_and_unload(hass: HomeAssistant, rekognition: Rekognition, still_camera) -> None:
    """A confirmed store loads, creates its collection and a face watch entity."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    assert entry.state is ConfigEntryState.LOADED
    rekognition.assert_done()
    state = hass.states.get("image_processing.high_street_face_watch_front_door")
    assert state is not None
    assert state.state == "0"
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"recognition_disabled_{entry.entry_id}") is None

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
