"""Options flow of a store: matching, alerting, retention, polling, compliance and alert rules."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any, Final

from homeassistant.config_entries import (
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.helpers import selector
import probatio

from .alert_rules import CONF_ALERT_RULES, AlertRule, rules_from_options
from .const import (
    CONF_ALERT_COOLDOWN,
    CONF_ANONYMOUS_RETENTION_DAYS,
    CONF_BACKEND,
    CONF_CATEGORY,
    CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS,
    CONF_CONFIRMED_RETENTION_DAYS,
    CONF_CONSOLE_FOR_STAFF,
    CONF_DAILY_BUDGET,
    CONF_DEFAULT_EXPIRY_DAYS,
    CONF_EVIDENCE_RETENTION_DAYS,
    CONF_INCIDENT_RETENTION_DAYS,
    CONF_MATCH_THRESHOLD,
    CONF_MAX_EXPIRY_DAYS,
    CONF_MAX_FACES,
    CONF_PRESENCE_MINUTES,
    CONF_PRICE_PER_1000,
    CONF_REQUIRE_APPROVAL,
    CONF_SCAN_INTERVAL,
    DEFAULT_ALERT_COOLDOWN_MINUTES,
    DEFAULT_MATCH_THRESHOLD,
    SUBENTRY_CAMERA,
    Backend,
    Category,
)
from .cost import polling_cost_per_day, polling_scans_per_day
from .flow_schemas import (
    MINUTES,
    SIMILARITY,
    category_selector,
    compliance_schema,
    days_box,
    number_box,
)
from .retention import policy_from_options

CONF_MIN_SIMILARITY: Final = "min_similarity"
CONF_NEEDS_CONFIRMATION: Final = "needs_confirmation"
CONF_QUIET_START: Final = "quiet_start"
CONF_QUIET_END: Final = "quiet_end"
MIN_SCAN_INTERVAL: Final = 10
# Optional in the form: left empty, the default applies (see retention.py).
OPTIONAL_RETENTION: Final = (
    CONF_EVIDENCE_RETENTION_DAYS,
    CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS,
    CONF_ANONYMOUS_RETENTION_DAYS,
)


class SmartShopOptionsFlow(OptionsFlow):
    """Matching, alerting, retention, polling and compliance settings of a store."""

    def __init__(self) -> None:
        """Nothing pending yet."""
        self._pending: dict[str, Any] = {}
        self._category = Category.THEFT

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Store settings, or the alert rule of one watchlist category."""
        return self.async_show_menu(step_id="init", menu_options=["settings", "alert_rules"])

    async def async_step_alert_rules(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the category whose alert rule to change."""
        if user_input is not None:
            self._category = Category(user_input[CONF_CATEGORY])
            return await self.async_step_alert_rule()
        return self.async_show_form(
            step_id="alert_rules",
            data_schema=probatio.Schema({probatio.Required(CONF_CATEGORY): category_selector()}),
        )

    async def async_step_alert_rule(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Minimum similarity, cooldown, quiet hours and confirmation for one category."""
        options = self.config_entry.options
        threshold = float(options.get(CONF_MATCH_THRESHOLD, DEFAULT_MATCH_THRESHOLD))
        rules = rules_from_options(
            options,
            threshold=threshold,
            cooldown_minutes=float(
                options.get(CONF_ALERT_COOLDOWN, DEFAULT_ALERT_COOLDOWN_MINUTES)
            ),
        )
        current = rules[self._category]
        errors: dict[str, str] = {}
        if user_input is not None:
            start, end = user_input.get(CONF_QUIET_START), user_input.get(CONF_QUIET_END)
            if float(user_input[CONF_MIN_SIMILARITY]) < threshold:
                errors[CONF_MIN_SIMILARITY] = "below_store_threshold"
            elif bool(start) != bool(end):
                errors["base"] = "quiet_hours_incomplete"
            else:
                rule = AlertRule(
                    min_similarity=float(user_input[CONF_MIN_SIMILARITY]),
                    cooldown_minutes=float(user_input[CONF_ALERT_COOLDOWN]),
                    needs_confirmation=bool(user_input[CONF_NEEDS_CONFIRMATION]),
                    quiet_start=time.fromisoformat(start) if start else None,
                    quiet_end=time.fromisoformat(end) if end else None,
                )
                stored = dict(options.get(CONF_ALERT_RULES) or {})
                stored[self._category.value] = rule.as_options()
                return self.async_create_entry(data=dict(options) | {CONF_ALERT_RULES: stored})
        defaults = current.as_options()
        schema = probatio.Schema(
            {
                probatio.Required(CONF_MIN_SIMILARITY): SIMILARITY,
                probatio.Required(CONF_ALERT_COOLDOWN): MINUTES,
                probatio.Required(CONF_NEEDS_CONFIRMATION): bool,
                probatio.Optional(CONF_QUIET_START): selector.TimeSelector(),
                probatio.Optional(CONF_QUIET_END): selector.TimeSelector(),
            }
        )
        suggested = {
            CONF_MIN_SIMILARITY: defaults["min_similarity"],
            CONF_ALERT_COOLDOWN: defaults["cooldown_minutes"],
            CONF_NEEDS_CONFIRMATION: defaults["needs_confirmation"],
            CONF_QUIET_START: defaults["quiet_start"],
            CONF_QUIET_END: defaults["quiet_end"],
        }
        return self.async_show_form(
            step_id="alert_rule",
            data_schema=self.add_suggested_values_to_schema(
                schema, {k: v for k, v in (user_input or suggested).items() if v is not None}
            ),
            errors=errors,
            description_placeholders={"category": self._category.value},
        )

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One form with every store setting."""
        errors: dict[str, str] = {}
        options = self.config_entry.options
        backend = Backend(self.config_entry.data[CONF_BACKEND])
        if user_input is not None:
            cleaned = _numbers(user_input)
            interval = cleaned[CONF_SCAN_INTERVAL]
            if cleaned[CONF_DEFAULT_EXPIRY_DAYS] > cleaned[CONF_MAX_EXPIRY_DAYS]:
                errors[CONF_DEFAULT_EXPIRY_DAYS] = "expiry_above_maximum"
            elif retention_errors := _retention_errors(cleaned):
                errors.update(retention_errors)
            elif 0 < interval < MIN_SCAN_INTERVAL:
                errors[CONF_SCAN_INTERVAL] = "interval_too_short"
            else:
                self._pending = {
                    key: value
                    for key, value in options.items()
                    if key not in OPTIONAL_RETENTION  # left empty: the default applies
                } | cleaned
                if interval > 0 and interval != options.get(CONF_SCAN_INTERVAL, 0):
                    return await self.async_step_confirm_cost()
                return self.async_create_entry(data=self._pending)
        schema = probatio.Schema(
            {
                probatio.Required(CONF_MATCH_THRESHOLD): SIMILARITY,
                probatio.Required(CONF_ALERT_COOLDOWN): MINUTES,
                probatio.Required(CONF_DEFAULT_EXPIRY_DAYS): days_box(1095),
                probatio.Required(CONF_MAX_EXPIRY_DAYS): days_box(1095),
                probatio.Required(CONF_INCIDENT_RETENTION_DAYS): days_box(365),
                probatio.Required(CONF_CONFIRMED_RETENTION_DAYS): days_box(2190),
                probatio.Optional(CONF_EVIDENCE_RETENTION_DAYS): days_box(365),
                probatio.Optional(CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS): days_box(2190),
                probatio.Optional(CONF_ANONYMOUS_RETENTION_DAYS): days_box(3650),
                probatio.Optional(
                    CONF_REQUIRE_APPROVAL, default=bool(options.get(CONF_REQUIRE_APPROVAL, False))
                ): bool,
                probatio.Optional(
                    CONF_CONSOLE_FOR_STAFF,
                    default=bool(options.get(CONF_CONSOLE_FOR_STAFF, False)),
                ): bool,
                probatio.Required(CONF_MAX_FACES): number_box(1, 20),
                probatio.Required(CONF_PRESENCE_MINUTES): number_box(1, 1440, unit="min"),
                probatio.Required(CONF_DAILY_BUDGET): number_box(0, 1_000_000),
                probatio.Required(CONF_PRICE_PER_1000): number_box(0, 100, step=0.01, unit="USD"),
                probatio.Required(CONF_SCAN_INTERVAL): number_box(0, 86400, unit="s"),
                **compliance_schema(backend, options).schema,
            }
        )
        return self.async_show_form(
            step_id="settings",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or _retention_shown(options) | dict(options)
            ),
            errors=errors,
        )

    async def async_step_confirm_cost(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show what polling every camera costs per day before turning it on."""
        if user_input is not None:
            return self.async_create_entry(data=self._pending)
        cameras = sum(
            1
            for sub in self.config_entry.subentries.values()
            if sub.subentry_type == SUBENTRY_CAMERA
        )
        scans = polling_scans_per_day(self._pending[CONF_SCAN_INTERVAL], max(cameras, 1))
        return self.async_show_form(
            step_id="confirm_cost",
            data_schema=probatio.Schema({}),
            description_placeholders={
                "interval": str(self._pending[CONF_SCAN_INTERVAL]),
                "cameras": str(max(cameras, 1)),
                "scans": f"{scans:,}",
                "cost": f"{polling_cost_per_day(scans):.2f}",
            },
        )


def _retention_shown(options: Mapping[str, Any]) -> dict[str, Any]:
    """The retention in effect, shown in the form for the options never set."""
    policy = policy_from_options(options)
    return {
        CONF_EVIDENCE_RETENTION_DAYS: policy.evidence_unconfirmed,
        CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS: policy.evidence_confirmed,
        CONF_ANONYMOUS_RETENTION_DAYS: policy.anonymous_rows,
    }


def _retention_errors(options: Mapping[str, Any]) -> dict[str, str]:
    """Evidence may not outlive the link to the person, nor the link the anonymous row."""
    errors: dict[str, str] = {}
    for evidence, link in (
        (CONF_EVIDENCE_RETENTION_DAYS, CONF_INCIDENT_RETENTION_DAYS),
        (CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS, CONF_CONFIRMED_RETENTION_DAYS),
    ):
        if evidence in options and options[evidence] > options[link]:
            errors[evidence] = "evidence_outlives_link"
    rows = options.get(CONF_ANONYMOUS_RETENTION_DAYS)
    if rows is not None and rows < max(
        options[CONF_INCIDENT_RETENTION_DAYS], options[CONF_CONFIRMED_RETENTION_DAYS]
    ):
        errors[CONF_ANONYMOUS_RETENTION_DAYS] = "link_outlives_row"
    return errors


def _numbers(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Number selectors return floats; whole-number settings are stored as int."""
    cleaned = dict(user_input)
    for key in (
        CONF_ALERT_COOLDOWN,
        CONF_DEFAULT_EXPIRY_DAYS,
        CONF_MAX_EXPIRY_DAYS,
        CONF_INCIDENT_RETENTION_DAYS,
        CONF_CONFIRMED_RETENTION_DAYS,
        CONF_MAX_FACES,
        CONF_SCAN_INTERVAL,
        CONF_DAILY_BUDGET,
        CONF_PRESENCE_MINUTES,
    ):
        cleaned[key] = int(cleaned[key])
    for key in OPTIONAL_RETENTION:
        if key in cleaned:
            cleaned[key] = int(cleaned[key])
    cleaned[CONF_MATCH_THRESHOLD] = float(cleaned[CONF_MATCH_THRESHOLD])
    cleaned[CONF_PRICE_PER_1000] = float(cleaned[CONF_PRICE_PER_1000])
    return cleaned
