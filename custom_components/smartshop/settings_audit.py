"""The audit row of a change to a store's settings (options and compliance confirmations).

The names of the changed settings are always recorded; old and new values only for the settings
known to hold nothing personal (thresholds, retention, budgets, alert rules, confirmations).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.core import HomeAssistant

from .alert_rules import CONF_ALERT_RULES
from .audit import AuditAction
from .const import (
    CONF_AI_OPT_OUT,
    CONF_ALERT_COOLDOWN,
    CONF_ANONYMOUS_RETENTION_DAYS,
    CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS,
    CONF_CONFIRMED_RETENTION_DAYS,
    CONF_DAILY_BUDGET,
    CONF_DEFAULT_EXPIRY_DAYS,
    CONF_DPIA_DONE,
    CONF_EVIDENCE_RETENTION_DAYS,
    CONF_INCIDENT_RETENTION_DAYS,
    CONF_MATCH_THRESHOLD,
    CONF_MAX_EXPIRY_DAYS,
    CONF_MAX_FACES,
    CONF_PRESENCE_MINUTES,
    CONF_PRICE_PER_1000,
    CONF_REQUIRE_APPROVAL,
    CONF_SCAN_INTERVAL,
    CONF_SIGNAGE_UP,
)
from .database import async_audit

# Options flows carry no user; only administrators may open them.
ACTOR: Final = "administrator"
NON_PERSONAL: Final = frozenset(
    {
        CONF_MATCH_THRESHOLD,
        CONF_ALERT_COOLDOWN,
        CONF_DEFAULT_EXPIRY_DAYS,
        CONF_MAX_EXPIRY_DAYS,
        CONF_INCIDENT_RETENTION_DAYS,
        CONF_CONFIRMED_RETENTION_DAYS,
        CONF_EVIDENCE_RETENTION_DAYS,
        CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS,
        CONF_ANONYMOUS_RETENTION_DAYS,
        CONF_REQUIRE_APPROVAL,
        CONF_MAX_FACES,
        CONF_PRESENCE_MINUTES,
        CONF_PRICE_PER_1000,
        CONF_DAILY_BUDGET,
        CONF_SCAN_INTERVAL,
        CONF_DPIA_DONE,
        CONF_SIGNAGE_UP,
        CONF_AI_OPT_OUT,
        CONF_ALERT_RULES,
    }
)


def settings_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The audit details of a change: names, and old → new for non-personal settings."""
    changed = sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))
    return {
        "changed": changed,
        "values": {
            key: {"old": old.get(key), "new": new.get(key)}
            for key in changed
            if key in NON_PERSONAL
        },
    }


async def async_audit_settings(
    hass: HomeAssistant, store_id: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> bool:
    """Write the SETTINGS row if anything changed; True if it did."""
    details = settings_changes(old, new)
    if not details["changed"]:
        return False
    await async_audit(
        hass, None, AuditAction.SETTINGS, store_id=store_id, details=details, actor=ACTOR
    )
    return True
