"""Actions on a bridge camera's footage buffer: list the frames around a moment, and enrol the
face staff pick from one of them.

The bridge keeps a short rolling recording of each camera, encrypted and never analysed. Staff
list a camera's frames around a time (``smartshop.list_footage``), look at them, and enrol from
the one they choose (``smartshop.enroll_from_footage``). Enrolment from footage takes exactly the
fields ``smartshop.enroll_person`` requires and goes through that action's own path (metadata
checked first, then the photo, then the backend); only the photo comes from the footage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.util import dt as dt_util
import probatio

from .bridge_client import BridgeClient, BridgeError, FootageUnavailableError
from .const import DOMAIN
from .data import SmartShopConfigEntry
from .permissions import async_register_action

SERVICE_LIST_FOOTAGE: Final = "list_footage"
SERVICE_ENROLL_FROM_FOOTAGE: Final = "enroll_from_footage"

ATTR_CAMERA: Final = "camera_entity_id"
ATTR_TIME: Final = "time"
ATTR_SPAN: Final = "span"
ATTR_TIMESTAMP: Final = "timestamp"
# Where ``enroll_person`` takes its photo from; footage enrolment supplies the photo itself.
IMAGE_SOURCES: Final = frozenset({"camera_entity_id", "image_path"})

DEFAULT_SPAN_S: Final = 30
MAX_SPAN_S: Final = 300  # the bridge lists at most this many seconds either side

LIST_FOOTAGE_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CAMERA): cv.entity_id,
        probatio.Optional(ATTR_TIME): cv.datetime,
        probatio.Optional(ATTR_SPAN, default=DEFAULT_SPAN_S): probatio.All(
            probatio.Coerce(int), probatio.Range(min=1, max=MAX_SPAN_S)
        ),
    }
)

type ImageReader = Callable[[HomeAssistant, ServiceCall], Awaitable[bytes]]


class EnrollHandler(Protocol):
    """``enroll_person``'s handler, with the seam for where its photo comes from."""

    def __call__(
        self, call: ServiceCall, read_image: ImageReader = ...
    ) -> Awaitable[ServiceResponse]:
        """Enrol from ``call``'s data, reading the photo with ``read_image``."""
        ...


@dataclass(frozen=True, slots=True)
class _FootageCamera:
    entry: SmartShopConfigEntry
    client: BridgeClient
    camera_id: str


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _bridge_error(entry: SmartShopConfigEntry, err: BridgeError) -> HomeAssistantError:
    if isinstance(err, FootageUnavailableError):
        return _error("footage_off", store=entry.title)
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="footage_failed",
        translation_placeholders={"store": entry.title, "error": str(err)},
    )


def _footage_camera(hass: HomeAssistant, entity_id: str) -> _FootageCamera:
    """The store, bridge client and bridge camera behind a SmartShop bridge camera entity."""
    registered = er.async_get(hass).async_get(entity_id)
    if (
        registered is None
        or registered.platform != DOMAIN
        or registered.domain != "camera"
        or registered.config_entry_id is None
    ):
        raise _error("not_a_bridge_camera", camera=entity_id)
    entry: SmartShopConfigEntry | None = hass.config_entries.async_get_entry(
        registered.config_entry_id
    )
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        raise _error("not_a_bridge_camera", camera=entity_id)
    if (bridge := entry.runtime_data.bridge) is None:
        raise _error("not_a_bridge_camera", camera=entity_id)
    prefix = f"{entry.entry_id}_{bridge.info.bridge_id}_"
    camera_id = registered.unique_id.removeprefix(prefix)
    if camera_id == registered.unique_id or camera_id not in {
        camera.camera_id for camera in bridge.info.cameras
    }:
        raise _error("not_a_bridge_camera", camera=entity_id)
    return _FootageCamera(entry, bridge.client, camera_id)


def _moment(value: datetime | None) -> datetime:
    """A time staff chose (local time when it names no zone), as an aware UTC time."""
    return dt_util.utcnow() if value is None else dt_util.as_utc(value)


async def _async_list_footage(call: ServiceCall) -> ServiceResponse:
    camera = _footage_camera(call.hass, call.data[ATTR_CAMERA])
    around = _moment(call.data.get(ATTR_TIME))
    try:
        stamps = await camera.client.footage(
            camera.camera_id, around.timestamp(), call.data[ATTR_SPAN]
        )
    except BridgeError as err:
        raise _bridge_error(camera.entry, err) from err
    return {
        ATTR_CAMERA: call.data[ATTR_CAMERA],
        "time": dt_util.as_local(around).isoformat(),
        "timestamps": list(stamps),
        "frames": [
            {
                "timestamp": stamp,
                "time": dt_util.as_local(dt_util.utc_from_timestamp(stamp)).isoformat(),
            }
            for stamp in stamps
        ],
    }


def enroll_from_footage_schema(enroll_schema: probatio.Schema) -> probatio.Schema:
    """``enroll_person``'s schema with the footage frame in place of its photo source."""
    fields = {
        key: value for key, value in enroll_schema.schema.items() if str(key) not in IMAGE_SOURCES
    }
    return probatio.Schema(
        {
            **fields,
            probatio.Required(ATTR_CAMERA): cv.entity_id,
            probatio.Required(ATTR_TIMESTAMP): probatio.All(
                probatio.Coerce(float), probatio.Range(min=0, min_included=False)
            ),
        }
    )


def _enroll_handler(
    enroll: EnrollHandler,
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    async def _async_enroll_from_footage(call: ServiceCall) -> ServiceResponse:
        hass = call.hass
        camera = _footage_camera(hass, call.data[ATTR_CAMERA])
        store = call.data.get(ATTR_CONFIG_ENTRY_ID)
        if store and store != camera.entry.entry_id:
            raise _error("camera_of_another_store", camera=call.data[ATTR_CAMERA])
        timestamp: float = call.data[ATTR_TIMESTAMP]
        data: dict[str, Any] = {
            key: value
            for key, value in call.data.items()
            if key not in (ATTR_CAMERA, ATTR_TIMESTAMP)
        }
        data[ATTR_CONFIG_ENTRY_ID] = camera.entry.entry_id

        async def read_frame(hass: HomeAssistant, _: ServiceCall) -> bytes:
            try:
                frame = await camera.client.footage_frame(camera.camera_id, timestamp)
            except BridgeError as err:
                raise _bridge_error(camera.entry, err) from err
            if frame is None:
                raise _error(
                    "footage_frame_not_found",
                    camera=call.data[ATTR_CAMERA],
                    time=dt_util.as_local(dt_util.utc_from_timestamp(timestamp)).isoformat(),
                )
            return frame

        enrol_call = ServiceCall(
            hass, DOMAIN, SERVICE_ENROLL_FROM_FOOTAGE, data, call.context, call.return_response
        )
        response = await enroll(enrol_call, read_frame)
        return {**(response or {}), ATTR_CAMERA: call.data[ATTR_CAMERA], "timestamp": timestamp}

    return _async_enroll_from_footage


@callback
def async_setup_footage_actions(
    hass: HomeAssistant, enroll_schema: probatio.Schema, enroll: EnrollHandler
) -> None:
    """Register the footage actions (``enroll_person``'s schema and handler are reused)."""
    async_register_action(
        hass,
        SERVICE_LIST_FOOTAGE,
        _async_list_footage,
        LIST_FOOTAGE_SCHEMA,
        SupportsResponse.ONLY,
    )
    async_register_action(
        hass,
        SERVICE_ENROLL_FROM_FOOTAGE,
        _enroll_handler(enroll),
        enroll_from_footage_schema(enroll_schema),
        SupportsResponse.OPTIONAL,
    )
