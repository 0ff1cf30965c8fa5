"""Usage sensors of a store: billable calls and cost today, last match latency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import SmartShopConfigEntry
from .entity import SmartShopEntity
from .usage import UsageMeter

# State comes from the shared usage meter; nothing to poll or serialise.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartShopSensorDescription(SensorEntityDescription):
    """A store sensor read from the usage meter."""

    value_fn: Callable[[UsageMeter], float | int | None]


SENSORS: tuple[SmartShopSensorDescription, ...] = (
    SmartShopSensorDescription(
        key="searches_today",
        translation_key="searches_today",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda usage: usage.searches_today,
    ),
    SmartShopSensorDescription(
        key="cost_today",
        translation_key="cost_today",
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement="USD",
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda usage: usage.cost_today,
    ),
    SmartShopSensorDescription(
        key="last_match_latency",
        translation_key="last_match_latency",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda usage: usage.last_latency_ms,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One set of usage sensors per store."""
    async_add_entities(SmartShopSensor(entry, description) for description in SENSORS)


class SmartShopSensor(SmartShopEntity, SensorEntity):
    """A usage figure of one store."""

    entity_description: SmartShopSensorDescription
    _attr_should_poll = False

    def __init__(
        self, entry: SmartShopConfigEntry, description: SmartShopSensorDescription
    ) -> None:
        """Describe the sensor."""
        super().__init__(entry, description.key)
        self.entity_description = description

    @property
    def available(self) -> bool:
        """Usage is known even while the backend is down."""
        return True

    @property
    def native_value(self) -> float | int | None:
        """Read the meter."""
        return self.entity_description.value_fn(self._entry.runtime_data.usage)

    async def async_added_to_hass(self) -> None:
        """Follow the meter."""
        await super().async_added_to_hass()
        self.async_on_remove(self._entry.runtime_data.usage.add_listener(self.async_write_ha_state))
