"""The manager's console, server side: WebSocket commands over incidents, trends and watchlists.

Rights: administrators may use every command, for every loaded store. Other users may use the
console only for the stores whose option ``console_for_staff`` is on, and then only to look and
review: they cannot enrol, change or remove watchlist entries (``ERR_UNAUTHORIZED``), and they
never see a store without the option. With no such store, every command refuses them.

Names of watchlisted people appear only in these responses (``watchlist/list`` and
``incidents/get``), never in states or events, and each response that shows names writes a
``list_people`` audit row. Watchlist changes go through the ``enroll_person`` (an uploaded
photo through its handler, in memory), ``update_person`` and ``remove_person`` actions, so their
checks and audit rows apply; reviews take the one review path (``review.async_review``), as the
``review_match`` action does. Image links are signed for
the connection's own sign-in and expire after an hour.

Reports, evidence packs, subject-access archives and the list of the exports folder are for
administrators only; they go through the ``generate_report``, ``create_evidence_pack`` and
``export_person_data`` actions (their checks and audit rows apply) and answer with download
links signed the same way.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Final

from homeassistant.components.http.auth import async_sign_path
from homeassistant.components.websocket_api import async_register_command
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import (
    ERR_HOME_ASSISTANT_ERROR,
    ERR_INVALID_FORMAT,
    ERR_SERVICE_VALIDATION_ERROR,
)
from homeassistant.components.websocket_api.decorators import async_response, websocket_command
from homeassistant.components.websocket_api.messages import event_message
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.util import dt as dt_util
import probatio

from .audit import AuditAction
from .console_images import ConnectionSigner, held_images
from .console_queries import (
    MAX_PAGE_SIZE,
    WEEKLY_DIMENSIONS,
    IncidentFilters,
    InvalidCursorError,
    Outcome,
    heatmap,
    outcomes,
    page as incident_page,
    repeat_visitors,
    review_history,
    review_times,
    store_totals,
    weekly,
)
from .const import (
    CONF_CAMERA_ENTITY,
    CONF_CONSOLE_FOR_STAFF,
    CONF_LOCATION,
    DOMAIN,
    EVENT_MATCH,
    SUBENTRY_CAMERA,
    Category,
    Justification,
)
from .data import SmartShopConfigEntry
from .database import async_audit, incident_store
from .evidence_pack import SERVICE_EVIDENCE_PACK
from .exports import REPORT_PREFIX, download_path, exports_dir
from .incidents import Incident, IncidentStore, ReviewStatus
from .people import Person
from .permissions import COMMANDS as PERMISSIONS, is_allowed
from .reports import SERVICE_GENERATE_REPORT
from .review import AlreadyReviewedError, async_review
from .services import (
    DECISIONS,
    SERVICE_ENROLL,
    SERVICE_EXPORT_PERSON,
    SERVICE_REMOVE,
    SERVICE_UPDATE,
    async_enroll_image,
)
from .snapshots import SnapshotKind
from .store_access import Access, user_access
from .text_limits import IDENT, NAME, REASON, REFERENCE

EXPIRES_SOON: Final = timedelta(days=14)
DOWNLOAD_LINK_LIFETIME: Final = timedelta(hours=1)
# What an export file is, by the start of its name (the actions that write them name them so).
EXPORT_KINDS: Final = (
    (REPORT_PREFIX, "report"),
    ("evidence-", "evidence_pack"),
    ("subject-access-", "subject_access"),
    ("audit-log-", "audit_log"),
)
DEFAULT_PAGE_SIZE: Final = 50
# An uploaded photo, decoded. Home Assistant takes WebSocket messages of up to 4 MiB, and the
# photo arrives there in base64 (4 characters for 3 bytes): 3 MB leaves room for the fields.
MAX_UPLOAD_BYTES: Final = 3_000_000
IMAGE_SIGNATURES: Final = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
ERR_ALREADY_REVIEWED: Final = "already_reviewed"

_STATUSES = [str(status) for status in ReviewStatus]
_FILTERS: dict[Any, Any] = {
    probatio.Optional("store_ids"): [cv.string],
    probatio.Optional("camera"): cv.string,
    probatio.Optional("watchlist_id"): cv.string,
    probatio.Optional("category"): cv.string,
    probatio.Optional("review_status"): probatio.In(_STATUSES),
    probatio.Optional("start"): cv.datetime,
    probatio.Optional("end"): cv.datetime,
}


def _access(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> Access:
    """The stores the connection's user may see, once the command's row of the permission
    table allows them the command at all."""
    access = user_access(hass, connection.user)
    if access is None or not is_allowed(hass, PERMISSIONS[msg["type"]], connection.user):
        raise Unauthorized
    return access


def _filters(access: Access, msg: dict[str, Any]) -> IncidentFilters:
    status = msg.get("review_status")
    start, end = msg.get("start"), msg.get("end")
    return IncidentFilters(
        store_ids=access.store_ids(msg.get("store_ids")),
        camera=msg.get("camera"),
        watchlist_id=msg.get("watchlist_id"),
        category=msg.get("category"),
        review_status=ReviewStatus(status) if status else None,
        start=dt_util.as_utc(start) if start else None,
        end=dt_util.as_utc(end) if end else None,
    )


# --- stores ------------------------------------------------------------------------------------


def _counts(outcome: Outcome | None) -> dict[str, Any]:
    if outcome is None:
        return {"total": 0, "pending": 0, "confirmed": 0, "dismissed": 0, "last_incident": None}
    return {
        "total": outcome.total,
        "pending": outcome.pending,
        "confirmed": outcome.confirmed,
        "dismissed": outcome.dismissed,
        "last_incident": outcome.last_incident.isoformat(),
    }


def _cameras(hass: HomeAssistant, entry: SmartShopConfigEntry) -> list[dict[str, str]]:
    """The store's cameras (those it watches, and its bridge's), for a photo to enrol from."""
    cameras = {
        str(subentry.data[CONF_CAMERA_ENTITY]): str(
            subentry.data.get(CONF_LOCATION) or subentry.title
        )
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_CAMERA
    }
    for registered in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        if registered.domain == "camera" and registered.disabled_by is None:
            cameras.setdefault(
                registered.entity_id,
                registered.name or registered.original_name or registered.entity_id,
            )
    return [{"entity_id": entity_id, "name": name} for entity_id, name in cameras.items()]


@websocket_command({probatio.Required("type"): "smartshop/stores"})
@async_response
async def ws_stores(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """The stores this user may see, with their incident totals and watchlists."""
    access = _access(hass, connection, msg)
    totals = {
        outcome.key: outcome
        for outcome in await hass.async_add_executor_job(
            store_totals,
            incident_store(hass),
            IncidentFilters(store_ids=access.store_ids()),
        )
    }
    connection.send_result(
        msg["id"],
        {
            "is_admin": access.admin,
            "can_edit_watchlists": access.admin,
            "stores": [
                {
                    "store_id": store_id,
                    "name": entry.title,
                    "console_for_staff": bool(entry.options.get(CONF_CONSOLE_FOR_STAFF, False)),
                    "totals": _counts(totals.get(store_id)),
                    "watchlists": [
                        {
                            "watchlist_id": watchlist.watchlist_id,
                            "name": watchlist.name,
                            "category": str(watchlist.category),
                        }
                        for watchlist in entry.runtime_data.watchlists.watchlists.values()
                    ],
                    "cameras": _cameras(hass, entry),
                }
                for store_id, entry in access.stores.items()
            ],
        },
    )


# --- incidents ---------------------------------------------------------------------------------


def _row(
    incident: Incident, sign: ConnectionSigner, crops: set[str], references: set[str]
) -> dict[str, Any]:
    return incident.as_dict() | {
        "snapshot_url": (
            sign(SnapshotKind.INCIDENT, incident.incident_id)
            if incident.incident_id in crops
            else None
        ),
        "reference_url": (
            sign(SnapshotKind.REFERENCE, incident.person_id)
            if incident.person_id in references
            else None
        ),
    }


@websocket_command(
    {
        probatio.Required("type"): "smartshop/incidents/list",
        **_FILTERS,
        probatio.Optional("limit", default=DEFAULT_PAGE_SIZE): probatio.All(
            int, probatio.Range(min=1, max=MAX_PAGE_SIZE)
        ),
        probatio.Optional("cursor"): cv.string,
    }
)
@async_response
async def ws_incidents_list(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """One page of incidents, newest first, with signed links to their images."""
    access = _access(hass, connection, msg)
    filters = _filters(access, msg)
    try:
        page = await hass.async_add_executor_job(
            incident_page, incident_store(hass), filters, msg["limit"], msg.get("cursor")
        )
    except InvalidCursorError:
        connection.send_error(msg["id"], ERR_INVALID_FORMAT, "Unknown cursor")
        return
    snapshots = {
        incident.store_id: access.stores[incident.store_id].runtime_data.snapshots
        for incident in page.incidents
    }
    crops, references = set(), set()
    for store_id, snapshot_store in snapshots.items():
        held = await hass.async_add_executor_job(
            held_images,
            snapshot_store,
            [i.incident_id for i in page.incidents if i.store_id == store_id],
            [i.person_id for i in page.incidents if i.store_id == store_id],
        )
        crops |= held[0]
        references |= held[1]
    sign = ConnectionSigner(hass, connection)
    connection.send_result(
        msg["id"],
        {
            "incidents": [_row(incident, sign, crops, references) for incident in page.incidents],
            "next_cursor": page.next_cursor,
        },
    )


async def _incident(hass: HomeAssistant, access: Access, incident_id: str) -> Incident:
    incident = await hass.async_add_executor_job(incident_store(hass).get, incident_id)
    if incident is None or incident.store_id not in access.stores:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="incident_not_found",
            translation_placeholders={"incident_id": incident_id},
        )
    return incident


def _person_details(person: Person, now: datetime) -> dict[str, Any]:
    """What staff see of a watchlist entry (its name included)."""
    return {
        "person_id": person.person_id,
        "watchlist_id": person.watchlist_id,
        "name": person.display_name,
        "category": str(person.category),
        "reason": person.reason,
        "incident_reference": person.incident_reference,
        "added_by": person.added_by,
        "added_at": person.added_at.isoformat(),
        "expires": person.expires_at.isoformat(),
        "review_date": person.review_at.isoformat(),
        "review_due": person.review_at <= now,
        "expires_soon": person.expires_at - now <= EXPIRES_SOON,
        "photos": len(person.face_ids),
    }


@websocket_command(
    {probatio.Required("type"): "smartshop/incidents/get", probatio.Required("incident_id"): str}
)
@async_response
async def ws_incidents_get(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """One incident: its images, the entry it matched (if this store enrolled it) and its
    review history from the audit log."""
    access = _access(hass, connection, msg)
    incident = await _incident(hass, access, msg["incident_id"])
    entry = access.stores[incident.store_id]
    person = (
        entry.runtime_data.watchlists.store.get(incident.person_id) if incident.person_id else None
    )
    crops, references = await hass.async_add_executor_job(
        held_images, entry.runtime_data.snapshots, [incident.incident_id], [incident.person_id]
    )
    subjects = [incident.incident_id, *([incident.person_id] if incident.person_id else [])]
    history = [
        row
        for row in await hass.async_add_executor_job(review_history, incident_store(hass), subjects)
        # A row about the person names the incident it reviewed, when it says.
        if row["subject"] == incident.incident_id
        or row["details"].get("incident_id", incident.incident_id) == incident.incident_id
    ]
    if person is not None:
        await async_audit(
            hass,
            connection.context(msg),
            AuditAction.LIST_PEOPLE,
            store_id=entry.entry_id,
            subject=person.person_id,
            details={"people": 1, "via": "console", "incident_id": incident.incident_id},
        )
    connection.send_result(
        msg["id"],
        {
            "incident": _row(incident, ConnectionSigner(hass, connection), crops, references),
            "person": _person_details(person, dt_util.utcnow()) if person else None,
            "review_history": history,
        },
    )


@websocket_command(
    {
        probatio.Required("type"): "smartshop/incidents/review",
        probatio.Required("incident_id"): str,
        probatio.Required("decision"): probatio.In(list(DECISIONS)),
        probatio.Optional("reason", default=""): REASON,
    }
)
@async_response
async def ws_incidents_review(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Confirm or dismiss (with a reason) as the signed-in user, through the one review path."""
    access = _access(hass, connection, msg)
    decision = DECISIONS[msg["decision"]]
    reason = msg["reason"].strip()
    if decision is ReviewStatus.DISMISSED and not reason:
        connection.send_error(msg["id"], ERR_INVALID_FORMAT, "A dismissal needs a reason")
        return
    incident = await _incident(hass, access, msg["incident_id"])
    try:
        reviewed = await async_review(
            hass,
            access.stores[incident.store_id],
            incident,
            decision,
            reviewer=connection.user.name or "user",
            reason=reason,
            user_id=connection.user.id,
        )
    except AlreadyReviewedError as err:
        if err.incident.review_status is decision:
            # The same answer twice (two screens, one alert): the first stands.
            connection.send_result(
                msg["id"], {"incident": err.incident.as_dict(), "changed": False}
            )
            return
        connection.send_error(
            msg["id"],
            ERR_ALREADY_REVIEWED,
            f"Already {err.incident.review_status} by {err.incident.reviewed_by or '-'}",
        )
        return
    connection.send_result(msg["id"], {"incident": reviewed.as_dict(), "changed": True})


# --- trends ------------------------------------------------------------------------------------


def _trends(store: IncidentStore, filters: IncidentFilters, zone: tzinfo) -> dict[str, Any]:
    """Every trend of the console, in one executor job (blocking)."""
    return {
        "heatmap": [asdict(cell) for cell in heatmap(store, filters, zone)],
        "weekly": {
            by: [asdict(week) for week in weekly(store, filters, zone, by)]
            for by in WEEKLY_DIMENSIONS
        },
        "repeat_visitors": [
            asdict(visitor)
            | {
                "first_seen": visitor.first_seen.isoformat(),
                "last_seen": visitor.last_seen.isoformat(),
            }
            for visitor in repeat_visitors(store, filters, zone)
        ],
        "outcomes": {
            by: [
                {"key": outcome.key, "label": outcome.label} | _counts(outcome)
                for outcome in outcomes(store, filters, by)
            ]
            for by in ("watchlist", "camera", "store")
        },
        "review_times": asdict(review_times(store, filters)),
    }


@websocket_command(
    {
        probatio.Required("type"): "smartshop/trends",
        **_FILTERS,
        probatio.Optional("time_zone"): cv.time_zone,
    }
)
@async_response
async def ws_trends(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
    """Heatmap, weekly counts, repeat visitors, review outcomes and times, store totals; in
    the shop's local time (Home Assistant's zone unless ``time_zone`` is given)."""
    access = _access(hass, connection, msg)
    filters = _filters(access, msg)
    zone = dt_util.get_time_zone(msg.get("time_zone") or hass.config.time_zone)
    assert zone is not None  # validated (or Home Assistant's own)
    result = await hass.async_add_executor_job(_trends, incident_store(hass), filters, zone)
    connection.send_result(msg["id"], result | {"time_zone": str(zone)})


# --- watchlists --------------------------------------------------------------------------------


@websocket_command(
    {
        probatio.Required("type"): "smartshop/watchlist/list",
        probatio.Optional("store_ids"): [cv.string],
    }
)
@async_response
async def ws_watchlist_list(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """The watchlist entries of the user's stores, with names and reference photos."""
    access = _access(hass, connection, msg)
    now = dt_util.utcnow()
    sign = ConnectionSigner(hass, connection)
    people: list[dict[str, Any]] = []
    for store_id in access.store_ids(msg.get("store_ids")):
        entry = access.stores[store_id]
        manager = entry.runtime_data.watchlists
        entries = sorted(manager.store.people(), key=lambda person: person.added_at)
        _, references = await hass.async_add_executor_job(
            held_images, entry.runtime_data.snapshots, [], [p.person_id for p in entries]
        )
        for person in entries:
            watchlist = manager.watchlists.get(person.watchlist_id)
            people.append(
                _person_details(person, now)
                | {
                    "store_id": store_id,
                    "watchlist": watchlist.name if watchlist else None,
                    "reference_url": (
                        sign(SnapshotKind.REFERENCE, person.person_id)
                        if person.person_id in references
                        else None
                    ),
                }
            )
        if entries:
            await async_audit(
                hass,
                connection.context(msg),
                AuditAction.LIST_PEOPLE,
                store_id=store_id,
                details={"people": len(entries), "via": "console"},
            )
    connection.send_result(msg["id"], {"people": people})


def _store_of(access: Access, person_id: str) -> str:
    for store_id, entry in access.stores.items():
        if entry.runtime_data.watchlists.store.get(person_id) is not None:
            return store_id
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="person_not_found",
        translation_placeholders={"person_id": person_id},
    )


@websocket_command(
    {
        probatio.Required("type"): "smartshop/watchlist/update",
        probatio.Required("person_id"): str,
        probatio.Optional("category"): probatio.In([str(category) for category in Category]),
        probatio.Optional("reason"): REASON,
        probatio.Optional("incident_reference"): REFERENCE,
        probatio.Optional("expires"): cv.date,
        probatio.Optional("review_date"): cv.date,
    }
)
@async_response
async def ws_watchlist_update(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Change an entry (administrators only), through the ``update_person`` action."""
    access = _access(hass, connection, msg)
    data = {
        key: value.isoformat() if key in ("expires", "review_date") else value
        for key, value in msg.items()
        if key not in ("id", "type")
    }
    response = await hass.services.async_call(
        DOMAIN,
        SERVICE_UPDATE,
        data | {"config_entry_id": _store_of(access, msg["person_id"])},
        blocking=True,
        context=connection.context(msg),
        return_response=True,
    )
    connection.send_result(msg["id"], response)


def _upload(encoded: str) -> bytes | str:
    """The uploaded photo's bytes, or why it is refused (its size is checked before decoding)."""
    encoded = encoded.removeprefix("data:").partition(";base64,")[2] or encoded
    padding = len(encoded) - len(encoded.rstrip("="))
    if len(encoded) * 3 // 4 - padding > MAX_UPLOAD_BYTES:
        return f"The photo is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB"
    try:
        image = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return "The photo is not valid base64"
    if not image.startswith(IMAGE_SIGNATURES):
        return "The photo must be a JPEG or PNG image"
    return image


@websocket_command(
    {
        probatio.Required("type"): "smartshop/watchlist/enroll",
        probatio.Required("store_id"): cv.string,
        probatio.Required("watchlist"): IDENT,
        probatio.Required("name"): NAME,
        probatio.Optional("category"): probatio.In([str(category) for category in Category]),
        probatio.Required("reason"): REASON,
        probatio.Required("incident_reference"): REFERENCE,
        # Required, but left to the action for its own refusal.
        probatio.Optional("justification"): probatio.In([str(j) for j in Justification]),
        probatio.Optional("attest_adult"): bool,
        probatio.Optional("attest_not_vulnerable"): bool,
        probatio.Optional("expires"): cv.date,
        probatio.Optional("review_date"): cv.date,
        probatio.Exclusive("camera_entity_id", "photo"): cv.entity_id,
        probatio.Exclusive("image", "photo"): str,
    }
)
@async_response
async def ws_watchlist_enroll(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Enrol a person from a camera's snapshot or an uploaded photo (administrators only),
    through the ``enroll_person`` action: its safeguards, quality gate and audit rows apply.
    The upload goes to the enrolment in memory; only the action's encrypted copies are kept."""
    access = _access(hass, connection, msg)
    store_id = access.store_ids([msg["store_id"]])[0]
    data: dict[str, Any] = {
        key: value.isoformat() if key in ("expires", "review_date") else value
        for key, value in msg.items()
        if key not in ("id", "type", "store_id", "image")
    } | {"config_entry_id": store_id}
    if "image" not in msg:
        if "camera_entity_id" not in msg:
            connection.send_error(
                msg["id"], ERR_INVALID_FORMAT, "Choose a camera or upload a photo"
            )
            return
        response = await _async_action(hass, connection, msg, SERVICE_ENROLL, data)
        if response is not None:
            connection.send_result(msg["id"], response)
        return
    image = _upload(msg["image"])
    if isinstance(image, str):
        connection.send_error(msg["id"], ERR_INVALID_FORMAT, image)
        return
    try:
        response = await async_enroll_image(hass, data, connection.context(msg), image)
    except HomeAssistantError as err:
        _send_action_error(connection, msg, err)
        return
    connection.send_result(msg["id"], dict(response or {}))


@websocket_command(
    {
        probatio.Required("type"): "smartshop/watchlist/remove",
        probatio.Required("person_id"): str,
        # The legal claim the person's evidence packs are kept for (see remove_person).
        probatio.Optional("keep_evidence_for"): REASON,
    }
)
@async_response
async def ws_watchlist_remove(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Remove an entry and everything held about it (administrators only), through the
    ``remove_person`` action (its evidence packs kept for a legal claim when one is named);
    answers with its erasure receipt."""
    access = _access(hass, connection, msg)
    response = await hass.services.async_call(
        DOMAIN,
        SERVICE_REMOVE,
        {
            "person_id": msg["person_id"],
            "config_entry_id": _store_of(access, msg["person_id"]),
        }
        | ({"keep_evidence_for": msg["keep_evidence_for"]} if "keep_evidence_for" in msg else {}),
        blocking=True,
        context=connection.context(msg),
        return_response=True,
    )
    connection.send_result(msg["id"], response)


# --- exports -----------------------------------------------------------------------------------


def _sign_download(hass: HomeAssistant, connection: ActiveConnection, name: str) -> str:
    """A link to an export, signed for this connection's sign-in, for an hour."""
    return async_sign_path(
        hass,
        download_path(name),
        DOWNLOAD_LINK_LIFETIME,
        refresh_token_id=connection.refresh_token_id,
    )


async def _async_action(
    hass: HomeAssistant,
    connection: ActiveConnection,
    msg: dict[str, Any],
    action: str,
    data: dict[str, Any],
) -> dict[str, Any] | None:
    """Call one of the integration's actions as the connection's user (so its own checks and
    audit rows apply); its response, or None once an error was sent."""
    try:
        response = await hass.services.async_call(
            DOMAIN,
            action,
            data,
            blocking=True,
            context=connection.context(msg),
            return_response=True,
        )
    except Unauthorized:
        raise
    except HomeAssistantError as err:
        _send_action_error(connection, msg, err)
        return None
    return dict(response or {})


def _send_action_error(
    connection: ActiveConnection, msg: dict[str, Any], err: HomeAssistantError
) -> None:
    """An action's refusal as the command's error, with the action's message."""
    if isinstance(err, Unauthorized):
        raise err
    connection.send_error(
        msg["id"],
        ERR_SERVICE_VALIDATION_ERROR
        if isinstance(err, ServiceValidationError)
        else ERR_HOME_ASSISTANT_ERROR,
        str(err) or type(err).__name__,
        translation_key=err.translation_key,
        translation_domain=err.translation_domain,
        translation_placeholders=err.translation_placeholders,
    )


@websocket_command(
    {
        probatio.Required("type"): "smartshop/reports/generate",
        probatio.Required("start"): cv.date,
        probatio.Required("end"): cv.date,
        probatio.Optional("store_id"): cv.string,
    }
)
@async_response
async def ws_reports_generate(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """A period report (administrators only), through the ``generate_report`` action; answers
    with its response and links to the PDF and CSV signed for this connection."""
    access = _access(hass, connection, msg)
    data: dict[str, Any] = {"start": msg["start"].isoformat(), "end": msg["end"].isoformat()}
    if store_id := msg.get("store_id"):
        data["config_entry_id"] = access.store_ids([store_id])[0]
    response = await _async_action(hass, connection, msg, SERVICE_GENERATE_REPORT, data)
    if response is None:
        return
    connection.send_result(
        msg["id"],
        response
        | {
            "pdf_url": _sign_download(hass, connection, response["pdf"]),
            "csv_url": _sign_download(hass, connection, response["csv"]),
        },
    )


@websocket_command(
    {
        probatio.Required("type"): "smartshop/incidents/evidence_pack",
        probatio.Required("incident_id"): str,
    }
)
@async_response
async def ws_incidents_evidence_pack(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """The evidence pack of a confirmed incident (administrators only), through the
    ``create_evidence_pack`` action, with a signed link to it."""
    access = _access(hass, connection, msg)
    incident = await _incident(hass, access, msg["incident_id"])
    response = await _async_action(
        hass, connection, msg, SERVICE_EVIDENCE_PACK, {"incident_id": incident.incident_id}
    )
    if response is None:
        return
    connection.send_result(
        msg["id"], response | {"url": _sign_download(hass, connection, response["file"])}
    )


@websocket_command(
    {probatio.Required("type"): "smartshop/watchlist/export", probatio.Required("person_id"): str}
)
@async_response
async def ws_watchlist_export(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Everything held about one entry, as the subject-access archive (administrators only),
    through the ``export_person_data`` action, with a signed link to it."""
    access = _access(hass, connection, msg)
    response = await _async_action(
        hass,
        connection,
        msg,
        SERVICE_EXPORT_PERSON,
        {
            "person_id": msg["person_id"],
            "config_entry_id": _store_of(access, msg["person_id"]),
        },
    )
    if response is None:
        return
    connection.send_result(
        msg["id"], response | {"url": _sign_download(hass, connection, response["file"])}
    )


def _export_kind(name: str) -> str:
    return next((kind for prefix, kind in EXPORT_KINDS if name.startswith(prefix)), "other")


def _export_files(folder: Path) -> list[tuple[str, int, float]]:
    """(name, size, modified) of each file in the exports folder, newest first (blocking)."""
    if not folder.is_dir():
        return []
    files = [
        (path.name, stat.st_size, stat.st_mtime)
        for path in folder.iterdir()
        if not path.name.startswith(".") and path.is_file()
        for stat in (path.stat(),)
    ]
    return sorted(files, key=lambda file: (file[2], file[0]), reverse=True)


@websocket_command({probatio.Required("type"): "smartshop/exports/list"})
@async_response
async def ws_exports_list(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """The files in the exports folder, newest first, with links signed for this connection
    (administrators only)."""
    _access(hass, connection, msg)
    files = await hass.async_add_executor_job(_export_files, exports_dir(hass))
    connection.send_result(
        msg["id"],
        {
            "files": [
                {
                    "name": name,
                    "size": size,
                    "modified": dt_util.utc_from_timestamp(modified).isoformat(),
                    "kind": _export_kind(name),
                    "url": _sign_download(hass, connection, name),
                }
                for name, size, modified in files
            ]
        },
    )


# --- live matches ------------------------------------------------------------------------------


@websocket_command({probatio.Required("type"): "smartshop/subscribe_matches"})
@callback
def ws_subscribe_matches(
    hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]
) -> None:
    """Forward each ``smartshop_match`` of the user's stores as it is fired, with image links
    signed for this connection. Ends when the client unsubscribes or the connection closes."""
    _access(hass, connection, msg)
    sign = ConnectionSigner(hass, connection)
    rule = PERMISSIONS[msg["type"]]

    @callback
    def forward(event: Event) -> None:
        # Rights are checked per match, on the user as they are now: a store's option may have
        # changed since, or the user may no longer be an administrator (or active).
        data = dict(event.data)
        store_id = data.get("config_entry_id")
        access = user_access(hass, connection.user)
        if (
            access is None
            or store_id not in access.stores
            or not is_allowed(hass, rule, connection.user, store_id)
        ):
            return
        data["snapshot_url"] = sign.resign(
            data.get("snapshot_url"), SnapshotKind.INCIDENT, data.get("incident_id")
        )
        data["reference_url"] = sign.resign(
            data.get("reference_url"), SnapshotKind.REFERENCE, data.get("person_id")
        )
        connection.send_message(event_message(msg["id"], data))

    connection.subscriptions[msg["id"]] = hass.bus.async_listen(EVENT_MATCH, forward)
    connection.send_result(msg["id"])


COMMANDS: Final[tuple[Callable[..., Any], ...]] = (
    ws_stores,
    ws_incidents_list,
    ws_incidents_get,
    ws_incidents_review,
    ws_trends,
    ws_watchlist_list,
    ws_watchlist_update,
    ws_watchlist_enroll,
    ws_watchlist_remove,
    ws_watchlist_export,
    ws_incidents_evidence_pack,
    ws_reports_generate,
    ws_exports_list,
    ws_subscribe_matches,
)


@callback
def async_setup_console_api(hass: HomeAssistant) -> None:
    """Register the console's commands (once, for every store)."""
    for command in COMMANDS:
        async_register_command(hass, command)
