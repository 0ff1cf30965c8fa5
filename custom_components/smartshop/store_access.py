"""The stores one caller may see, as the permission table (``permissions.py``) decides: every
loaded store for administrators and automations, the stores whose console is open to staff for
other users, none for users who are not active."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from homeassistant.auth.models import User
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import Unauthorized

from .const import DOMAIN
from .data import SmartShopConfigEntry
from .permissions import staff_store_ids


@dataclass(frozen=True, slots=True)
class Access:
    """The stores one user may see, and whether they administer them."""

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


def _loaded(hass: HomeAssistant) -> list[SmartShopConfigEntry]:
    loaded: list[SmartShopConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    return loaded


def user_access(hass: HomeAssistant, user: User | None) -> Access | None:
    """The stores a user (None: an automation) may see, or None when they may see none."""
    if user is not None and not user.is_active:
        return None
    if user is None or user.is_admin:
        return Access(user is not None, {entry.entry_id: entry for entry in _loaded(hass)})
    staff = staff_store_ids(hass)
    stores = {entry.entry_id: entry for entry in _loaded(hass) if entry.entry_id in staff}
    return Access(False, stores) if stores else None
