"""Face watch entities: one per watched camera.

Two kinds share one search path: a Home Assistant camera (scanned on ``image_processing.scan``
or an optional interval) and an edge-bridge camera (event-driven: the bridge sends one face crop
per person-visit, searched once).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.components.image_processing import (
    ATTR_CONFIDENCE,
    ATTR_FACES,
    FaceInformation,
    ImageProcessingFaceEntity,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import ATTR_NAME
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from .bridge import BridgeCamera, FaceEvent
from .const import (
    CONF_CAMERA_ENTITY,
    CONF_LOCATION,
    CONF_SCAN_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    SUBENTRY_CAMERA,
)
from .data import SmartShopConfigEntry
from .entity import SmartShopEntity, bridge_camera_device_info
from .matching import (
    Evidence,
    MatchSource,
    async_count_usage,
    async_handle_matches,
    async_search_allowed,
    category_of,
)
from .recognition import (
    AuthenticationError,
    BackendUnavailableError,
    FaceMatch,
    InvalidImageError,
    RecognitionError,
)

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
    """Searches faces against the store's watchlists.

    The state is the number of faces last looked at. Only matches appear in the attributes and
    events, and only by person UUID: a face that matches nothing leaves no trace.
    """

    _attr_translation_key = "face_watch"
    _attr_should_poll = False
    # Match details belong to the incident store with its retention, not to the recorder.
    _unrecorded_attributes = frozenset({ATTR_FACES})
    _location: str
    _source_camera: str

    async def async_process_image(self, image: bytes) -> None:
        """Search every face of one frame (a scan)."""
        await self._async_search(
            lambda collections, threshold: self._client_search_frame(collections, image, threshold),
            seen_at=dt_util.utcnow(),
            evidence=Evidence(image=image, is_face_crop=False),
        )

    async def _client_search_frame(
        self, collections: list[str], image: bytes, threshold: float
    ) -> tuple[list[FaceMatch], int]:
        result = await self._entry.runtime_data.client.search_frame(
            collections, image, threshold=threshold
        )
        return result.matches, result.total_faces

    async def _async_search(
        self,
        search: Callable[[list[str], float], Awaitable[tuple[list[FaceMatch], int]]],
        *,
        seen_at: datetime,
        evidence: Evidence,
        dedup_key: str | None = None,
    ) -> None:
        """Run one search under the store's rules, then announce what matched."""
        data = self._entry.runtime_data
        if not data.can_search:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="recognition_disabled"
            )
        collections = data.watchlists.collection_ids
        if not collections:
            self.async_process_faces([], 0)
            return
        if not async_search_allowed(self.hass, self._entry):
            return
        try:
            matches, total = await search(collections, data.match_threshold)
        except InvalidImageError as err:
            LOGGER.warning("Camera %s sent an unusable image: %s", self._source_camera, err)
            return
        except AuthenticationError:
            data.health.mark_auth_failed()
            self._entry.async_start_reauth(self.hass)
            return
        except BackendUnavailableError as err:
            data.health.mark_unavailable(str(err))
            return
        except RecognitionError as err:
            LOGGER.warning("Search failed for %s: %s", self._source_camera, err)
            return
        finally:
            async_count_usage(self._entry)
        data.health.mark_available()
        alerted = await async_handle_matches(
            self.hass,
            self._entry,
            matches,
            MatchSource(
                camera=self._source_camera, location=self._location, entity_id=self.entity_id
            ),
            evidence=evidence,
            dedup_key=dedup_key,
            seen_at=seen_at,
        )
        faces: list[FaceInformation] = []
        for resolved in alerted:
            face: dict[str, Any] = {
                ATTR_NAME: resolved.match.external_image_id,
                ATTR_CONFIDENCE: round(resolved.match.similarity, 2),
                ATTR_CATEGORY: category_of(resolved),
                ATTR_WATCHLIST: resolved.watchlist.name,
            }
            faces.append(face)  # type: ignore[arg-type]
        self.async_process_faces(faces, total)


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
        """Receive this camera's face events."""
        await super().async_added_to_hass()
        bridge = self._entry.runtime_data.bridge
        assert bridge is not None
        self.async_on_remove(bridge.register(self._camera.camera_id, self._async_face_event))
        self.async_on_remove(bridge.add_listener(self.async_write_ha_state))

    async def _async_face_event(self, event: FaceEvent) -> None:
        """One person-visit: one search of its best crop; the crop is dropped afterwards."""
        if not self._entry.runtime_data.can_search:
            return
        client = self._entry.runtime_data.client

        async def search(collections: list[str], threshold: float) -> tuple[list[FaceMatch], int]:
            return await client.search_face(collections, event.crop_jpeg, threshold=threshold), 1

        await self._async_search(
            search,
            seen_at=datetime.fromtimestamp(event.first_seen, UTC),
            evidence=Evidence(image=event.crop_jpeg, is_face_crop=True),
            dedup_key=event.event_id,
        )
