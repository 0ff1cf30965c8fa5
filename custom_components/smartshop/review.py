"""Staff review of a match: confirm or dismiss, who, when and why."""

from __future__ import annotations

from functools import partial
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .const import (
    DISMISSALS_BEFORE_REVIEW,
    DOMAIN,
    EVENT_CONFIRMED,
    EVENT_DISMISSED,
    ISSUE_REVIEW_ENTRY,
    signal_match,
)
from .data import SmartShopConfigEntry
from .incidents import Incident, ReviewStatus


class AlreadyReviewedError(Exception):
    """Someone reviewed the incident first; their decision stands."""

    def __init__(self, incident: Incident) -> None:
        """Keep the incident as reviewed."""
        super().__init__(f"incident {incident.incident_id} is already {incident.review_status}")
        self.incident = incident


def review_issue_id(person_id: str) -> str:
    """The repair issue suggesting a review of an often-dismissed entry."""
    return f"{ISSUE_REVIEW_ENTRY}_{person_id}"


def async_delete_review_issue(hass: HomeAssistant, person_id: str) -> None:
    """The entry was removed or changed: its review suggestion is settled."""
    ir.async_delete_issue(hass, DOMAIN, review_issue_id(person_id))


async def async_review(
    hass: HomeAssistant,
    entry: SmartShopConfigEntry,
    incident: Incident,
    status: ReviewStatus,
    *,
    reviewer: str,
    reason: str,
) -> Incident:
    """Record the decision, announce it, and flag entries staff keep dismissing."""
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
    payload: dict[str, Any] = {
        "incident_id": reviewed.incident_id,
        "person_id": reviewed.person_id,
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
        await _async_flag_often_dismissed(hass, entry, reviewed)
    return reviewed


async def _async_flag_often_dismissed(
    hass: HomeAssistant, entry: SmartShopConfigEntry, incident: Incident
) -> None:
    dismissed = await hass.async_add_executor_job(
        partial(
            entry.runtime_data.incidents.query,
            person_id=incident.person_id,
            status=ReviewStatus.DISMISSED,
            limit=DISMISSALS_BEFORE_REVIEW,
        )
    )
    if len(dismissed) < DISMISSALS_BEFORE_REVIEW:
        return
    person = entry.runtime_data.watchlists.store.get(incident.person_id)
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
            "reference": person.incident_reference if person else "-",
            "count": str(len(dismissed)),
        },
    )
