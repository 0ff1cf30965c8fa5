"""The manager's console in Home Assistant's sidebar: the panel's bundle and its registration.

The bundle (``frontend/smartshop-panel.js``) is built from the repository's ``frontend/`` folder
(``scripts/build-panel``) and committed, so HACS installs it with the integration. Its URL carries
a short hash of its content, so a browser never runs an old bundle after an update while the file
itself may be cached for good.

The panel is for administrators unless a loaded store lets its staff use the console (the store
option ``console_for_staff``); the choice is made again whenever a store is added, loads, unloads
or is removed, and the panel leaves the sidebar with the last store.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

from homeassistant.components import frontend
from homeassistant.components.http.server import StaticPathConfig
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import DOMAIN, LOGGER
from .permissions import staff_store_ids

PANEL_URL_PATH: Final = "smartshop"
PANEL_ELEMENT: Final = "smartshop-panel"
PANEL_TITLE: Final = "SmartShop"
PANEL_ICON: Final = "mdi:store-search"
BUNDLE: Final = Path(__file__).parent / "frontend" / "smartshop-panel.js"
BUNDLE_URL: Final = "/smartshop_static/smartshop-panel.js"
VERSION_LENGTH: Final = 12


def bundle_version(bundle: Path = BUNDLE) -> str:
    """A short hash of the bundle's bytes, for its URL (blocking: reads the file)."""
    return hashlib.sha256(bundle.read_bytes()).hexdigest()[:VERSION_LENGTH]


def module_url(version: str) -> str:
    """The URL the sidebar loads the panel's module from."""
    return f"{BUNDLE_URL}?v={version}"


async def async_setup_panel(hass: HomeAssistant) -> None:
    """Serve the bundle, add the panel to the sidebar and follow the stores' changes.

    Called once, from the integration's set-up.
    """
    url = module_url(await hass.async_add_executor_job(bundle_version))
    await hass.http.async_register_static_paths(
        [StaticPathConfig(BUNDLE_URL, str(BUNDLE), cache_headers=True)]
    )

    @callback
    def _entry_changed(change: ConfigEntryChange, entry: ConfigEntry) -> None:
        # Any entry's change (another integration's leaves the stores as they are).
        gone = entry.entry_id if change is ConfigEntryChange.REMOVED else None
        _async_update_panel(hass, url, removed_entry_id=gone)

    async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed)
    _async_update_panel(hass, url)


@callback
def _async_update_panel(hass: HomeAssistant, url: str, removed_entry_id: str | None = None) -> None:
    """Register the panel for who may use it now; remove it once no store is left."""
    entries = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.entry_id != removed_entry_id
    ]
    if not entries:
        frontend.async_remove_panel(hass, PANEL_URL_PATH, warn_if_unknown=False)
        return
    # The console's own rule: users who are not administrators get in through a loaded store's
    # console_for_staff option, so the sidebar shows them the panel exactly when it would work.
    require_admin = not staff_store_ids(hass)
    current = hass.data.get(frontend.DATA_PANELS, {}).get(PANEL_URL_PATH)
    if current is not None and current.require_admin == require_admin:
        return
    frontend.async_register_built_in_panel(
        hass,
        component_name="custom",
        sidebar_title=PANEL_TITLE,
        sidebar_icon=PANEL_ICON,
        frontend_url_path=PANEL_URL_PATH,
        config={
            "_panel_custom": {
                "name": PANEL_ELEMENT,
                "module_url": url,
                "embed_iframe": False,
                "trust_external": False,
            }
        },
        require_admin=require_admin,
        update=True,
    )
    LOGGER.debug("Console panel registered (administrators only: %s)", require_admin)
