"""Diagnostics for SmartShop: settings and counts, never secrets or names."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_BRIDGE_HOST, CONF_ENDPOINT_URL, SECRET_KEYS
from .data import SmartShopConfigEntry

# Every credential, plus where the backend and the bridge are on the owner's network (an engine
# URL may also carry user:password).
TO_REDACT: Final = SECRET_KEYS | {CONF_ENDPOINT_URL, CONF_BRIDGE_HOST}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartShopConfigEntry
) -> dict[str, Any]:
    """Return what helps support without exposing keys or people."""
    data = entry.runtime_data
    manager = data.watchlists
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "subentries": [
            {
                "type": sub.subentry_type,
                "title": sub.title,
                "data": async_redact_data(dict(sub.data), TO_REDACT),
            }
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
            # Entries whose own threshold staff dismissals raised (a count: no UUIDs, no names).
            "entries_with_raised_threshold": sum(
                1 for person in manager.store.people() if person.dismissal_threshold is not None
            ),
        },
        # Reviewed alerts, confirmed vs dismissed, per camera and per watchlist.
        "calibration": (
            await hass.async_add_executor_job(data.incidents.calibration, entry.entry_id)
        ).as_dict(),
    }
