"""What happens on a match, whichever camera found it: cooldown, incident record, events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
import uuid

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .const import DOMAIN, EVENT_MATCH, ISSUE_BUDGET_REACHED, LOGGER, Category
from .data import SmartShopConfigEntry
from .imaging import ImageError, crop_region, prepare_image
from .incidents import Incident, IncidentStoreError
from .recognition import FaceMatch
from .snapshots import SnapshotKind, SnapshotStore
from .views import signed_snapshot_url
from .watchlist import ResolvedMatch


def budget_issue_id(entry_id: str) -> str:
    """The repair issue raised while a store's daily budget is used up."""
    return f"{ISSUE_BUDGET_REACHED}_{entry_id}"


def async_search_allowed(hass: HomeAssistant, entry: SmartShopConfigEntry) -> bool:
    """Whether the store may search now; pauses (loudly) at the daily budget, resumes next day."""
    data = entry.runtime_data
    data.usage.sync(data.client.calls, dt_util.now().date())
    if data.usage.budget_reached:
        if not data.budget_paused:
            data.budget_paused = True
            LOGGER.warning(
                "%s reached its daily budget of %s billable calls; searching is paused until "
                "midnight or until the budget is raised",
                entry.title,
                data.usage.daily_budget,
            )
            ir.async_create_issue(
                hass,
                DOMAIN,
                budget_issue_id(entry.entry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_BUDGET_REACHED,
                translation_placeholders={
                    "store": entry.title,
                    "budget": str(data.usage.daily_budget),
                },
            )
        return False
    if data.budget_paused:
        data.budget_paused = False
        ir.async_delete_issue(hass, DOMAIN, budget_issue_id(entry.entry_id))
        LOGGER.info("%s: searching resumed (new day or higher budget)", entry.title)
    return True


def async_count_usage(entry: SmartShopConfigEntry) -> None:
    """Bring the usage meter up to date after calls were made."""
    data = entry.runtime_data
    data.usage.sync(data.client.calls, dt_util.now().date())


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchSource:
    """Where a face was seen."""

    camera: str  # a camera entity id, or a bridge camera id
    location: str
    entity_id: str | None = None  # the face watch entity, when there is one


def category_of(resolved: ResolvedMatch) -> str:
    """The entry's category, or the watchlist's for faces enrolled by another store."""
    return str(resolved.person.category if resolved.person else resolved.watchlist.category)


def signal_match(entry_id: str) -> str:
    """Dispatcher signal for a store's match, confirmation and dismissal (entities listen)."""
    return f"{DOMAIN}_{entry_id}_match"


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """The image a match came from: a face crop (bridge) or a whole frame (scan)."""

    image: bytes
    is_face_crop: bool

    def face_jpeg(self, match: FaceMatch) -> bytes | None:
        """The matched face as JPEG (blocking: run in an executor)."""
        if self.is_face_crop:
            return self.image
        if match.bounding_box is None:
            return None
        try:
            return crop_region(prepare_image(self.image), match.bounding_box).jpeg
        except (ImageError, ValueError):
            return None


async def async_handle_matches(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    matches: Sequence[FaceMatch],
    source: MatchSource,
    *,
    evidence: Evidence | None = None,
    dedup_key: str | None = None,
    seen_at: datetime | None = None,
) -> list[ResolvedMatch]:
    """Turn backend matches into incidents and events; returns those that alerted.

    Each category's alert rule decides whether a match is worth an alert (minimum similarity,
    cooldown per person), whether it falls in quiet hours, and whether follow-up actions must
    wait for staff to confirm. ``dedup_key`` identifies the sighting (e.g. a bridge event id): an
    incident already recorded under it is not recorded or announced again, so a replayed event
    after a restart is harmless. Only the matched face is kept (encrypted) as the incident's
    evidence; the rest of the image is dropped with the search.
    """
    data = entry.runtime_data
    alerted: list[ResolvedMatch] = []
    seen: set[str] = set()
    now = dt_util.utcnow()
    for match in matches:
        resolved = data.watchlists.resolve(match)
        person_key = match.external_image_id
        if resolved is None or person_key in seen:
            continue
        seen.add(person_key)
        category = category_of(resolved)
        rule = data.rules[Category(category)]
        if match.similarity < rule.min_similarity:
            continue
        if not data.cooldown_allows(person_key, rule.cooldown_minutes * 60):
            continue
        incident = Incident(
            incident_id=str(uuid.uuid4()),
            dedup_key=f"{dedup_key}:{person_key}" if dedup_key else str(uuid.uuid4()),
            occurred_at=seen_at or now,
            store_id=entry.entry_id,
            store_name=entry.title,
            camera=source.camera,
            location=source.location,
            watchlist_id=resolved.watchlist.watchlist_id,
            watchlist=resolved.watchlist.name,
            category=category,
            person_id=person_key,
            similarity=round(match.similarity, 2),
        )
        try:
            recorded = await hass.async_add_executor_job(data.incidents.add, incident)
        except IncidentStoreError as err:
            LOGGER.error("Match not recorded as an incident: %s", err)
            recorded = True  # still alert: staff must know even if the record failed
        if not recorded:
            continue
        has_snapshot = evidence is not None and await hass.async_add_executor_job(
            _save_evidence, data.snapshots, incident.incident_id, evidence, match
        )
        payload = _event_data(entry, resolved, incident, source, now) | {
            "snapshot_url": (
                signed_snapshot_url(hass, SnapshotKind.INCIDENT, incident.incident_id)
                if has_snapshot
                else None
            ),
            "reference_url": (
                signed_snapshot_url(hass, SnapshotKind.REFERENCE, person_key)
                if resolved.person is not None
                else None
            ),
            "needs_confirmation": rule.needs_confirmation,
            "quiet": rule.is_quiet(dt_util.now().time()),
        }
        hass.bus.async_fire(EVENT_MATCH, payload)
        async_dispatcher_send(hass, signal_match(entry.entry_id), EVENT_MATCH, payload)
        data.usage.record_latency((dt_util.utcnow() - incident.occurred_at).total_seconds() * 1000)
        alerted.append(resolved)
    return alerted


def _save_evidence(
    store: SnapshotStore, incident_id: str, evidence: Evidence, match: FaceMatch
) -> bool:
    face = evidence.face_jpeg(match)
    if face is None:
        return False
    store.save(SnapshotKind.INCIDENT, incident_id, face)
    return True


def _event_data(
    entry: SmartShopConfigEntry,
    resolved: ResolvedMatch,
    incident: Incident,
    source: MatchSource,
    now: datetime,
) -> dict[str, Any]:
    """The match event: identifiers only, never a name (the recorder keeps events)."""
    return {
        "incident_id": incident.incident_id,
        "person_id": incident.person_id,
        "face_id": resolved.match.face_id,
        "watchlist": incident.watchlist,
        "watchlist_id": incident.watchlist_id,
        "category": incident.category,
        "similarity": incident.similarity,
        "entity_id": source.entity_id,
        "camera": source.camera,
        "store": entry.title,
        "config_entry_id": entry.entry_id,
        "location": source.location,
        "known_here": resolved.person is not None,
        "time": now.isoformat(),
        "seen_at": incident.occurred_at.isoformat(),
    }
