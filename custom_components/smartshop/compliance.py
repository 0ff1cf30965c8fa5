"""The owner's compliance confirmations that gate recognition (UK GDPR)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import (
    CONF_AI_OPT_OUT,
    CONF_BACKEND,
    CONF_DPIA_DONE,
    CONF_SIGNAGE_UP,
    DOMAIN,
    ISSUE_RECOGNITION_DISABLED,
    Backend,
)


def required_confirmations(backend: Backend) -> tuple[str, ...]:
    """What the owner must confirm before recognition may run on this backend."""
    base = (CONF_DPIA_DONE, CONF_SIGNAGE_UP)
    return (*base, CONF_AI_OPT_OUT) if backend is Backend.AWS else base


def missing_confirmations(data: Mapping[str, Any], options: Mapping[str, Any]) -> list[str]:
    """Confirmations still missing for a config entry."""
    backend = Backend(data[CONF_BACKEND])
    return [key for key in required_confirmations(backend) if not options.get(key, False)]


def issue_id(entry_id: str) -> str:
    """The repair issue of one store."""
    return f"{ISSUE_RECOGNITION_DISABLED}_{entry_id}"


def async_sync_issue(hass: HomeAssistant, entry_id: str, title: str, missing: list[str]) -> None:
    """Raise or clear the repair issue that says why recognition is off."""
    if not missing:
        ir.async_delete_issue(hass, DOMAIN, issue_id(entry_id))
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(entry_id),
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_RECOGNITION_DISABLED,
        translation_placeholders={"store": title, "missing": ", ".join(missing)},
        data={"entry_id": entry_id},
    )
