"""Diagnostics for SmartShop: settings and counts, never secrets or names."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_ACCESS_KEY_ID, CONF_ENDPOINT_URL, CONF_SECRET_ACCESS_KEY
from .data import SmartShopConfigEntry

TO_REDACT = {CONF_ACCESS_KEY_ID, CONF_SECRET_ACCESS_KEY, CONF_ENDPOINT_URL}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartShopConfigEntry
) -> dict[str, Any]:
    """Return what helps support without exposing keys or people."""
    data = entry.runtime_data
    manager = data.watchlists
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "subentries": [
            {"type": sub.subentry_type, "title": sub.title, "data": dict(sub.data)}
            for sub in entry.subentries.values()
        ],
        "runtime": {
            "recognition_enabled": data.recognition_enabled,
            "backend_available": data.health.available,
            "auth_failed": data.health.auth_failed,
            "match_threshold": data.match_threshold,
            "calls": dict(sorted(data.client.calls.items())),
            "people_per_watchlist": {
                wl.name: manager.store.count(wl.watchlist_id) for wl in manager.watchlists.values()
            },
        },
    }
