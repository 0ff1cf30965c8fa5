"""Event entities: one per watched camera, for matches and their review."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    EVENT_CONFIRMED,
    EVENT_DISMISSED,
    EVENT_MATCH,
    SUBENTRY_CAMERA,
    signal_match,
)
from .data import SmartShopConfigEntry
from .entity import SmartShopEntity, bridge_camera_device_info

# State changes come from the dispatcher; nothing polls.
PARALLEL_UPDATES = 0

EVENT_TYPES = {EVENT_MATCH: "match", EVENT_CONFIRMED: "confirmed", EVENT_DISMISSED: "dismissed"}
# Identifiers only: the recorder keeps event entity attributes.
ATTRIBUTES = ("incident_id", "person_id", "watchlist", "category", "similarity", "reviewer")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """An event entity per camera subentry and per bridge camera."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_CAMERA:
            async_add_entities(
                [
                    SmartShopMatchEvent(
                        entry,
                        f"{subentry.subentry_id}_event",
                        camera=subentry.data["camera_entity_id"],
                        subentry=subentry,
                    )
                ],
                config_subentry_id=subentry.subentry_id,
            )
    if (bridge := entry.runtime_data.bridge) is not None:
        for camera in bridge.info.cameras:
            entity = SmartShopMatchEvent(
                entry,
                f"{bridge.info.bridge_id}_{camera.camera_id}_event",
                camera=f"{bridge.info.bridge_id}/{camera.camera_id}",
            )
            entity._attr_device_info = bridge_camera_device_info(entry, camera)
            async_add_entities([entity])


class SmartShopMatchEvent(SmartShopEntity, EventEntity):
    """Fires "match", then "confirmed" or "dismissed", for one camera."""

    _attr_translation_key = "watchlist_match"

    def __init__(
        self,
        entry: SmartShopConfigEntry,
        unique_suffix: str,
        *,
        camera: str,
        subentry: ConfigSubentry | None = None,
        device_info: DeviceInfo | None = None,
    ) -> None:
        """Listen for one camera's matches (on its camera subentry's or bridge camera's device)."""
        super().__init__(entry, unique_suffix, camera=subentry)
        if device_info is not None:
            self._attr_device_info = device_info
        self._attr_event_types = list(EVENT_TYPES.values())
        self._camera = camera

    @property
    def available(self) -> bool:
        """An event entity stays available: its history matters even when the backend is down."""
        return True

    async def async_added_to_hass(self) -> None:
        """Follow the store's match and review signal."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_match(self._entry.entry_id), self._async_handle
            )
        )

    @callback
    def _async_handle(self, event_type: str, payload: dict[str, Any]) -> None:
        if payload.get("camera") != self._camera:
            return
        self._trigger_event(
            EVENT_TYPES[event_type], {key: payload[key] for key in ATTRIBUTES if key in payload}
        )
        self.async_write_ha_state()
