"""The store's "person of interest on premises" sensor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later

from .const import (
    CONF_PRESENCE_MINUTES,
    DEFAULT_PRESENCE_MINUTES,
    EVENT_DISMISSED,
    EVENT_MATCH,
    signal_match,
)
from .data import SmartShopConfigEntry
from .entity import SmartShopEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One presence sensor per store."""
    async_add_entities([PersonOfInterestSensor(entry)])


class PersonOfInterestSensor(SmartShopEntity, BinarySensorEntity):
    """On after a watchlist match; off by itself after the configured time, or when every match
    that turned it on was dismissed by staff."""

    _attr_translation_key = "person_of_interest"
    _attr_device_class = BinarySensorDeviceClass.OCCUPANCY
    _attr_is_on = False

    def __init__(self, entry: SmartShopConfigEntry) -> None:
        """Attach to the store's device."""
        super().__init__(entry, "person_of_interest")
        self._active: set[str] = set()  # incidents keeping the sensor on
        self._cancel_off: CALLBACK_TYPE | None = None

    @property
    def available(self) -> bool:
        """Known even while the backend is down."""
        return True

    async def async_added_to_hass(self) -> None:
        """Follow the store's matches and reviews."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_match(self._entry.entry_id), self._async_handle
            )
        )
        self.async_on_remove(self._cancel_timer)

    @callback
    def _cancel_timer(self) -> None:
        if self._cancel_off is not None:
            self._cancel_off()
            self._cancel_off = None

    @callback
    def _async_handle(self, event_type: str, payload: dict[str, Any]) -> None:
        incident = str(payload.get("incident_id"))
        if event_type == EVENT_MATCH:
            self._active.add(incident)
            self._cancel_timer()
            minutes = float(
                self._entry.options.get(CONF_PRESENCE_MINUTES, DEFAULT_PRESENCE_MINUTES)
            )
            self._cancel_off = async_call_later(
                self.hass, timedelta(minutes=minutes), self._async_turn_off
            )
        elif event_type == EVENT_DISMISSED:
            self._active.discard(incident)
            if not self._active:
                self._cancel_timer()
        else:
            return
        self._attr_is_on = bool(self._active)
        self.async_write_ha_state()

    @callback
    def _async_turn_off(self, _now: Any) -> None:
        self._cancel_off = None
        self._active.clear()
        self._attr_is_on = False
        self.async_write_ha_state()
