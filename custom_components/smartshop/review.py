"""Staff review of a match: confirm or dismiss, who, when and why.

A dismissal ("Not them") teaches without keeping the innocent: the incident's evidence crop is
deleted at once, the incident is unlinked from the entry (the customer was not that person; it
keeps the fact, time, place, similarity and reviewer), and the entry's own threshold rises just
above the dismissed similarity. The threshold and the entry's count of dismissals are numbers
only; no image, crop or face template of the dismissed customer is kept for them.

Every review and every change of an entry's threshold is a row in the audit log.
"""

from __future__ import annotations

from enum import StrEnum
from functools import partial
import math
from typing import Any

from homeassistant.const import ATTR_DOMAIN, ATTR_NAME, EVENT_LOGBOOK_ENTRY
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .audit import AuditAction
from .const import (
    DISMISSALS_BEFORE_REVIEW,
    DOMAIN,
    ENTRY_THRESHOLD_STEP,
    EVENT_CONFIRMED,
    EVENT_DISMISSED,
    EVENT_ENTRY_THRESHOLD_CHANGED,
    ISSUE_REVIEW_ENTRY,
    LOGGER,
    MAX_ENTRY_THRESHOLD,
    signal_match,
)
from .data import SmartShopConfigEntry
from .database import async_audit
from .incidents import Incident, ReviewStatus
from .people import Person
from .snapshots import SnapshotKind


class ThresholdChange(StrEnum):
    """Why an entry's own threshold changed."""

    DISMISSAL = "dismissal"
    ENTRY_UPDATED = "entry_updated"


class AlreadyReviewedError(Exception):
    """Someone reviewed the incident first; their decision stands."""

    def __init__(self, incident: Incident) -> None:
        """Keep the incident as reviewed."""
        super().__init__(f"incident {incident.incident_id} is already {incident.review_status}")
        self.incident = incident


def review_issue_id(person_id: str) -> str:
    """The repair issue suggesting a review of an often-dismissed entry."""
    return f"{ISSUE_REVIEW_ENTRY}_{person_id}"


def threshold_after_dismissal(similarity: float) -> float:
    """The lowest threshold, in steps of 0.1, above a dismissed similarity (96.2 → 96.3)."""
    steps = math.floor(similarity / ENTRY_THRESHOLD_STEP + 1e-6) + 1
    return round(steps * ENTRY_THRESHOLD_STEP, 1)


def raised_threshold(
    current: float | None, similarity: float, store_threshold: float
) -> float | None:
    """The entry's threshold after a dismissal at ``similarity``: just above it, at most
    MAX_ENTRY_THRESHOLD, never lowered, and never at or below the store's own (which decides
    then). None while the store's threshold suffices."""
    raised = min(threshold_after_dismissal(similarity), MAX_ENTRY_THRESHOLD)
    if current is not None and raised <= current:
        return current
    if raised <= store_threshold:
        return current
    return raised


@callback
def async_delete_review_issue(
    hass: HomeAssistant, person_id: str, *, user_id: str | None = None
) -> None:
    """The entry was removed or changed by staff: its review suggestion is settled, and so is
    the threshold its dismissals raised (the store's applies again)."""
    ir.async_delete_issue(hass, DOMAIN, review_issue_id(person_id))
    entry: SmartShopConfigEntry
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        store = entry.runtime_data.watchlists.store
        person = store.get(person_id)
        if person is None or person.dismissal_threshold is None:
            continue
        async_set_entry_threshold(
            hass, entry, person, None, cause=ThresholdChange.ENTRY_UPDATED, user_id=user_id
        )
        entry.async_create_task(hass, store.async_save(), f"{DOMAIN} save entry threshold")


@callback
def async_set_entry_threshold(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    person: Person,
    threshold: float | None,
    *,
    cause: ThresholdChange,
    user_id: str | None = None,
    incident_id: str | None = None,
) -> None:
    """Change an entry's own threshold (the caller saves the people store) and record it: an
    event, a logbook line and a log line, with the entry's UUID and never a name."""
    old = person.dismissal_threshold
    if threshold == old:
        return
    person.dismissal_threshold = threshold
    store_threshold = entry.runtime_data.match_threshold
    context = Context(user_id=user_id)
    hass.bus.async_fire(
        EVENT_ENTRY_THRESHOLD_CHANGED,
        {
            "person_id": person.person_id,
            "watchlist_id": person.watchlist_id,
            "old_threshold": old,
            "new_threshold": threshold,
            "store_threshold": store_threshold,
            "cause": str(cause),
            "incident_id": incident_id,
            "user_id": user_id,
            "config_entry_id": entry.entry_id,
        },
        context=context,
    )
    before = f"{old}" if old is not None else f"the store's {store_threshold}"
    after = f"{threshold}" if threshold is not None else f"the store's {store_threshold}"
    why = "a dismissed match" if cause is ThresholdChange.DISMISSAL else "an update of the entry"
    message = (
        f"match threshold of watchlist entry {person.person_id}: {before} → {after} after {why}"
    )
    hass.bus.async_fire(
        EVENT_LOGBOOK_ENTRY,
        {ATTR_NAME: entry.title, "message": message, ATTR_DOMAIN: DOMAIN},
        context=context,
    )
    LOGGER.info("%s: %s", entry.title, message)
    entry.async_create_task(
        hass,
        async_audit(
            hass,
            context,
            AuditAction.THRESHOLD,
            store_id=entry.entry_id,
            subject=person.person_id,
            details={"old_threshold": old, "new_threshold": threshold, "cause": str(cause)},
        ),
        f"{DOMAIN} audit entry threshold",
    )


async def async_review(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    incident: Incident,
    status: ReviewStatus,
    *,
    reviewer: str,
    reason: str,
    user_id: str | None = None,
    context: Context | None = None,
) -> Incident:
    """Record the decision, announce it, and flag entries staff keep dismissing.

    A dismissal deletes the incident's evidence crop at once, unlinks the incident from the
    entry and raises the entry's own threshold above the dismissed similarity (``user_id``: the
    reviewer's Home Assistant user; ``context``: the call's, for the audit row). ``incident`` is
    the incident as it was before the review.
    """
    data = entry.runtime_data
    changed, reviewed = await hass.async_add_executor_job(
        partial(
            data.incidents.review,
            incident.incident_id,
            status,
            by=reviewer,
            reason=reason,
            at=dt_util.utcnow(),
        )
    )
    assert reviewed is not None
    if not changed:
        raise AlreadyReviewedError(reviewed)
    event_type = EVENT_CONFIRMED if status is ReviewStatus.CONFIRMED else EVENT_DISMISSED
    await async_audit(
        hass,
        context or Context(user_id=user_id),
        AuditAction.REVIEW,
        store_id=entry.entry_id,
        subject=reviewed.incident_id,
        details={
            "incident_id": reviewed.incident_id,
            "outcome": str(status),
            "reviewer": reviewer,
        },
    )
    payload: dict[str, Any] = {
        "incident_id": reviewed.incident_id,
        # The entry the alert was about (a dismissed incident itself no longer names it).
        "person_id": incident.person_id,
        "category": reviewed.category,
        "watchlist": reviewed.watchlist,
        "camera": reviewed.camera,
        "location": reviewed.location,
        "store": reviewed.store_name,
        "config_entry_id": entry.entry_id,
        "similarity": reviewed.similarity,
        "reviewer": reviewer,
        "reason": reason,
        "time": dt_util.utcnow().isoformat(),
    }
    hass.bus.async_fire(event_type, payload)
    async_dispatcher_send(hass, signal_match(entry.entry_id), event_type, payload)
    if status is ReviewStatus.DISMISSED:
        await hass.async_add_executor_job(
            data.snapshots.delete, SnapshotKind.INCIDENT, reviewed.incident_id
        )
        await _async_raise_threshold(hass, entry, incident, user_id)
        await _async_flag_often_dismissed(hass, entry, incident)
    return reviewed


async def _async_raise_threshold(
    hass: HomeAssistant, entry: SmartShopConfigEntry, incident: Incident, user_id: str | None
) -> None:
    """The dismissed customer, seen again at the same similarity, does not alert again."""
    store = entry.runtime_data.watchlists.store
    person = store.get(incident.person_id)
    if person is None or incident.similarity is None:
        # A face enrolled by another store sharing the watchlist (its store decides), or an
        # incident anonymised before anyone reviewed it.
        return
    threshold = raised_threshold(
        person.dismissal_threshold, incident.similarity, entry.runtime_data.match_threshold
    )
    if threshold == person.dismissal_threshold:
        return
    async_set_entry_threshold(
        hass,
        entry,
        person,
        threshold,
        cause=ThresholdChange.DISMISSAL,
        user_id=user_id,
        incident_id=incident.incident_id,
    )
    await store.async_save()


async def _async_flag_often_dismissed(
    hass: HomeAssistant, entry: SmartShopConfigEntry, incident: Incident
) -> None:
    """Count the entry's dismissals; from DISMISSALS_BEFORE_REVIEW on, suggest reviewing it."""
    store = entry.runtime_data.watchlists.store
    person = store.get(incident.person_id)
    if person is None:
        return  # a face enrolled by another store sharing the watchlist: its store decides
    person.dismissals += 1
    await store.async_save()
    if person.dismissals < DISMISSALS_BEFORE_REVIEW:
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        review_issue_id(incident.person_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_REVIEW_ENTRY,
        translation_placeholders={
            "person_id": incident.person_id,
            "watchlist": incident.watchlist,
            "reference": person.incident_reference,
            "count": str(person.dismissals),
        },
    )
