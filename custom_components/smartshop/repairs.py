"""Repair flows: let the owner give the missing compliance confirmations."""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.core import HomeAssistant
import probatio

from .compliance import missing_confirmations, required_confirmations
from .const import CONF_BACKEND, Backend


class RecognitionDisabledRepairFlow(RepairsFlow):
    """Ask for the confirmations that keep recognition off; turn it on once all are given."""

    def __init__(self, entry_id: str) -> None:
        """Remember which store the issue is about."""
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Go straight to the confirmation form."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Show each confirmation; all must be ticked."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="store_removed")
        backend = Backend(entry.data[CONF_BACKEND])
        errors: dict[str, str] = {}
        if user_input is not None:
            options = dict(entry.options) | user_input
            if missing_confirmations(entry.data, options):
                errors["base"] = "all_required"
            else:
                self.hass.config_entries.async_update_entry(entry, options=options)
                return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            data_schema=probatio.Schema(
                {
                    probatio.Required(key, default=bool(entry.options.get(key, False))): bool
                    for key in required_confirmations(backend)
                }
            ),
            errors=errors,
            description_placeholders={"store": entry.title},
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the flow that fixes a SmartShop issue."""
    assert data is not None
    return RecognitionDisabledRepairFlow(str(data["entry_id"]))
