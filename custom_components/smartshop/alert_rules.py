"""Alert rules per watchlist category: who is worth an alert, how often, when, and whether
follow-up actions must wait for a person to confirm."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import time
from typing import Any, Final

from .const import Category

CONF_ALERT_RULES: Final = "alert_rules"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRule:
    """The rule for one category."""

    min_similarity: float
    cooldown_minutes: float
    needs_confirmation: bool = True
    quiet_start: time | None = None
    quiet_end: time | None = None

    def is_quiet(self, now: time) -> bool:
        """True inside the quiet hours (which may span midnight)."""
        if self.quiet_start is None or self.quiet_end is None or self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= now < self.quiet_end
        return now >= self.quiet_start or now < self.quiet_end

    def as_options(self) -> dict[str, Any]:
        """The form stored in config entry options."""
        data = asdict(self)
        for key in ("quiet_start", "quiet_end"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def rules_from_options(
    options: Mapping[str, Any], *, threshold: float, cooldown_minutes: float
) -> dict[Category, AlertRule]:
    """Every category's rule; categories without one follow the store's threshold and cooldown."""
    stored: Mapping[str, Mapping[str, Any]] = options.get(CONF_ALERT_RULES) or {}
    rules: dict[Category, AlertRule] = {}
    for category in Category:
        raw = stored.get(category.value)
        if raw is None:
            rules[category] = AlertRule(min_similarity=threshold, cooldown_minutes=cooldown_minutes)
            continue
        rules[category] = AlertRule(
            min_similarity=max(float(raw["min_similarity"]), threshold),
            cooldown_minutes=float(raw["cooldown_minutes"]),
            needs_confirmation=bool(raw.get("needs_confirmation", True)),
            quiet_start=time.fromisoformat(raw["quiet_start"]) if raw.get("quiet_start") else None,
            quiet_end=time.fromisoformat(raw["quiet_end"]) if raw.get("quiet_end") else None,
        )
    return rules
