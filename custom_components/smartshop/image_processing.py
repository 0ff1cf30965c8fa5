"""Face watch entities: one per camera a store watches."""

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
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

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
from .entity import SmartShopEntity
from .matching import (
    MatchSource,
    async_count_usage,
    async_handle_matches,
    async_search_allowed,
    category_of,
)
from .recognition import (
    AuthenticationError,
    BackendUnavailableError,
    FrameResult,
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
    """Create a face watch entity for each camera subentry."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_CAMERA:
            async_add_entities(
                [SmartShopFaceEntity(entry, subentry)], config_subentry_id=subentry.subentry_id
            )


class SmartShopFaceEntity(SmartShopEntity, ImageProcessingFaceEntity):
    """Searches a camera's frames against the store's watchlists.

    The state is the number of faces in the last frame. Only matches appear in the attributes and
    events, and only by person UUID: a face that matches nothing leaves no trace.
    """

    _attr_translation_key = "face_watch"
    _attr_should_poll = False
    # Match details belong to the incident store with its retention, not to the recorder.
    _unrecorded_attributes = frozenset({ATTR_FACES})

    def __init__(self, entry: SmartShopConfigEntry, subentry: ConfigSubentry) -> None:
        """Watch one camera."""
        SmartShopEntity.__init__(self, entry, subentry.subentry_id, camera=subentry)
        ImageProcessingFaceEntity.__init__(self)
        self._attr_camera_entity = subentry.data[CONF_CAMERA_ENTITY]
        self._location: str = subentry.data.get(CONF_LOCATION) or subentry.title

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

    async def async_process_image(self, image: bytes) -> None:
        """Search one frame; fire a match event per watchlisted person found."""
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
        seen_at = dt_util.utcnow()
        try:
            result = await data.client.search_frame(
                collections, image, threshold=data.match_threshold
            )
        except InvalidImageError as err:
            LOGGER.warning("Camera %s sent an unusable image: %s", self.camera_entity, err)
            return
        except AuthenticationError:
            data.health.mark_auth_failed()
            self._entry.async_start_reauth(self.hass)
            return
        except BackendUnavailableError as err:
            data.health.mark_unavailable(str(err))
            return
        except RecognitionError as err:
            LOGGER.warning("Search failed for %s: %s", self.camera_entity, err)
            return
        finally:
            async_count_usage(self._entry)
        data.health.mark_available()
        await self._async_handle_result(result, seen_at)

    async def _async_handle_result(self, result: FrameResult, seen_at: datetime) -> None:
        assert self.camera_entity is not None
        alerted = await async_handle_matches(
            self.hass,
            self._entry,
            result.matches,
            MatchSource(
                camera=self.camera_entity, location=self._location, entity_id=self.entity_id
            ),
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
        self.async_process_faces(faces, result.total_faces)
