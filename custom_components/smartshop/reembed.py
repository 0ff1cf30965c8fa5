"""Re-embed a store's watchlists from the photos SmartShop keeps.

After the engine's embedding changes (a new model, or flip test-time augmentation), faces indexed
before are vectors of the old embedding. ``smartshop.reembed_watchlist`` indexes every kept
photo of every entry again, joins the new face to the entry's user and only then removes the old
face, so the person stays findable throughout. A face with no kept photo (an entry enrolled
before photos were kept, or in another way) is left as it is and counted. Progress is announced
with ``smartshop_reembed_progress`` events; the run is audit-logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Final

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import probatio

from .audit import AuditAction
from .const import DOMAIN, LOGGER
from .data import SmartShopConfigEntry
from .database import async_audit
from .people import Person
from .permissions import async_register_action
from .recognition import RecognitionError
from .snapshots import SnapshotKind, SnapshotStore

SERVICE_REEMBED: Final = "reembed_watchlist"
EVENT_REEMBED_PROGRESS: Final = "smartshop_reembed_progress"
ATTR_WATCHLIST: Final = "watchlist"

REEMBED_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_WATCHLIST): cv.string,
    }
)

type EntryResolver = Callable[[HomeAssistant, ServiceCall], SmartShopConfigEntry]


@dataclass(slots=True)
class ReembedResult:
    """What a run did."""

    people: int = 0
    faces_reembedded: int = 0
    faces_without_photo: int = 0
    faces_failed: int = 0


def _kept_photo(snapshots: SnapshotStore, person: Person, face_id: str) -> bytes | None:
    """The kept copy of a face's photo; for an entry's first face, its reference photo if no
    copy by face id was kept (entries enrolled before copies were kept)."""
    try:
        photo = snapshots.load(SnapshotKind.PHOTO, face_id)
    except ValueError:
        photo = None
    if photo is None and person.face_ids and face_id == person.face_ids[0]:
        photo = snapshots.load(SnapshotKind.REFERENCE, person.person_id)
    return photo


def _move_photo(snapshots: SnapshotStore, old_face_id: str, new_face_id: str, photo: bytes) -> None:
    """Keep the photo under its new face id and drop the old copy."""
    try:
        snapshots.save(SnapshotKind.PHOTO, new_face_id, photo)
        snapshots.delete(SnapshotKind.PHOTO, old_face_id)
    except ValueError:
        LOGGER.debug("Photo copy of face %s not moved: unusual face id", old_face_id)


async def async_reembed(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    *,
    watchlist_id: str | None = None,
) -> ReembedResult:
    """Re-embed every kept photo of the store's entries (optionally of one watchlist)."""
    data = entry.runtime_data
    manager = data.watchlists
    people = [
        person
        for person in manager.store.people(watchlist_id)
        if person.watchlist_id in manager.watchlists
    ]
    total = sum(len(person.face_ids) for person in people)
    result = ReembedResult(people=len(people))
    done = 0
    for person in people:
        for face_id in list(person.face_ids):
            done += 1
            photo = await hass.async_add_executor_job(_kept_photo, data.snapshots, person, face_id)
            if photo is None:
                result.faces_without_photo += 1
            else:
                try:
                    new_face_id = await manager.async_replace_face(person, face_id, photo)
                except RecognitionError as err:
                    LOGGER.warning(
                        "Face %s of entry %s not re-embedded: %s", face_id, person.person_id, err
                    )
                    result.faces_failed += 1
                else:
                    await hass.async_add_executor_job(
                        _move_photo, data.snapshots, face_id, new_face_id, photo
                    )
                    result.faces_reembedded += 1
            hass.bus.async_fire(
                EVENT_REEMBED_PROGRESS, {"store": entry.entry_id, "done": done, "total": total}
            )
    LOGGER.info(
        "%s: %s faces re-embedded, %s without a kept photo, %s failed",
        entry.title,
        result.faces_reembedded,
        result.faces_without_photo,
        result.faces_failed,
    )
    return result


def async_setup_reembed_action(hass: HomeAssistant, entry_for_call: EntryResolver) -> None:
    """Register ``smartshop.reembed_watchlist``."""

    async def _async_reembed(call: ServiceCall) -> ServiceResponse:
        entry = entry_for_call(hass, call)
        watchlist_id: str | None = None
        if name := call.data.get(ATTR_WATCHLIST):
            watchlist = entry.runtime_data.watchlists.find_watchlist(name)
            if watchlist is None:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="watchlist_not_found",
                    translation_placeholders={"watchlist": name},
                )
            watchlist_id = watchlist.watchlist_id
        result = await async_reembed(hass, entry, watchlist_id=watchlist_id)
        await async_audit(
            hass,
            call.context,
            AuditAction.REEMBED,
            store_id=entry.entry_id,
            details={"watchlist": watchlist_id or "all"} | asdict(result),
        )
        return dict(asdict(result))

    async_register_action(
        hass, SERVICE_REEMBED, _async_reembed, REEMBED_SCHEMA, SupportsResponse.OPTIONAL
    )
