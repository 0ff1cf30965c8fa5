"""The console's sidebar panel: who sees it, and the bundle it loads."""

from __future__ import annotations

import hashlib
from typing import Any

from homeassistant.components import frontend
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.smartshop.const import CONF_CONSOLE_FOR_STAFF
from custom_components.smartshop.panel import BUNDLE, PANEL_ELEMENT, PANEL_URL_PATH

from .conftest import COLLECTION, Rekognition, setup_store, store_entry


def _panel(hass: HomeAssistant) -> frontend.Panel | None:
    return hass.data.get(frontend.DATA_PANELS, {}).get(PANEL_URL_PATH)


async def _sidebar(hass: HomeAssistant, ws_client: WebSocketGenerator, token: str | None) -> Any:
    """The panels Home Assistant's frontend lists for the user of ``token``."""
    client = await ws_client(hass, access_token=token) if token else await ws_client(hass)
    await client.send_json_auto_id({"type": "get_panels"})
    reply = await client.receive_json()
    assert reply["success"], reply
    return reply["result"]


async def test_panel_for_administrators(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    """A store adds the SmartShop panel to the sidebar, for administrators only, loading the
    committed bundle by a URL that changes with its content."""
    await setup_store(hass, rekognition, store_entry(camera=None))
    version = hashlib.sha256(BUNDLE.read_bytes()).hexdigest()[:12]

    panels = await _sidebar(hass, hass_ws_client, None)
    panel = panels[PANEL_URL_PATH]
    assert panel["component_name"] == "custom"
    assert panel["title"] == "SmartShop"
    assert panel["icon"].startswith("mdi:")
    assert panel["require_admin"] is True
    assert panel["config"]["_panel_custom"] == {
        "name": PANEL_ELEMENT,
        "module_url": f"/smartshop_static/smartshop-panel.js?v={version}",
        "embed_iframe": False,
        "trust_external": False,
    }
    staff = await _sidebar(hass, hass_ws_client, hass_read_only_access_token)
    assert PANEL_URL_PATH not in staff


async def test_bundle_is_served(
    hass: HomeAssistant, rekognition: Rekognition, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The module URL serves the committed bundle as JavaScript, cacheable for good."""
    await setup_store(hass, rekognition, store_entry(camera=None))
    panel = _panel(hass)
    assert panel is not None and panel.config is not None
    url = panel.config["_panel_custom"]["module_url"]
    client = await hass_client_no_auth()
    response = await client.get(url)
    assert response.status == 200
    assert response.content_type in ("text/javascript", "application/javascript")
    assert "max-age" in response.headers.get("Cache-Control", "")
    body = await response.read()
    assert body == BUNDLE.read_bytes()
    assert b"smartshop-panel" in body


async def test_console_for_staff_opens_the_panel(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    hass_read_only_access_token: str,
) -> None:
    """A store with console_for_staff shows the panel to every user; turning it off (the store
    reloads) hides it from them again."""
    entry = store_entry(camera=None, options={CONF_CONSOLE_FOR_STAFF: True})
    await setup_store(hass, rekognition, entry)
    staff = await _sidebar(hass, hass_ws_client, hass_read_only_access_token)
    assert staff[PANEL_URL_PATH]["require_admin"] is False

    rekognition.credentials_ok()
    rekognition.collection_exists(COLLECTION)
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_CONSOLE_FOR_STAFF: False}
    )
    await hass.async_block_till_done()
    panel = _panel(hass)
    assert panel is not None and panel.require_admin is True
    staff = await _sidebar(hass, hass_ws_client, hass_read_only_access_token)
    assert PANEL_URL_PATH not in staff


async def test_panel_leaves_with_the_last_store(
    hass: HomeAssistant, rekognition: Rekognition
) -> None:
    """Removing the only store removes the panel; a new store brings it back."""
    entry = store_entry(confirmed=False, camera=None)
    await setup_store(hass, rekognition, entry)
    assert _panel(hass) is not None
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert _panel(hass) is None

    again = store_entry(confirmed=False, camera=None)
    await setup_store(hass, rekognition, again)
    panel = _panel(hass)
    assert panel is not None and panel.require_admin is True
