"""Face watch entities: one per watched camera, showing what its sightings found.

The recognition itself is the store's sighting service (``sighting.py``): a bridge camera's face
events go to it straight from the bridge connection, and ``image_processing.scan`` of a Home
Assistant camera hands it the frame. Each entity follows its camera's sighting results; disabling
one hides them but never turns recognition off.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.image_processing import (
    ATTR_CONFIDENCE,
    ATTR_FACES,
    FaceInformation,
    ImageProcessingFaceEntity,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import ATTR_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval

from .bridge_protocol import BridgeCamera
from .const import (
    CONF_CAMERA_ENTITY,
    CONF_LOCATION,
    CONF_SCAN_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    SUBENTRY_CAMERA,
    signal_sighting,
)
from .data import SmartShopConfigEntry
from .entity import SmartShopEntity, bridge_camera_device_info
from .sighting import SightingResult, category_of

# Searches go through one rate limiter per store; entities need no extra update parallelism cap.
PARALLEL_UPDATES = 0

ATTR_CATEGORY = "category"
ATTR_WATCHLIST = "watchlist"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A face watch entity per camera subentry, and per camera of the store's bridge."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_CAMERA:
            async_add_entities(
                [CameraFaceWatch(entry, subentry)], config_subentry_id=subentry.subentry_id
            )
    if (bridge := entry.runtime_data.bridge) is not None:
        async_add_entities(BridgeFaceWatch(entry, camera) for camera in bridge.info.cameras)


class FaceWatchEntity(SmartShopEntity, ImageProcessingFaceEntity):
    """Shows one camera's sightings.

    The state is the number of faces last looked at. Only matches appear in the attributes and
    events, and only by person UUID: a face that matches nothing leaves no trace.
    """

    _attr_translation_key = "face_watch"
    _attr_should_poll = False
    # Match details belong to the incident store with its retention, not to the recorder.
    _unrecorded_attributes = frozenset({ATTR_FACES})
    _location: str
    _source_camera: str

    async def async_added_to_hass(self) -> None:
        """Follow the store's sighting results."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_sighting(self._entry.entry_id), self._async_show
            )
        )

    async def async_process_image(self, image: bytes) -> None:
        """Hand one frame (a scan) to the store's sighting service."""
        await self._entry.runtime_data.sightings.async_scan(
            self._source_camera, self._location, image, entity_id=self.entity_id
        )

    @callback
    def _async_show(self, result: SightingResult) -> None:
        """Show a sighting of this camera: faces looked at, and who alerted (by UUID)."""
        if result.camera != self._source_camera:
            return
        faces: list[FaceInformation] = []
        for resolved in result.alerted:
            face: dict[str, Any] = {
                ATTR_NAME: resolved.match.external_image_id,
                ATTR_CONFIDENCE: round(resolved.match.similarity, 2),
                ATTR_CATEGORY: category_of(resolved),
                ATTR_WATCHLIST: resolved.watchlist.name,
            }
            faces.append(face)  # type: ignore[arg-type]
        self.async_process_faces(faces, result.total_faces)
        self.async_write_ha_state()


class CameraFaceWatch(FaceWatchEntity):
    """Watches a Home Assistant camera, scanned on demand (or on an optional interval)."""

    def __init__(self, entry: SmartShopConfigEntry, subentry: ConfigSubentry) -> None:
        """Watch one camera subentry."""
        SmartShopEntity.__init__(self, entry, subentry.subentry_id, camera=subentry)
        ImageProcessingFaceEntity.__init__(self)
        self._attr_camera_entity = subentry.data[CONF_CAMERA_ENTITY]
        self._source_camera = subentry.data[CONF_CAMERA_ENTITY]
        self._location = subentry.data.get(CONF_LOCATION) or subentry.title

    async def async_added_to_hass(self) -> None:
        """Start the optional polling interval (off by default: it is paid per image)."""
        await super().async_added_to_hass()
        interval = int(self._entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL))
        if interval > 0:
            self.async_on_remove(
                async_track_time_interval(
                    self.hass, self._async_scheduled_scan, timedelta(seconds=interval)
                )
            )

    async def _async_scheduled_scan(self, _now: datetime) -> None:
        if self.available:
            await self.async_update_ha_state(force_refresh=True)


class BridgeFaceWatch(FaceWatchEntity):
    """Watches a bridge camera: one search per person-visit, pushed by the bridge."""

    def __init__(self, entry: SmartShopConfigEntry, camera: BridgeCamera) -> None:
        """Watch one camera of the store's bridge."""
        bridge = entry.runtime_data.bridge
        assert bridge is not None
        SmartShopEntity.__init__(self, entry, f"{bridge.info.bridge_id}_{camera.camera_id}")
        ImageProcessingFaceEntity.__init__(self)
        self._attr_device_info = bridge_camera_device_info(entry, camera)
        self._camera = camera
        self._source_camera = f"{bridge.info.bridge_id}/{camera.camera_id}"
        self._location = camera.location or camera.name

    @property
    def camera_entity(self) -> str | None:
        """The bridge camera's camera entity (for ``image_processing.scan``)."""
        bridge = self._entry.runtime_data.bridge
        assert bridge is not None
        return er.async_get(self.hass).async_get_entity_id(
            "camera",
            DOMAIN,
            f"{self._entry.entry_id}_{bridge.info.bridge_id}_{self._camera.camera_id}",
        )

    @property
    def available(self) -> bool:
        """Also unavailable while the bridge is disconnected."""
        bridge = self._entry.runtime_data.bridge
        return super().available and bridge is not None and bridge.connected

    async def async_added_to_hass(self) -> None:
        """Follow the bridge connection (up or down)."""
        await super().async_added_to_hass()
        bridge = self._entry.runtime_data.bridge
        assert bridge is not None
        self.async_on_remove(bridge.add_listener(self.async_write_ha_state))
