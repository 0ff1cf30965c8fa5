"""Diagnostic sensors of a store: billable calls and cost today, last match latency, the share of
reviewed alerts staff confirmed, and when the last privacy purge ran and what it removed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity
from homeassistant.util import dt as dt_util

from .const import EVENT_CONFIRMED, EVENT_DISMISSED, LOGGER, signal_match, signal_purge
from .data import PurgeReport, SmartShopConfigEntry
from .entity import SmartShopEntity
from .incidents import Calibration, IncidentStoreError
from .usage import UsageMeter

# State comes from the shared usage meter or the incident store when a review happens; nothing
# to poll or serialise.
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
    """One set of usage sensors, and the alert confirmation rate, per store."""
    async_add_entities(
        [
            *(SmartShopSensor(entry, description) for description in SENSORS),
            AlertConfirmationSensor(entry),
            PrivacyPurgeSensor(entry),
        ]
    )


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


class AlertConfirmationSensor(SmartShopEntity, SensorEntity):
    """Share of the store's reviewed alerts that staff confirmed, per camera and watchlist too.

    Counted in the incident database when the store starts and after each review; pending alerts
    do not count. A low share says the threshold, a camera or an entry needs a look.
    """

    _attr_translation_key = "alert_confirmation_rate"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_suggested_display_precision = 1
    # The per-camera and per-watchlist figures are for now; the share alone makes the history.
    _unrecorded_attributes = frozenset({"cameras", "watchlists"})

    def __init__(self, entry: SmartShopConfigEntry) -> None:
        """Describe the sensor."""
        super().__init__(entry, "alert_confirmation_rate")
        self._calibration: Calibration | None = None
        self._failed = False

    @property
    def available(self) -> bool:
        """Known from the incident store, whatever the backend does."""
        return self._calibration is not None

    @property
    def native_value(self) -> float | None:
        """Percentage of reviewed alerts confirmed; unknown before the first review."""
        return None if self._calibration is None else self._calibration.total.share

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Confirmed, dismissed and share per camera and per watchlist."""
        if self._calibration is None:
            return None
        figures = self._calibration.as_dict()
        return {
            "confirmed": self._calibration.total.confirmed,
            "dismissed": self._calibration.total.dismissed,
            "cameras": figures["cameras"],
            "watchlists": figures["watchlists"],
        }

    async def async_update(self) -> None:
        """Count the store's reviewed alerts (in an executor)."""
        try:
            self._calibration = await self.hass.async_add_executor_job(
                self._entry.runtime_data.incidents.calibration, self._entry.entry_id
            )
        except IncidentStoreError as err:
            if self._calibration is not None or not self._failed:
                LOGGER.warning(
                    "Alert confirmation rate of %s not counted: %s", self._entry.title, err
                )
            self._calibration = None
            self._failed = True
        else:
            self._failed = False

    async def async_added_to_hass(self) -> None:
        """Count now, then again whenever staff confirm or dismiss an alert."""
        await super().async_added_to_hass()

        @callback
        def reviewed(event_type: str, _payload: dict[str, Any]) -> None:
            if event_type in (EVENT_CONFIRMED, EVENT_DISMISSED):
                self.async_schedule_update_ha_state(force_refresh=True)

        self.async_on_remove(
            async_dispatcher_connect(self.hass, signal_match(self._entry.entry_id), reviewed)
        )
        self.async_schedule_update_ha_state(force_refresh=True)


class PrivacyPurgeSensor(SmartShopEntity, RestoreEntity, SensorEntity):
    """When the store's last privacy purge ran, with what it removed or anonymised by kind.

    Counts only: evidence crops deleted, incidents anonymised (unconfirmed, confirmed) and
    anonymous rows deleted. Restored across restarts until the next purge.
    """

    _attr_translation_key = "last_privacy_purge"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_should_poll = False

    def __init__(self, entry: SmartShopConfigEntry) -> None:
        """Describe the sensor."""
        super().__init__(entry, "last_privacy_purge")
        self._restored = PurgeReport()

    @property
    def available(self) -> bool:
        """The purge runs in Home Assistant, whatever the backend does."""
        return True

    @property
    def _report(self) -> PurgeReport:
        report = self._entry.runtime_data.last_purge
        return report if report.at is not None else self._restored

    @property
    def native_value(self) -> datetime | None:
        """When the last purge ran."""
        return self._report.at

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """What the last purge removed or anonymised, by kind."""
        return dict(self._report.counts) if self._report.at is not None else None

    async def async_added_to_hass(self) -> None:
        """Restore the last purge, then follow every new one."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None and (
            at := dt_util.parse_datetime(last.state)
        ) is not None:
            self._restored = PurgeReport(
                at=at,
                counts={
                    key: int(value)
                    for key, value in last.attributes.items()
                    if isinstance(value, int) and not isinstance(value, bool)
                },
            )
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_purge(self._entry.entry_id), self.async_write_ha_state
            )
        )
