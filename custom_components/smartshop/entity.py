"""Base entity for SmartShop."""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .bridge_protocol import BridgeCamera
from .const import DOMAIN
from .data import SmartShopConfigEntry


def store_device_info(entry: SmartShopConfigEntry) -> DeviceInfo:
    """The device that stands for a store."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer="SmartShop",
        model="Store",
        entry_type=DeviceEntryType.SERVICE,
    )


def bridge_device_info(entry: SmartShopConfigEntry, bridge_id: str, version: str) -> DeviceInfo:
    """The device that stands for the store's edge bridge."""
    return DeviceInfo(
        identifiers={(DOMAIN, bridge_id)},
        name=f"{entry.title} bridge",
        manufacturer="SmartShop",
        model="Edge bridge",
        sw_version=version or None,
        via_device_id=entry.runtime_data.store_device_id,
    )


def bridge_camera_device_info(entry: SmartShopConfigEntry, camera: BridgeCamera) -> DeviceInfo:
    """A camera read by the store's bridge."""
    bridge = entry.runtime_data.bridge
    assert bridge is not None
    return DeviceInfo(
        identifiers={(DOMAIN, f"{bridge.info.bridge_id}_{camera.camera_id}")},
        name=camera.name,
        manufacturer="SmartShop",
        model="Bridge camera",
        suggested_area=camera.location,
        via_device_id=entry.runtime_data.bridge_device_id,
    )


class SmartShopEntity(Entity):
    """An entity that belongs to a store's device."""

    _attr_has_entity_name = True
    # Every SmartShop entity is pushed to: bridge events, the match signal, usage and health.
    _attr_should_poll = False

    def __init__(
        self, entry: SmartShopConfigEntry, unique_suffix: str, camera: ConfigSubentry | None = None
    ) -> None:
        """Attach the entity to its store's device, or to its camera's device within the store.

        A device belongs to one config subentry, so each watched camera has its own device
        (linked to the store's device) rather than sharing the store's.
        """
        self._entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{unique_suffix}"
        if camera is None:
            self._attr_device_info = store_device_info(entry)
        else:
            self._attr_device_info = DeviceInfo(
                identifiers={(DOMAIN, f"{entry.entry_id}_{camera.subentry_id}")},
                name=f"{entry.title} {camera.title}",
                manufacturer="SmartShop",
                model="Watched camera",
                entry_type=DeviceEntryType.SERVICE,
                via_device_id=entry.runtime_data.store_device_id,
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
