"""Base entity for SmartShop."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import DOMAIN
from .data import SmartShopConfigEntry


class SmartShopEntity(Entity):
    """An entity that belongs to a store's device."""

    _attr_has_entity_name = True

    def __init__(self, entry: SmartShopConfigEntry, unique_suffix: str) -> None:
        """Attach the entity to its store."""
        self._entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{unique_suffix}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            manufacturer="SmartShop",
            model="Store",
            entry_type=DeviceEntryType.SERVICE,
        )

    @property
    def available(self) -> bool:
        """Unavailable while recognition is off, credentials fail or the backend is down."""
        data = self._entry.runtime_data
        return data.can_search and data.health.available

    async def async_added_to_hass(self) -> None:
        """Follow the backend's health."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._entry.runtime_data.health.add_listener(self.async_write_ha_state)
        )
