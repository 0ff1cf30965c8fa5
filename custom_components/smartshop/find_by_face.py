"""Find what SmartShop holds about someone from a photo of their face (a subject-access request
from a person who does not know their entry's id).

Every watchlist of every loaded store on this Home Assistant is searched with the photo, per
person where the store searches by user, at a deliberately low threshold: the answer is a list of
*candidates for a person to check*, never a match. For each candidate the incidents held about
them are counted. Incident evidence crops still held are searched too: on AWS each crop is
compared with the photo (CompareFaces), which also finds incidents recorded about someone else
in which the requester was the one seen; an engine without CompareFaces (the SmartShop engine)
has only the incidents of the candidates searched, and the answer says so
(``evidence_search: "by candidate"``).

The photo is used in memory only: never written to disk, logged or sent in an event. Each search
is one FIND_BY_FACE row of the audit log (stores searched, counts, threshold).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.core import Context, HomeAssistant

from .audit import AuditAction
from .data import SmartShopConfigEntry
from .database import async_audit
from .incidents import Incident
from .person_lookup import loaded_stores
from .recognition import FaceMatch, RecognitionError
from .snapshots import SnapshotKind

DEFAULT_THRESHOLD: Final = 70.0
NOTE: Final = "Candidates for a person to check, not matches"
# At most this many people (or faces) per collection come back from one search.
MAX_CANDIDATES_PER_COLLECTION: Final = 20
# At most this many incidents of one store are looked at (newest first).
MAX_INCIDENTS_PER_STORE: Final = 10_000
EVIDENCE_COMPARED: Final = "compared"
EVIDENCE_BY_CANDIDATE: Final = "by candidate"


@dataclass(frozen=True, slots=True)
class _Candidate:
    entry: SmartShopConfigEntry
    match: FaceMatch


async def _async_search_store(
    entry: SmartShopConfigEntry, image: bytes, threshold: float
) -> list[FaceMatch]:
    """Search one store's watchlists: per person when it searches by user, else per face."""
    manager = entry.runtime_data.watchlists
    collections = manager.collection_ids
    if not collections:
        return []
    client = entry.runtime_data.client
    if manager.search_by_user:
        return await client.search_users(
            collections, image, threshold=threshold, max_users=MAX_CANDIDATES_PER_COLLECTION
        )
    return await client.search_face(
        collections, image, threshold=threshold, max_matches=MAX_CANDIDATES_PER_COLLECTION
    )


def _incidents_of_store(entry: SmartShopConfigEntry) -> list[Incident]:
    return entry.runtime_data.incidents.query(
        store_id=entry.entry_id, limit=MAX_INCIDENTS_PER_STORE
    )


def _held_crops(
    entry: SmartShopConfigEntry, incidents: list[Incident]
) -> list[tuple[Incident, bytes]]:
    """The evidence crops still held for these incidents (blocking)."""
    held = []
    for incident in incidents:
        crop = entry.runtime_data.snapshots.load(SnapshotKind.INCIDENT, incident.incident_id)
        if crop is not None:
            held.append((incident, crop))
    return held


def _candidate_view(
    candidate: _Candidate, incident_counts: dict[str, int]
) -> dict[str, Any] | None:
    """What staff see about one candidate; None for a face no store here knows."""
    entry, match = candidate.entry, candidate.match
    resolved = entry.runtime_data.watchlists.resolve(match)
    if resolved is None or resolved.person is None:
        return None
    person = resolved.person
    return {
        "store": entry.title,
        "config_entry_id": entry.entry_id,
        "watchlist": resolved.watchlist.name,
        "person_id": person.person_id,
        "name": person.display_name,
        "category": str(person.category),
        "similarity": round(match.similarity, 1),
        "added_at": person.added_at.isoformat(),
        "expires_at": person.expires_at.isoformat(),
        "photos": len(person.face_ids),
        "incidents": incident_counts.get(person.person_id, 0),
    }


def _evidence_view(
    entry: SmartShopConfigEntry, incident: Incident, similarity: float | None
) -> dict[str, Any]:
    return {
        "store": entry.title,
        "incident_id": incident.incident_id,
        "occurred_at": incident.occurred_at.isoformat(),
        "person_id": incident.person_id,
        "watchlist": incident.watchlist,
        "review_status": str(incident.review_status),
        "similarity": None if similarity is None else round(similarity, 1),
    }


async def async_find_by_face(
    hass: HomeAssistant,
    image: bytes,
    *,
    threshold: float,
    context: Context,
    stores: Iterable[SmartShopConfigEntry] | None = None,
) -> dict[str, Any]:
    """Search the stores (every loaded one when None) for the face in ``image``; the action's
    response."""
    searched: list[SmartShopConfigEntry] = []
    failed: list[str] = []
    skipped: list[str] = []
    candidates: dict[str, _Candidate] = {}
    for entry in loaded_stores(hass) if stores is None else stores:
        if not entry.runtime_data.can_search:
            skipped.append(entry.title)  # recognition is off: no face is processed for it
            continue
        try:
            matches = await _async_search_store(entry, image, threshold)
        except RecognitionError:
            failed.append(entry.title)
            continue
        searched.append(entry)
        for match in matches:
            resolved = entry.runtime_data.watchlists.resolve(match)
            if resolved is None or resolved.person is None:
                continue  # another store's face in a shared collection: found through that store
            key = resolved.person.person_id
            known = candidates.get(key)
            if known is None or known.match.similarity < match.similarity:
                candidates[key] = _Candidate(entry, match)

    incident_counts: dict[str, int] = {}
    evidence: list[dict[str, Any]] = []
    modes: set[str] = set()
    for entry in searched:
        incidents = await hass.async_add_executor_job(_incidents_of_store, entry)
        for incident in incidents:
            incident_counts[incident.person_id] = incident_counts.get(incident.person_id, 0) + 1
        if entry.runtime_data.client.config.is_aws:
            modes.add(EVIDENCE_COMPARED)
            held = await hass.async_add_executor_job(_held_crops, entry, incidents)
            try:
                similarities = await entry.runtime_data.client.compare_faces(
                    image, [crop for _, crop in held], threshold=threshold
                )
            except RecognitionError:
                failed.append(entry.title)
                continue
            evidence.extend(
                _evidence_view(entry, incident, similarity)
                for (incident, _), similarity in zip(held, similarities, strict=True)
                if similarity is not None
            )
        else:
            modes.add(EVIDENCE_BY_CANDIDATE)
            of_candidates = [i for i in incidents if i.person_id in candidates]
            held = await hass.async_add_executor_job(_held_crops, entry, of_candidates)
            evidence.extend(_evidence_view(entry, incident, None) for incident, _ in held)

    views = [
        view
        for candidate in candidates.values()
        if (view := _candidate_view(candidate, incident_counts)) is not None
    ]
    views.sort(key=lambda view: view["similarity"], reverse=True)
    evidence_search = None
    if modes:
        evidence_search = (
            EVIDENCE_BY_CANDIDATE if EVIDENCE_BY_CANDIDATE in modes else EVIDENCE_COMPARED
        )
    await async_audit(
        hass,
        context,
        AuditAction.FIND_BY_FACE,
        details={
            "stores_searched": [entry.entry_id for entry in searched],
            "candidates": len(views),
            "evidence": len(evidence),
            "threshold": threshold,
        },
    )
    return {
        "note": NOTE,
        "threshold": threshold,
        "candidates": views,
        "evidence": evidence,
        "evidence_search": evidence_search,
        "stores_searched": [entry.title for entry in searched],
        "stores_failed": failed,
        "stores_skipped": skipped,
    }
