"""Actions: enrol, approve, update, remove and list watchlist entries, add and remove their
photos, review matches, rotate a store's credentials on its bridge, and the data-rights actions
(find by face, subject-access export, erasure everywhere).

Enrolment asks for the safeguards the ICO expects: why the entry is necessary and two
attestations (the person is an adult, and not vulnerable); a store may require a second user's
approval before a new entry alerts. Every change, approval, review and view of names is audited
(identifiers, counts and field names only).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
import re
from typing import Any, Final, NoReturn

from homeassistant.components.camera import async_get_image
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    Context,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.json import JsonValueType
import probatio

from .audit import AuditAction
from .audit_actions import async_setup_audit_actions
from .bridge_client import BridgeError
from .const import (
    CONF_API_TOKEN,
    CONF_CLIENT_ID,
    CONF_ENGINE_ACCESS_KEY_ID,
    CONF_ENGINE_SECRET_ACCESS_KEY,
    CONF_REQUIRE_APPROVAL,
    DOMAIN,
    LOGGER,
    Category,
    Justification,
)
from .data import SmartShopConfigEntry, is_legacy_pairing, make_bridge_client
from .database import async_audit
from .erasure import async_erase_person
from .errors import action_error
from .evidence_pack import async_setup_evidence_pack_action
from .find_by_face import DEFAULT_THRESHOLD, async_find_by_face
from .footage_actions import IMAGE_SOURCES, ImageReader, async_setup_footage_actions
from .imaging import prepare_image
from .incidents import ReviewStatus
from .people import EntryValidationError, Person
from .permissions import async_authorize_action, async_caller, async_register_action
from .person_lookup import find_person
from .recognition import FaceAssociationError, PhotoQualityError, RecognitionError
from .reembed import async_setup_reembed_action
from .reports import async_setup_report_action
from .review import AlreadyReviewedError, async_delete_review_issue, async_review
from .sighting import forget_photo
from .snapshots import SnapshotKind, SnapshotStore
from .store_access import user_access
from .subject_access import async_export_person
from .text_limits import IDENT, NAME, REASON, REFERENCE
from .watchlist import NewEntry

SERVICE_ENROLL: Final = "enroll_person"
SERVICE_UPDATE: Final = "update_person"
SERVICE_APPROVE: Final = "approve_person"
SERVICE_REMOVE: Final = "remove_person"
SERVICE_LIST: Final = "list_people"
SERVICE_REVIEW: Final = "review_match"
SERVICE_ROTATE: Final = "rotate_bridge_credentials"
SERVICE_ADD_PHOTO: Final = "add_photo"
SERVICE_REMOVE_PHOTO: Final = "remove_photo"
SERVICE_FIND_BY_FACE: Final = "find_person_by_face"
SERVICE_EXPORT_PERSON: Final = "export_person_data"

ATTR_WATCHLIST: Final = "watchlist"
ATTR_PERSON_ID: Final = "person_id"
ATTR_NAME: Final = "name"
ATTR_CATEGORY: Final = "category"
ATTR_REASON: Final = "reason"
ATTR_INCIDENT_REFERENCE: Final = "incident_reference"
ATTR_ADDED_BY: Final = "added_by"
ATTR_EXPIRES: Final = "expires"
ATTR_REVIEW_DATE: Final = "review_date"
ATTR_CAMERA: Final = "camera_entity_id"
ATTR_IMAGE_PATH: Final = "image_path"
ATTR_INCIDENT_ID: Final = "incident_id"
ATTR_DECISION: Final = "decision"
ATTR_REVIEWER: Final = "reviewer"
ATTR_FACE_ID: Final = "face_id"
ATTR_THRESHOLD: Final = "threshold"
ATTR_JUSTIFICATION: Final = "justification"
ATTR_ATTEST_ADULT: Final = "attest_adult"
ATTR_ATTEST_NOT_VULNERABLE: Final = "attest_not_vulnerable"
ATTR_KEEP_EVIDENCE_FOR: Final = "keep_evidence_for"
ATTESTATIONS: Final = (ATTR_ATTEST_ADULT, ATTR_ATTEST_NOT_VULNERABLE)
# Fields of an entry update_person may change (the audit log names those that changed).
UPDATABLE: Final = ("category", "reason", "incident_reference", "expires_at", "review_at")
DECISIONS: Final = {"confirm": ReviewStatus.CONFIRMED, "dismiss": ReviewStatus.DISMISSED}

MAX_IMAGE_FILE_BYTES: Final = 25 * 1024 * 1024
# After a name an automation gave (a call with no user), so records say who vouched for it.
NAMED_BY_AUTOMATION: Final = "(named by an automation)"
# Stores whose bridge credentials are being rotated now (one rotation at a time per store).
DATA_ROTATING_STORES: HassKey[set[str]] = HassKey(f"{DOMAIN}_rotating_stores")


_ENTRY = {probatio.Optional(ATTR_CONFIG_ENTRY_ID): IDENT}
_CATEGORY = probatio.In([str(category) for category in Category])

ENROLL_SCHEMA = probatio.Schema(
    {
        **_ENTRY,
        probatio.Required(ATTR_WATCHLIST): IDENT,
        probatio.Required(ATTR_NAME): NAME,
        probatio.Required(ATTR_REASON): REASON,
        probatio.Required(ATTR_INCIDENT_REFERENCE): REFERENCE,
        probatio.Optional(ATTR_CATEGORY): _CATEGORY,
        probatio.Optional(ATTR_ADDED_BY): NAME,
        probatio.Optional(ATTR_EXPIRES): cv.date,
        probatio.Optional(ATTR_REVIEW_DATE): cv.date,
        # Required, but checked by the action for a translated refusal.
        probatio.Optional(ATTR_JUSTIFICATION): probatio.In([str(j) for j in Justification]),
        probatio.Optional(ATTR_ATTEST_ADULT): cv.boolean,
        probatio.Optional(ATTR_ATTEST_NOT_VULNERABLE): cv.boolean,
        probatio.Exclusive(ATTR_CAMERA, "source"): cv.entity_id,
        probatio.Exclusive(ATTR_IMAGE_PATH, "source"): cv.string,
    }
)
APPROVE_SCHEMA = probatio.Schema({**_ENTRY, probatio.Required(ATTR_PERSON_ID): IDENT})
UPDATE_SCHEMA = probatio.Schema(
    {
        **_ENTRY,
        probatio.Required(ATTR_PERSON_ID): IDENT,
        probatio.Optional(ATTR_CATEGORY): _CATEGORY,
        probatio.Optional(ATTR_REASON): REASON,
        probatio.Optional(ATTR_INCIDENT_REFERENCE): REFERENCE,
        probatio.Optional(ATTR_EXPIRES): cv.date,
        probatio.Optional(ATTR_REVIEW_DATE): cv.date,
    }
)
REMOVE_SCHEMA = probatio.Schema(
    {
        **_ENTRY,
        probatio.Required(ATTR_PERSON_ID): IDENT,
        probatio.Optional(ATTR_KEEP_EVIDENCE_FOR): REASON,
    }
)
LIST_SCHEMA = probatio.Schema({**_ENTRY, probatio.Optional(ATTR_WATCHLIST): IDENT})
REVIEW_SCHEMA = probatio.Schema(
    {
        **_ENTRY,
        probatio.Required(ATTR_INCIDENT_ID): IDENT,
        probatio.Required(ATTR_DECISION): probatio.In(list(DECISIONS)),
        probatio.Required(ATTR_REASON): REASON,
        probatio.Optional(ATTR_REVIEWER): NAME,
    }
)
ROTATE_SCHEMA = probatio.Schema({probatio.Required(ATTR_CONFIG_ENTRY_ID): IDENT})
ADD_PHOTO_SCHEMA = probatio.Schema(
    {
        **_ENTRY,
        probatio.Required(ATTR_PERSON_ID): IDENT,
        probatio.Exclusive(ATTR_CAMERA, "source"): cv.entity_id,
        probatio.Exclusive(ATTR_IMAGE_PATH, "source"): cv.string,
    }
)
REMOVE_PHOTO_SCHEMA = probatio.Schema(
    {
        **_ENTRY,
        probatio.Required(ATTR_PERSON_ID): IDENT,
        probatio.Required(ATTR_FACE_ID): IDENT,
    }
)
FIND_BY_FACE_SCHEMA = probatio.Schema(
    {
        probatio.Exclusive(ATTR_CAMERA, "source"): cv.entity_id,
        probatio.Exclusive(ATTR_IMAGE_PATH, "source"): cv.string,
        probatio.Optional(ATTR_THRESHOLD, default=DEFAULT_THRESHOLD): probatio.All(
            probatio.Coerce(float), probatio.Range(min=0, max=100)
        ),
    }
)
EXPORT_PERSON_SCHEMA = probatio.Schema({**_ENTRY, probatio.Required(ATTR_PERSON_ID): IDENT})


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _as_datetime(value: date | None) -> datetime | None:
    """A date chosen by staff means the start of that day, local time."""
    return None if value is None else dt_util.start_of_local_day(value)


def _entry(hass: HomeAssistant, call: ServiceCall) -> SmartShopConfigEntry:
    entry: SmartShopConfigEntry = service.async_get_config_entry(
        hass, DOMAIN, call.data.get(ATTR_CONFIG_ENTRY_ID)
    )
    return entry


def _person(entry: SmartShopConfigEntry, person_id: str) -> Person:
    person = entry.runtime_data.watchlists.store.get(person_id)
    if person is None:
        raise _error("person_not_found", person_id=person_id)
    return person


async def _author(hass: HomeAssistant, call: ServiceCall, field: str) -> str:
    """Who is acting: the signed-in user's name. A name given in the call is accepted only from
    a call with no user (an automation), and is then recorded as given by that automation."""
    given = str(call.data.get(field, "")).strip()
    if (user := await async_caller(hass, call.context)) is not None:
        name = user.name or user.id
        if given and given != name:
            raise _error("name_from_login", field=field, name=name)
        return name
    if not given:
        raise _error(f"{field}_required")
    return f"{given} {NAMED_BY_AUTOMATION}"


async def _read_image(hass: HomeAssistant, call: ServiceCall) -> bytes:
    if camera := call.data.get(ATTR_CAMERA):
        try:
            return (await async_get_image(hass, camera)).content
        except HomeAssistantError as err:
            raise _error("camera_unavailable", camera=camera) from err
    if (path := call.data.get(ATTR_IMAGE_PATH)) is None:
        raise _error("image_source_required")
    return await hass.async_add_executor_job(_read_allowed_file, hass, path)


def _read_allowed_file(hass: HomeAssistant, path: str) -> bytes:
    """Read an image file from a directory the owner allowed (allowlist_external_dirs)."""
    file = Path(path)
    if not file.is_absolute() or not hass.config.is_allowed_path(str(file)):
        raise _error("path_not_allowed", path=path)
    if not file.is_file():
        raise _error("file_not_found", path=path)
    if file.stat().st_size > MAX_IMAGE_FILE_BYTES:
        raise _error("file_too_large", path=path, max_mb=str(MAX_IMAGE_FILE_BYTES // 2**20))
    return file.read_bytes()


def _require_recognition(entry: SmartShopConfigEntry) -> None:
    if not entry.runtime_data.can_search:
        raise _error("recognition_disabled")


def _raise_photo_error(err: RecognitionError) -> NoReturn:
    """A refused photo: the quality gate's reason, or why the backend would not add it to the
    person; any other error as for every action."""
    if isinstance(err, PhotoQualityError):
        if err.image_reason == "blurred":
            raise _error("photo_blurred") from err
        if err.image_reason == "turned_away":
            raise _error("photo_turned_away") from err
        raise _error("photo_face_too_small") from err
    if isinstance(err, FaceAssociationError):
        if "LOW_MATCH_CONFIDENCE" in err.all_reasons:
            raise _error("photo_not_same_person") from err
        raise _error("photo_not_associated", reasons=", ".join(err.all_reasons)) from err
    raise action_error(err) from err


async def _async_enroll(
    call: ServiceCall, read_image: ImageReader = _read_image
) -> ServiceResponse:
    hass = call.hass
    entry = _entry(hass, call)
    _require_recognition(entry)
    manager = entry.runtime_data.watchlists
    watchlist = manager.find_watchlist(call.data[ATTR_WATCHLIST])
    if watchlist is None:
        raise _error("watchlist_not_found", watchlist=call.data[ATTR_WATCHLIST])
    _require_safeguards(call)
    approval_required = bool(entry.options.get(CONF_REQUIRE_APPROVAL, False))
    new = NewEntry(
        display_name=call.data[ATTR_NAME],
        reason=call.data[ATTR_REASON],
        incident_reference=call.data[ATTR_INCIDENT_REFERENCE],
        added_by=await _author(hass, call, ATTR_ADDED_BY),
        category=Category(call.data[ATTR_CATEGORY]) if ATTR_CATEGORY in call.data else None,
        expires_at=_as_datetime(call.data.get(ATTR_EXPIRES)),
        review_at=_as_datetime(call.data.get(ATTR_REVIEW_DATE)),
        justification=call.data[ATTR_JUSTIFICATION],
        attest_adult=True,
        attest_not_vulnerable=True,
        active=not approval_required,
        enrolled_by_user_id=call.context.user_id,
    )
    try:
        manager.build_person(watchlist, new, dt_util.utcnow())  # refuse bad metadata first
    except EntryValidationError as err:
        raise _error(err.translation_key, **err.placeholders) from err
    image = await read_image(hass, call)
    try:
        person = await manager.async_enroll(watchlist, new, image)
    except EntryValidationError as err:
        raise _error(err.translation_key, **err.placeholders) from err
    except RecognitionError as err:
        _raise_photo_error(err)
    await hass.async_add_executor_job(
        _save_reference, entry.runtime_data.snapshots, person.person_id, image
    )
    await hass.async_add_executor_job(
        _save_photo, entry.runtime_data.snapshots, person.face_ids[0], image
    )
    await async_audit(
        hass,
        call.context,
        AuditAction.ENROL,
        store_id=entry.entry_id,
        subject=person.person_id,
        details={
            "watchlist_id": person.watchlist_id,
            "category": str(person.category),
            "justification": person.justification,
            "photos": len(person.face_ids),
            "approval_required": approval_required,
        },
    )
    return {
        "person_id": person.person_id,
        "watchlist": watchlist.name,
        "face_ids": list(person.face_ids),
        "expires": person.expires_at.isoformat(),
        "review_date": person.review_at.isoformat(),
        "status": person.status,
    }


async def async_enroll_image(
    hass: HomeAssistant, data: dict[str, Any], context: Context, image: bytes
) -> ServiceResponse:
    """``enroll_person`` with a photo already in memory (an upload to the console): the
    action's schema, checks, quality gate and audit rows apply, and the photo goes straight to
    the enrolment through the image-reader seam, never through a file."""
    fields = ENROLL_SCHEMA({key: value for key, value in data.items() if key not in IMAGE_SOURCES})

    async def read_upload(_hass: HomeAssistant, _call: ServiceCall) -> bytes:
        return image

    call = ServiceCall(hass, DOMAIN, SERVICE_ENROLL, fields, context, True)
    return await _async_enroll(call, read_upload)


def _require_safeguards(call: ServiceCall) -> None:
    """Refuse an enrolment without its justification and both attestations."""
    if not call.data.get(ATTR_JUSTIFICATION):
        raise _error("justification_required")
    for attestation in ATTESTATIONS:
        if call.data.get(attestation) is not True:
            raise _error("attestation_required", attestation=attestation)


async def _async_approve(call: ServiceCall) -> ServiceResponse:
    """Four-eyes: a different user than the one who enrolled it activates a pending entry."""
    hass = call.hass
    entry = _entry(hass, call)
    person = _person(entry, call.data[ATTR_PERSON_ID])
    if not entry.options.get(CONF_REQUIRE_APPROVAL, False):
        raise _error("approval_not_required", store=entry.title)
    if person.active:
        raise _error("already_approved", person_id=person.person_id)
    user_id = call.context.user_id
    user = await hass.auth.async_get_user(user_id) if user_id else None
    if user is None:
        raise _error("approver_required")
    if user.id == person.enrolled_by_user_id:
        raise _error("approver_is_enroller", person_id=person.person_id)
    approved = await entry.runtime_data.watchlists.async_approve(person, by=user.name or user.id)
    await async_audit(
        hass,
        call.context,
        AuditAction.APPROVE,
        store_id=entry.entry_id,
        subject=approved.person_id,
        details={"watchlist_id": approved.watchlist_id},
    )
    return {"person": _public(approved)}


async def _async_add_photo(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    entry = _entry(hass, call)
    _require_recognition(entry)
    person = _person(entry, call.data[ATTR_PERSON_ID])
    image = await _read_image(hass, call)
    try:
        face_id = await entry.runtime_data.watchlists.async_add_photo(person, image)
    except RecognitionError as err:
        _raise_photo_error(err)
    await hass.async_add_executor_job(_save_photo, entry.runtime_data.snapshots, face_id, image)
    # A new photo is a new chance to match only its person: the entry's "Not them" threshold
    # resets (logged and announced like every change of it).
    async_delete_review_issue(hass, person.person_id, user_id=call.context.user_id)
    await _async_audit_photo(call, entry, AuditAction.ADD_PHOTO, person, face_id)
    return {"person_id": person.person_id, "face_id": face_id, "photos": _photos(person)}


async def _async_audit_photo(
    call: ServiceCall,
    entry: SmartShopConfigEntry,
    action: AuditAction,
    person: Person,
    face_id: str,
) -> None:
    await async_audit(
        call.hass,
        call.context,
        action,
        store_id=entry.entry_id,
        subject=person.person_id,
        details={"face_id": face_id, "photos": len(person.face_ids)},
    )


async def _async_remove_photo(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    entry = _entry(hass, call)
    person = _person(entry, call.data[ATTR_PERSON_ID])
    face_id = call.data[ATTR_FACE_ID].strip()
    first = person.face_ids[0] if person.face_ids else None
    try:
        await entry.runtime_data.watchlists.async_remove_photo(person, face_id)
    except EntryValidationError as err:
        raise _error(err.translation_key, **err.placeholders) from err
    except RecognitionError as err:
        raise action_error(err) from err
    await hass.async_add_executor_job(
        _forget_photo, entry.runtime_data.snapshots, person, face_id, face_id == first
    )
    await _async_audit_photo(call, entry, AuditAction.REMOVE_PHOTO, person, face_id)
    return {"person_id": person.person_id, "face_id": face_id, "photos": _photos(person)}


async def _async_update(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    person = _person(entry, call.data[ATTR_PERSON_ID])
    try:
        updated = await entry.runtime_data.watchlists.async_update(
            person,
            category=Category(call.data[ATTR_CATEGORY]) if ATTR_CATEGORY in call.data else None,
            reason=call.data.get(ATTR_REASON),
            incident_reference=call.data.get(ATTR_INCIDENT_REFERENCE),
            expires_at=_as_datetime(call.data.get(ATTR_EXPIRES)),
            review_at=_as_datetime(call.data.get(ATTR_REVIEW_DATE)),
        )
    except EntryValidationError as err:
        raise _error(err.translation_key, **err.placeholders) from err
    async_delete_review_issue(call.hass, updated.person_id, user_id=call.context.user_id)
    await async_audit(
        call.hass,
        call.context,
        AuditAction.UPDATE,
        store_id=entry.entry_id,
        subject=updated.person_id,
        details={
            "fields": [
                name for name in UPDATABLE if getattr(person, name) != getattr(updated, name)
            ]
        },
    )
    return {"person": _public(updated)}


def _held_person(call: ServiceCall) -> tuple[SmartShopConfigEntry, Person]:
    """The person and the store holding them: the store named, else whichever store has them."""
    hass = call.hass
    person_id = call.data[ATTR_PERSON_ID].strip()
    entry = _entry(hass, call) if call.data.get(ATTR_CONFIG_ENTRY_ID) else None
    if (found := find_person(hass, person_id, entry)) is None:
        raise _error("person_not_found", person_id=person_id)
    return found


async def _async_remove(call: ServiceCall) -> ServiceResponse:
    """Erase the person everywhere; the receipt (see erasure.py)."""
    entry, person = _held_person(call)
    return await async_erase_person(
        call.hass, entry, person, call.context, keep_evidence_for=_legal_claim(call, person)
    )


def _legal_claim(call: ServiceCall, person: Person) -> str | None:
    """The legal claim the person's evidence packs are kept for, if the owner keeps them.

    It stays in the audit log after the erasure, so it must say what the claim is, never who:
    a text holding the person's name, or any word of it of three letters or more, is refused.
    """
    if ATTR_KEEP_EVIDENCE_FOR not in call.data:
        return None
    claim = " ".join(str(call.data[ATTR_KEEP_EVIDENCE_FOR]).split())
    if not claim:
        raise _error("keep_evidence_for_empty")
    words = set(re.findall(r"\w+", claim.casefold()))
    name = " ".join(person.display_name.casefold().split())
    if (name and name in claim.casefold()) or any(
        len(part) >= 3 and part in words for part in re.findall(r"\w+", name)
    ):
        raise _error("keep_evidence_for_names_person")
    return claim


async def _async_find_by_face(call: ServiceCall) -> ServiceResponse:
    # Only the stores the caller may see are searched (staff: those with the console for them).
    access = user_access(call.hass, await async_caller(call.hass, call.context))
    stores = [] if access is None else list(access.stores.values())
    image = await _read_image(call.hass, call)
    return await async_find_by_face(
        call.hass,
        image,
        threshold=float(call.data[ATTR_THRESHOLD]),
        context=call.context,
        stores=stores,
    )


async def _async_export_person(call: ServiceCall) -> ServiceResponse:
    entry, person = _held_person(call)
    return await async_export_person(call.hass, entry, person, call.context)


async def _async_list(call: ServiceCall) -> ServiceResponse:
    entry = _entry(call.hass, call)
    await async_authorize_action(call.hass, call.context, SERVICE_LIST, entry.entry_id)
    manager = entry.runtime_data.watchlists
    watchlist_id: str | None = None
    if wanted := call.data.get(ATTR_WATCHLIST):
        watchlist = manager.find_watchlist(wanted)
        if watchlist is None:
            raise _error("watchlist_not_found", watchlist=wanted)
        watchlist_id = watchlist.watchlist_id
    people = sorted(manager.store.people(watchlist_id), key=lambda p: p.added_at)
    # Names were shown: who looked, at how many (never the names themselves).
    await async_audit(
        call.hass,
        call.context,
        AuditAction.LIST_PEOPLE,
        store_id=entry.entry_id,
        details={"count": len(people), "watchlist_id": watchlist_id},
    )
    return {"people": [_public(person) for person in people]}


def _save_reference(snapshots: SnapshotStore, person_id: str, image: bytes) -> None:
    """Keep the enrolment photo (normalised, encrypted) as the entry's reference for staff."""
    snapshots.save(SnapshotKind.REFERENCE, person_id, prepare_image(image).jpeg)


def _save_photo(snapshots: SnapshotStore, face_id: str, image: bytes) -> None:
    """Keep one encrypted copy of every photo (normalised), by face id, so the watchlist can be
    re-embedded from its photos later. A face id no file can have is not kept."""
    try:
        snapshots.save(SnapshotKind.PHOTO, face_id, prepare_image(image).jpeg)
    except ValueError:
        LOGGER.warning("Photo of face %s not kept: unusual face id", face_id)


def _forget_photo(
    snapshots: SnapshotStore, person: Person, face_id: str, was_reference: bool
) -> None:
    """Delete a removed photo's copy; if it was the reference staff see, the entry's first
    remaining photo becomes the reference."""
    forget_photo(snapshots, face_id)
    if was_reference and person.face_ids:
        try:
            replacement = snapshots.load(SnapshotKind.PHOTO, person.face_ids[0])
        except ValueError:
            replacement = None
        if replacement is not None:
            snapshots.save(SnapshotKind.REFERENCE, person.person_id, replacement)


async def _async_review(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    incident_id = call.data[ATTR_INCIDENT_ID].strip()
    if call.data.get(ATTR_CONFIG_ENTRY_ID):
        entries = [_entry(hass, call)]
    else:
        entries = hass.config_entries.async_loaded_entries(DOMAIN)
    for entry in entries:
        incident = await hass.async_add_executor_job(entry.runtime_data.incidents.get, incident_id)
        if incident is not None and incident.store_id == entry.entry_id:
            break
    else:
        raise _error("incident_not_found", incident_id=incident_id)
    await async_authorize_action(hass, call.context, SERVICE_REVIEW, entry.entry_id)
    if not (reason := call.data[ATTR_REASON].strip()):
        raise _error("missing_field", field=ATTR_REASON)
    reviewer = await _author(hass, call, ATTR_REVIEWER)
    decision = DECISIONS[call.data[ATTR_DECISION]]
    try:
        reviewed = await async_review(
            hass,
            entry,
            incident,
            decision,
            reviewer=reviewer,
            reason=reason,
            user_id=call.context.user_id,
            context=call.context,
        )
    except AlreadyReviewedError as err:
        if err.incident.review_status is decision:
            # The same answer twice (two phones, one alert): the first stands, nothing changes.
            return {"incident": err.incident.as_dict(), "changed": False}
        # Not a mistake in the call but a race (two phones answering one alert): a plain error,
        # so an automation's continue_on_error lets the second answer end quietly.
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="already_reviewed",
            translation_placeholders={
                "status": str(err.incident.review_status),
                "reviewer": err.incident.reviewed_by or "-",
            },
        ) from err
    return {"incident": reviewed.as_dict(), "changed": True}


async def _async_rotate(call: ServiceCall) -> None:
    """New credentials on the store's bridge; the old ones end at the first use of the new.
    One rotation at a time per store: another call while one runs is refused."""
    hass = call.hass
    entry = _entry(hass, call)
    if entry.runtime_data.bridge is None:
        raise _error("no_bridge", store=entry.title)
    if is_legacy_pairing(entry.data):
        raise _error("bridge_not_updated", store=entry.title)
    rotating = hass.data.setdefault(DATA_ROTATING_STORES, set())
    if entry.entry_id in rotating:
        raise _error("rotation_in_progress", store=entry.title)
    rotating.add(entry.entry_id)
    try:
        client_id = await _async_rotate_store(hass, entry)
    finally:
        rotating.discard(entry.entry_id)
    await async_audit(
        hass,
        call.context,
        AuditAction.CREDENTIALS_ROTATED,
        store_id=entry.entry_id,
        details={"client_id": client_id},
    )


async def _async_rotate_store(hass: HomeAssistant, entry: SmartShopConfigEntry) -> str:
    """Rotate with the credentials saved now (a reload may not have applied the last rotation
    yet), save the new ones and reload the store; the new client id."""
    session = async_get_clientsession(hass)
    try:
        credentials = await make_bridge_client(session, dict(entry.data)).rotate()
    except BridgeError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="rotation_failed",
            translation_placeholders={"store": entry.title, "error": str(err)},
        ) from err
    # The event stream still runs on the old token, which is about to end: stop it rather than
    # have it refused and ask for re-authentication.
    if (bridge := entry.runtime_data.bridge) is not None:
        await bridge.stop()
    data = dict(entry.data) | {
        CONF_CLIENT_ID: credentials.client_id,
        CONF_API_TOKEN: credentials.api_token,
        CONF_ENGINE_ACCESS_KEY_ID: credentials.engine_access_key_id,
        CONF_ENGINE_SECRET_ACCESS_KEY: credentials.engine_secret_access_key,
    }
    # Saved first: from now on only the new credentials are certain to work. The store's update
    # listener reloads it with them (and is gone as soon as that reload starts).
    reloads = bool(entry.update_listeners)
    changed = hass.config_entries.async_update_entry(entry, data=data)
    try:
        # The first use of the new token ends the old token and engine key on the bridge.
        await make_bridge_client(session, data).info()
    except BridgeError as err:
        LOGGER.warning(
            "%s: the new bridge credentials are saved but not used yet (%s); the old ones end "
            "when the store next connects",
            entry.title,
            err,
        )
    if not (changed and reloads):
        hass.config_entries.async_schedule_reload(entry.entry_id)
    # Anything that asked to re-authenticate on the old credentials is answered by the new.
    for flow in entry.async_get_active_flows(hass, {SOURCE_REAUTH}):
        hass.config_entries.flow.async_abort(flow["flow_id"])
    return credentials.client_id


def _photos(person: Person) -> list[JsonValueType]:
    return [
        {"face_id": face_id, "added_at": person.photo_time(face_id).isoformat()}
        for face_id in person.face_ids
    ]


def _public(person: Person) -> dict[str, Any]:
    data = person.as_dict()
    for key in ("face_ids", "photo_added_at", "user_created", "enrolled_by_user_id"):
        data.pop(key)
    data["status"] = person.status
    data["faces"] = len(person.face_ids)
    data["photos"] = _photos(person)
    return data


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the SmartShop actions (once, for all stores)."""
    async_register_action(
        hass, SERVICE_ENROLL, _async_enroll, ENROLL_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_setup_footage_actions(hass, ENROLL_SCHEMA, _async_enroll)
    async_setup_reembed_action(hass, _entry)
    async_setup_audit_actions(hass)
    async_setup_evidence_pack_action(hass)
    async_setup_report_action(hass)
    async_register_action(
        hass, SERVICE_UPDATE, _async_update, UPDATE_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_action(
        hass, SERVICE_APPROVE, _async_approve, APPROVE_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_action(
        hass, SERVICE_REMOVE, _async_remove, REMOVE_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_action(hass, SERVICE_LIST, _async_list, LIST_SCHEMA, SupportsResponse.ONLY)
    async_register_action(
        hass, SERVICE_REVIEW, _async_review, REVIEW_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_action(hass, SERVICE_ROTATE, _async_rotate, ROTATE_SCHEMA)
    async_register_action(
        hass, SERVICE_ADD_PHOTO, _async_add_photo, ADD_PHOTO_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_action(
        hass,
        SERVICE_REMOVE_PHOTO,
        _async_remove_photo,
        REMOVE_PHOTO_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
    async_register_action(
        hass,
        SERVICE_FIND_BY_FACE,
        _async_find_by_face,
        FIND_BY_FACE_SCHEMA,
        SupportsResponse.ONLY,
    )
    # The archive holds everything about a person and only administrators may download it.
    async_register_action(
        hass,
        SERVICE_EXPORT_PERSON,
        _async_export_person,
        EXPORT_PERSON_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
