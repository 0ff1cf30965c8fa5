"""Who may use the manager's console, and for which stores.

Administrators: every loaded store, every command. Other users: only the stores whose option
``console_for_staff`` is on (none: the console is closed to them), and never the commands that
change or remove watchlist entries (``console_api`` checks that).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import Unauthorized

from .const import DOMAIN
from .data import SmartShopConfigEntry

# Store option: users who are not administrators may use the console for this store (look and
# review; no watchlist changes). Off by default; its field in the options flow is still to come.
CONF_CONSOLE_FOR_STAFF: Final = "console_for_staff"


@dataclass(frozen=True, slots=True)
class Access:
    """What one signed-in user may do in the console."""

    admin: bool
    stores: dict[str, SmartShopConfigEntry]  # by store id (config entry id)

    def store_ids(self, wanted: Iterable[str] | None = None) -> tuple[str, ...]:
        """The stores asked for (all this user may see when none are); a store the user may
        not see is refused."""
        chosen = tuple(dict.fromkeys(wanted or ()))
        if not chosen:
            return tuple(self.stores)
        if any(store_id not in self.stores for store_id in chosen):
            raise Unauthorized
        return chosen


def console_access(hass: HomeAssistant, user_is_admin: bool) -> Access | None:
    """The stores a user may see, or None when the console is closed to them."""
    loaded: list[SmartShopConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if user_is_admin:
        return Access(True, {entry.entry_id: entry for entry in loaded})
    staff = {
        entry.entry_id: entry
        for entry in loaded
        if entry.options.get(CONF_CONSOLE_FOR_STAFF, False)
    }
    return Access(False, staff) if staff else None
