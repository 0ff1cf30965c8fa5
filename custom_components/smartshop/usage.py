"""Paid calls, cost and latency per store, and the daily budget that pauses searching."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN

# Rekognition operations billed per image (the rest, like collection management, are free).
BILLABLE_OPERATIONS: Final = frozenset(
    {
        "CompareFaces",
        "DetectFaces",
        "SearchFacesByImage",
        "SearchUsersByImage",
        "IndexFaces",
        "SearchFaces",
    }
)


def billable_total(calls: Mapping[str, int]) -> int:
    """Billable calls in a client's per-operation counter."""
    return sum(count for operation, count in calls.items() if operation in BILLABLE_OPERATIONS)


@dataclass(slots=True)
class UsageMeter:
    """Counts a store's billable calls per local day, against an optional daily budget.

    The meter follows the client's ever-growing call counter: ``sync`` adds whatever was called
    since the last sync, so concurrent scans are never counted twice.
    """

    price_per_1000: float
    daily_budget: int  # 0 = no budget
    day: date
    searches_today: int = 0
    last_latency_ms: float | None = None
    _seen_total: int = 0
    _listeners: list[Callable[[], None]] = field(default_factory=list)

    def sync(self, calls: Counter[str], today: date) -> None:
        """Add the calls made since the last sync; start a new day at local midnight."""
        total = billable_total(calls)
        if today != self.day:
            self.day = today
            self.searches_today = 0
        self.searches_today += max(total - self._seen_total, 0)
        self._seen_total = total
        self._notify()

    def restore(self, day: date, searches: int) -> None:
        """Carry today's count over a restart (so a restart never resets the budget)."""
        if day == self.day:
            self.searches_today = searches

    @property
    def cost_today(self) -> float:
        """Estimated cost of today's billable calls at the configured price."""
        return round(self.searches_today * self.price_per_1000 / 1000, 4)

    @property
    def budget_reached(self) -> bool:
        """True once today's calls have reached the budget."""
        return self.daily_budget > 0 and self.searches_today >= self.daily_budget

    def record_latency(self, milliseconds: float) -> None:
        """Face first seen → match event on the bus."""
        self.last_latency_ms = round(milliseconds, 1)
        self._notify()

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call listener on every change; returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()


class UsageStore:
    """Keeps today's count across restarts, so a restart never resets the daily budget."""

    SAVE_DELAY: Final = 10

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Attach to the usage file of one store."""
        self._store: Store[dict[str, Any]] = Store(hass, 1, f"{DOMAIN}.{entry_id}.usage")

    async def async_restore(self, meter: UsageMeter) -> None:
        """Load today's count into the meter (a stale day is ignored)."""
        if data := await self._store.async_load():
            meter.restore(date.fromisoformat(data["day"]), int(data["searches"]))

    def async_schedule_save(self, meter: UsageMeter) -> None:
        """Save soon (coalesced)."""
        self._store.async_delay_save(
            lambda: {"day": meter.day.isoformat(), "searches": meter.searches_today},
            self.SAVE_DELAY,
        )
