"""The privacy purge: each kind of incident data kept only as long as the owner set.

Evidence crops go first, then the link to the person (the incident is anonymised), and the
anonymous row, kept for trends, last. An option the owner never set takes its default, but never
outlives what they did set: evidence is not kept longer than the link it belongs to, and the
anonymous row is kept at least as long as the link (an owner who kept confirmed incidents for six
years still has them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .audit import AuditAction
from .const import (
    CONF_ANONYMOUS_RETENTION_DAYS,
    CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS,
    CONF_CONFIRMED_RETENTION_DAYS,
    CONF_EVIDENCE_RETENTION_DAYS,
    CONF_INCIDENT_RETENTION_DAYS,
    DEFAULT_ANONYMOUS_RETENTION_DAYS,
    DEFAULT_CONFIRMED_EVIDENCE_RETENTION_DAYS,
    DEFAULT_CONFIRMED_RETENTION_DAYS,
    DEFAULT_EVIDENCE_RETENTION_DAYS,
    DEFAULT_INCIDENT_RETENTION_DAYS,
    LOGGER,
    signal_purge,
)
from .data import PurgeReport, SmartShopConfigEntry
from .database import async_audit
from .incidents import IncidentStoreError, RetentionPolicy
from .snapshots import SnapshotKind, SnapshotStore


def policy_from_options(options: Mapping[str, Any]) -> RetentionPolicy:
    """The store's retention in days per kind of data (see the module's rules)."""

    def days(key: str, default: int) -> int:
        return int(options.get(key, default))

    link_unconfirmed = days(CONF_INCIDENT_RETENTION_DAYS, DEFAULT_INCIDENT_RETENTION_DAYS)
    link_confirmed = days(CONF_CONFIRMED_RETENTION_DAYS, DEFAULT_CONFIRMED_RETENTION_DAYS)
    return RetentionPolicy(
        evidence_unconfirmed=min(
            days(CONF_EVIDENCE_RETENTION_DAYS, DEFAULT_EVIDENCE_RETENTION_DAYS), link_unconfirmed
        ),
        evidence_confirmed=min(
            days(CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS, DEFAULT_CONFIRMED_EVIDENCE_RETENTION_DAYS),
            link_confirmed,
        ),
        link_unconfirmed=link_unconfirmed,
        link_confirmed=link_confirmed,
        anonymous_rows=days(
            CONF_ANONYMOUS_RETENTION_DAYS,
            max(DEFAULT_ANONYMOUS_RETENTION_DAYS, link_unconfirmed, link_confirmed),
        ),
    )


def _delete_evidence(snapshots: SnapshotStore, ids: tuple[str, ...]) -> None:
    for ident in ids:
        try:
            snapshots.delete(SnapshotKind.INCIDENT, ident)
        except ValueError:
            LOGGER.debug("No evidence file can have the id %s", ident)


async def async_privacy_purge(
    hass: HomeAssistant, entry: SmartShopConfigEntry, now: datetime
) -> PurgeReport | None:
    """Apply the store's retention now: the database first, then the crops it no longer
    references; audited with the counts and announced to the purge sensor. None when the
    database cannot be used (the next purge tries again)."""
    data = entry.runtime_data
    try:
        result = await hass.async_add_executor_job(
            partial(
                data.incidents.apply_retention,
                now=now,
                policy=policy_from_options(entry.options),
                store_id=entry.entry_id,
            )
        )
    except IncidentStoreError as err:
        LOGGER.warning("Privacy purge of %s not done (will retry): %s", entry.title, err)
        return None
    await hass.async_add_executor_job(_delete_evidence, data.snapshots, result.evidence_ids)
    counts = result.counts()
    try:
        await async_audit(hass, None, AuditAction.PURGE, store_id=entry.entry_id, details=counts)
    except IncidentStoreError as err:
        LOGGER.warning("Privacy purge of %s done but not audited: %s", entry.title, err)
    data.last_purge = PurgeReport(at=now, counts=counts)
    async_dispatcher_send(hass, signal_purge(entry.entry_id))
    return data.last_purge
