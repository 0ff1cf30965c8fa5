"""Diagnostics: useful for support, never a secret or a name."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .conftest import ACCESS_KEY, SECRET_KEY, Rekognition, setup_store, store_entry


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    rekognition: Rekognition,
    still_camera,
    snapshot: SnapshotAssertion,
) -> None:
    """Keys are redacted; the snapshot pins the shape."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(result)
    assert SECRET_KEY not in text
    assert ACCESS_KEY not in text
    assert result == snapshot(exclude=props("entry_id", "subentry_id"))
