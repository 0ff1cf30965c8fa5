"""Runtime data of a SmartShop store (config entry)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from homeassistant.config_entries import ConfigEntry

from .alert_rules import AlertRule
from .bridge_connection import BridgeConnection
from .bridge_protocol import engine_access_key_id
from .const import (
    CONF_ACCESS_KEY_ID,
    CONF_BACKEND,
    CONF_BRIDGE_HOST,
    CONF_BRIDGE_ID,
    CONF_BRIDGE_KEY,
    CONF_ENDPOINT_URL,
    CONF_ENGINE_ON_BRIDGE,
    CONF_ENGINE_PORT,
    CONF_REGION,
    CONF_SECRET_ACCESS_KEY,
    DEFAULT_REGION,
    LOGGER,
    Backend,
    Category,
)
from .incidents import IncidentStore
from .recognition import BackendConfig, RecognitionClient
from .snapshots import SnapshotStore
from .usage import UsageMeter
from .watchlist import WatchlistManager

if TYPE_CHECKING:
    from .sighting import SightingService


@dataclass(slots=True)
class BackendHealth:
    """Whether the recognition backend answers; logs once when it goes and once when it returns."""

    available: bool = True
    auth_failed: bool = False
    listeners: list[Callable[[], None]] = field(default_factory=list)

    def mark_unavailable(self, reason: str) -> None:
        """Record a failed call (transient: network, throttling, server error)."""
        if self.available:
            LOGGER.warning("Recognition backend is unavailable: %s", reason)
            self.available = False
            self._notify()

    def mark_available(self) -> None:
        """Record a successful call."""
        if not self.available:
            LOGGER.info("Recognition backend is available again")
            self.available = True
            self._notify()

    def mark_auth_failed(self) -> None:
        """Stop all calls until the owner fixes the credentials (reauth)."""
        if not self.auth_failed:
            LOGGER.error("Recognition backend refused the credentials; re-authentication needed")
            self.auth_failed = True
            self._notify()

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call listener on every change; returns a function that removes it."""
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self.listeners):
            listener()


@dataclass(slots=True)
class SmartShopData:
    """Everything a store's platforms and actions share."""

    client: RecognitionClient
    watchlists: WatchlistManager
    incidents: IncidentStore
    usage: UsageMeter
    snapshots: SnapshotStore
    rules: dict[Category, AlertRule]
    recognition_enabled: bool
    match_threshold: float
    sightings: SightingService
    health: BackendHealth = field(default_factory=BackendHealth)
    store_device_id: str = ""
    bridge: BridgeConnection | None = None
    bridge_device_id: str = ""

    @property
    def can_search(self) -> bool:
        """True when searches may be sent: compliance confirmed and credentials good."""
        return self.recognition_enabled and not self.health.auth_failed


type SmartShopConfigEntry = ConfigEntry[SmartShopData]


def new_store_id() -> str:
    """A store id for a store without a bridge: random, so never tied to the shop's name."""
    return uuid4().hex


def backend_config(data: Mapping[str, Any]) -> BackendConfig:
    """The recognition backend described by a config entry's data."""
    if data.get(CONF_ENGINE_ON_BRIDGE):
        host = data[CONF_BRIDGE_HOST]
        host = f"[{host}]" if ":" in host else host
        return BackendConfig(
            access_key_id=engine_access_key_id(data[CONF_BRIDGE_ID]),
            secret_access_key=data[CONF_BRIDGE_KEY],
            region=data.get(CONF_REGION) or DEFAULT_REGION,
            endpoint_url=f"http://{host}:{data[CONF_ENGINE_PORT]}",
        )
    engine = Backend(data[CONF_BACKEND]) is Backend.ENGINE
    return BackendConfig(
        access_key_id=data[CONF_ACCESS_KEY_ID],
        secret_access_key=data[CONF_SECRET_ACCESS_KEY],
        region=data.get(CONF_REGION) or DEFAULT_REGION,
        endpoint_url=data[CONF_ENDPOINT_URL] if engine else None,
    )
