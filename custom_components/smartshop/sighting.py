"""The road of a sighting: one face seen at a store, from the search to the alert.

Every face SmartShop looks at takes this one road, whichever camera saw it: a bridge camera's
face event (pushed by the bridge connection) or a frame of a Home Assistant camera (an
``image_processing.scan``). :class:`SightingService` owns each step, top to bottom:

1. gate: compliance confirmed, credentials good, daily budget not reached;
2. search the store's watchlists (backend failures mark its health, or start re-authentication);
3. resolve each match to a watchlist (and, when enrolled here, a person);
4. the category's alert rule and the per-person cooldown;
5. the incident record (de-duplicated by the sighting's key);
6. the evidence: only the matched face, encrypted;
7. the ``smartshop_match`` event and the store's match signal, then the sighting's result.

Entities take no part in it: the face watch, event and presence entities only show what the
signals carry, so a disabled entity never turns recognition off. A face that matches nothing
is dropped from memory with the search: never stored, logged or announced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
import time
from typing import Any
import uuid

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .bridge_protocol import FaceEvent
from .const import (
    DOMAIN,
    EVENT_MATCH,
    ISSUE_BUDGET_REACHED,
    LOGGER,
    Category,
    signal_match,
    signal_sighting,
)
from .data import SmartShopConfigEntry
from .errors import ErrorKind, async_auth_failed, kind_of
from .imaging import ImageError, crop_region, prepare_image
from .incidents import Incident, IncidentStore, IncidentStoreError
from .people import Person
from .recognition import FaceMatch, RecognitionError
from .review import async_delete_review_issue
from .snapshots import SnapshotKind, SnapshotStore
from .views import signed_snapshot_url
from .watchlist import ResolvedMatch


def budget_issue_id(entry_id: str) -> str:
    """The repair issue raised while a store's daily budget is used up."""
    return f"{ISSUE_BUDGET_REACHED}_{entry_id}"


def category_of(resolved: ResolvedMatch) -> str:
    """The entry's category, or the watchlist's for faces enrolled by another store."""
    return str(resolved.person.category if resolved.person else resolved.watchlist.category)


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Sighting:
    """A face (or a frame of faces) one camera saw, about to be searched."""

    camera: str  # a camera entity id, or "<bridge id>/<camera id>"
    location: str
    seen_at: datetime
    evidence: Evidence
    dedup_key: str | None = None  # e.g. a bridge event id: the same key is never recorded twice
    entity_id: str | None = None  # the camera's face watch entity, when it has one


@dataclass(frozen=True, slots=True, kw_only=True)
class SightingResult:
    """What a searched sighting found: how many faces, and the matches that alerted."""

    camera: str
    total_faces: int
    alerted: tuple[ResolvedMatch, ...] = ()


class SightingService:
    """One store's road from a seen face to an alert (held in ``entry.runtime_data``)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmartShopConfigEntry,
        *,
        incidents: IncidentStore,
        snapshots: SnapshotStore,
    ) -> None:
        """Bind the store; its runtime data is read when a sighting arrives."""
        self._hass = hass
        self._entry = entry
        self.incidents = incidents
        self.snapshots = snapshots
        self._last_alert: dict[str, float] = {}
        self._budget_paused = False

    # --- the two ways in --------------------------------------------------------------------

    async def async_face_event(self, event: FaceEvent) -> None:
        """A bridge camera's face event: one search of its best crop, dropped afterwards."""
        data = self._entry.runtime_data
        bridge = data.bridge
        if bridge is None or not data.can_search:
            return
        camera = next((c for c in bridge.info.cameras if c.camera_id == event.camera_id), None)
        if camera is None:
            return  # a camera the store does not know yet (its list reloads the store)
        unique_id = f"{self._entry.entry_id}_{bridge.info.bridge_id}_{camera.camera_id}"
        await self.async_search(
            Sighting(
                camera=f"{bridge.info.bridge_id}/{camera.camera_id}",
                location=camera.location or camera.name,
                seen_at=datetime.fromtimestamp(event.first_seen, UTC),
                evidence=Evidence(image=event.crop_jpeg, is_face_crop=True),
                dedup_key=event.event_id,
                entity_id=er.async_get(self._hass).async_get_entity_id(
                    "image_processing", DOMAIN, unique_id
                ),
            )
        )

    async def async_scan(
        self, camera: str, location: str, image: bytes, *, entity_id: str | None
    ) -> SightingResult | None:
        """A frame of a Home Assistant camera (``image_processing.scan``): every face in it."""
        if not self._entry.runtime_data.can_search:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="recognition_disabled"
            )
        return await self.async_search(
            Sighting(
                camera=camera,
                location=location,
                seen_at=dt_util.utcnow(),
                evidence=Evidence(image=image, is_face_crop=False),
                entity_id=entity_id,
            )
        )

    # --- the road ---------------------------------------------------------------------------

    async def async_search(self, sighting: Sighting) -> SightingResult | None:
        """Gate, search, then announce; None when nothing was searched (gated or failed)."""
        data = self._entry.runtime_data
        if not data.watchlists.collection_ids:
            return self._publish(SightingResult(camera=sighting.camera, total_faces=0))
        if not self._async_budget_allows():
            return None
        found = await self._async_backend_search(sighting)
        if found is None:
            return None
        matches, total = found
        alerted = await self._async_handle_matches(sighting, matches)
        return self._publish(
            SightingResult(camera=sighting.camera, total_faces=total, alerted=tuple(alerted))
        )

    def _publish(self, result: SightingResult) -> SightingResult:
        async_dispatcher_send(self._hass, signal_sighting(self._entry.entry_id), result)
        return result

    def _async_budget_allows(self) -> bool:
        """Pause searching (loudly) at the daily budget; resume the next day or when raised."""
        data = self._entry.runtime_data
        entry = self._entry
        data.usage.sync(data.client.calls, dt_util.now().date())
        if data.usage.budget_reached:
            if not self._budget_paused:
                self._budget_paused = True
                LOGGER.warning(
                    "%s reached its daily budget of %s billable calls; searching is paused until "
                    "midnight or until the budget is raised",
                    entry.title,
                    data.usage.daily_budget,
                )
                ir.async_create_issue(
                    self._hass,
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
        if self._budget_paused:
            self._budget_paused = False
            ir.async_delete_issue(self._hass, DOMAIN, budget_issue_id(entry.entry_id))
            LOGGER.info("%s: searching resumed (new day or higher budget)", entry.title)
        return True

    async def _async_backend_search(self, sighting: Sighting) -> tuple[list[FaceMatch], int] | None:
        """Search the watchlists; a failure marks the backend's health and gives None.

        Per person (SearchUsersByImage) once every entry is a user on the backend; per face
        until then (entries from before users, not migrated yet, are found only that way).
        """
        data = self._entry.runtime_data
        collections = data.watchlists.collection_ids
        image = sighting.evidence.image
        try:
            by_user = data.watchlists.search_by_user
            if sighting.evidence.is_face_crop:
                if by_user:
                    matches = await data.client.search_users(
                        collections, image, threshold=data.match_threshold
                    )
                else:
                    matches = await data.client.search_face(
                        collections, image, threshold=data.match_threshold
                    )
                return matches, 1
            result = await data.client.search_frame(
                collections, image, threshold=data.match_threshold, by_user=by_user
            )
        except RecognitionError as err:
            self._async_search_failed(sighting, err)
            return None
        finally:
            data.usage.sync(data.client.calls, dt_util.now().date())
        data.health.mark_available()
        return result.matches, result.total_faces

    def _async_search_failed(self, sighting: Sighting, err: RecognitionError) -> None:
        """Refused keys stop searching until re-authentication; an outage marks the backend
        unavailable until it answers again; anything else costs only this sighting."""
        data = self._entry.runtime_data
        kind = kind_of(err)
        if kind is ErrorKind.AUTH:
            data.health.mark_auth_failed()
            async_auth_failed(self._hass, self._entry, err)
        elif kind is ErrorKind.TRANSIENT:
            data.health.mark_unavailable(str(err))
        elif kind is ErrorKind.INPUT:
            LOGGER.warning("Camera %s sent an unusable image: %s", sighting.camera, err)
        else:
            LOGGER.warning("Search failed for %s: %s", sighting.camera, err)

    def _cooldown_allows(self, person_key: str, cooldown_s: float) -> bool:
        """True if an alert for this person may fire now (and start its cooldown)."""
        now = time.monotonic()
        last = self._last_alert.get(person_key)
        if last is not None and now - last < cooldown_s:
            return False
        self._last_alert[person_key] = now
        return True

    async def _async_handle_matches(
        self, sighting: Sighting, matches: Sequence[FaceMatch]
    ) -> list[ResolvedMatch]:
        """Turn backend matches into incidents and events; returns those that alerted.

        Each category's alert rule decides whether a match is worth an alert (minimum
        similarity, cooldown per person), whether it falls in quiet hours, and whether follow-up
        actions must wait for staff to confirm. An incident already recorded under the
        sighting's dedup key is not recorded or announced again, so a replayed event after a
        restart is harmless. Only the matched face is kept (encrypted) as the incident's
        evidence; the rest of the image is dropped with the search.
        """
        data = self._entry.runtime_data
        alerted: list[ResolvedMatch] = []
        seen: set[str] = set()
        now = dt_util.utcnow()
        for match in matches:
            resolved = data.watchlists.resolve(match)
            person_key = match.external_image_id
            if resolved is None or person_key in seen:
                continue
            seen.add(person_key)
            # An entry's own threshold, raised by staff dismissing its matches, applies here.
            entry_threshold = resolved.person.dismissal_threshold if resolved.person else None
            if match.similarity < max(data.match_threshold, entry_threshold or 0.0):
                continue
            category = category_of(resolved)
            rule = data.rules[Category(category)]
            if match.similarity < rule.min_similarity:
                continue
            if not self._cooldown_allows(person_key, rule.cooldown_minutes * 60):
                continue
            incident = self._incident(sighting, resolved, category)
            try:
                recorded = await self._hass.async_add_executor_job(self.incidents.add, incident)
            except IncidentStoreError as err:
                LOGGER.error("Match not recorded as an incident: %s", err)
                recorded = True  # still alert: staff must know even if the record failed
            if not recorded:
                continue
            has_snapshot = await self._hass.async_add_executor_job(
                _save_evidence, self.snapshots, incident.incident_id, sighting.evidence, match
            )
            if not has_snapshot:
                await self._async_no_evidence(incident.incident_id)
            payload = self._event_data(resolved, incident, sighting, now) | {
                "snapshot_url": (
                    signed_snapshot_url(self._hass, SnapshotKind.INCIDENT, incident.incident_id)
                    if has_snapshot
                    else None
                ),
                "reference_url": (
                    signed_snapshot_url(self._hass, SnapshotKind.REFERENCE, person_key)
                    if resolved.person is not None
                    else None
                ),
                "needs_confirmation": rule.needs_confirmation,
                "quiet": rule.is_quiet(dt_util.now().time()),
            }
            self._hass.bus.async_fire(EVENT_MATCH, payload)
            async_dispatcher_send(
                self._hass, signal_match(self._entry.entry_id), EVENT_MATCH, payload
            )
            data.usage.record_latency(
                (dt_util.utcnow() - incident.occurred_at).total_seconds() * 1000
            )
            alerted.append(resolved)
        return alerted

    async def _async_no_evidence(self, incident_id: str) -> None:
        """No crop could be cut for the incident: it references none."""
        try:
            await self._hass.async_add_executor_job(self.incidents.clear_evidence, incident_id)
        except IncidentStoreError as err:
            LOGGER.error("Incident %s not updated: %s", incident_id, err)

    def _incident(self, sighting: Sighting, resolved: ResolvedMatch, category: str) -> Incident:
        person_key = resolved.match.external_image_id
        incident_id = str(uuid.uuid4())
        return Incident(
            incident_id=incident_id,
            dedup_key=(
                f"{sighting.dedup_key}:{person_key}" if sighting.dedup_key else str(uuid.uuid4())
            ),
            occurred_at=sighting.seen_at,
            store_id=self._entry.entry_id,
            store_name=self._entry.title,
            camera=sighting.camera,
            location=sighting.location,
            watchlist_id=resolved.watchlist.watchlist_id,
            watchlist=resolved.watchlist.name,
            category=category,
            person_id=person_key,
            similarity=round(resolved.match.similarity, 2),
            snapshot_ref=incident_id,  # the evidence crop is kept under the incident's id
        )

    def _event_data(
        self, resolved: ResolvedMatch, incident: Incident, sighting: Sighting, now: datetime
    ) -> dict[str, Any]:
        """The match event: identifiers only, never a name (the recorder keeps events)."""
        return {
            "incident_id": incident.incident_id,
            "person_id": incident.person_id,
            "face_id": resolved.match.face_id or None,  # None: matched as a person (user)
            "watchlist": incident.watchlist,
            "watchlist_id": incident.watchlist_id,
            "category": incident.category,
            "similarity": incident.similarity,
            "entity_id": sighting.entity_id,
            "camera": sighting.camera,
            "store": self._entry.title,
            "config_entry_id": self._entry.entry_id,
            "location": sighting.location,
            "known_here": resolved.person is not None,
            "time": now.isoformat(),
            "seen_at": incident.occurred_at.isoformat(),
        }

    # --- what the road left behind ------------------------------------------------------------

    async def async_forget_person(self, person: Person) -> None:
        """A removed entry takes its photos, incidents and their snapshots with it."""

        def forget() -> None:
            self.snapshots.delete(SnapshotKind.REFERENCE, person.person_id)
            for face_id in person.face_ids:
                forget_photo(self.snapshots, face_id)
            for incident in self.incidents.delete_person(person.person_id):
                self.snapshots.delete(SnapshotKind.INCIDENT, incident.incident_id)

        await self._hass.async_add_executor_job(forget)
        async_delete_review_issue(self._hass, person.person_id)


def forget_photo(store: SnapshotStore, face_id: str) -> None:
    """Delete the stored copy of one photo (blocking); a face id no file can have is skipped."""
    try:
        store.delete(SnapshotKind.PHOTO, face_id)
    except ValueError:
        LOGGER.debug("No stored photo for face %s", face_id)


def _save_evidence(
    store: SnapshotStore, incident_id: str, evidence: Evidence, match: FaceMatch
) -> bool:
    face = evidence.face_jpeg(match)
    if face is None:
        return False
    store.save(SnapshotKind.INCIDENT, incident_id, face)
    return True
