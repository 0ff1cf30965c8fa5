"""Camera entities for the cameras of a store's edge bridge (snapshot and MJPEG stream)."""

from __future__ import annotations

from aiohttp import web
from homeassistant.components.camera import Camera
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_aiohttp_proxy_stream
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .bridge_client import BridgeError
from .bridge_protocol import BridgeCamera
from .const import LOGGER
from .data import SmartShopConfigEntry
from .entity import SmartShopEntity, bridge_camera_device_info

# Snapshots are single HTTPS GETs to the bridge on the local network (no shared poller).
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """A camera entity per camera of the store's bridge."""
    if (bridge := entry.runtime_data.bridge) is not None:
        async_add_entities(SmartShopBridgeCamera(entry, camera) for camera in bridge.info.cameras)


class SmartShopBridgeCamera(SmartShopEntity, Camera):
    """A bridge camera: the bridge decodes the stream; Home Assistant only shows it."""

    _attr_name = None  # the device's name (the camera's) is the entity's name

    def __init__(self, entry: SmartShopConfigEntry, camera: BridgeCamera) -> None:
        """Show one bridge camera."""
        bridge = entry.runtime_data.bridge
        assert bridge is not None
        SmartShopEntity.__init__(self, entry, f"{bridge.info.bridge_id}_{camera.camera_id}")
        Camera.__init__(self)
        self._attr_device_info = bridge_camera_device_info(entry, camera)
        self._camera_id = camera.camera_id

    @property
    def available(self) -> bool:
        """Available while the bridge is connected (recognition state does not matter here)."""
        bridge = self._entry.runtime_data.bridge
        return bridge is not None and bridge.connected

    async def async_added_to_hass(self) -> None:
        """Follow the bridge connection."""
        await super().async_added_to_hass()
        bridge = self._entry.runtime_data.bridge
        assert bridge is not None
        self.async_on_remove(bridge.add_listener(self.async_write_ha_state))

    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        """The bridge's latest frame."""
        bridge = self._entry.runtime_data.bridge
        assert bridge is not None
        try:
            return await bridge.client.snapshot(self._camera_id, width=width)
        except BridgeError as err:
            LOGGER.debug("No snapshot from %s: %s", self._camera_id, err)
            return None

    async def handle_async_mjpeg_stream(self, request: web.Request) -> web.StreamResponse | None:
        """Relay the bridge's MJPEG stream."""
        bridge = self._entry.runtime_data.bridge
        assert bridge is not None
        try:
            upstream = await bridge.client.open_stream(self._camera_id)
        except BridgeError as err:
            LOGGER.debug("No stream from %s: %s", self._camera_id, err)
            return None
        try:
            return await async_aiohttp_proxy_stream(
                self.hass, request, upstream.content, upstream.headers["Content-Type"]
            )
        finally:
            upstream.release()
