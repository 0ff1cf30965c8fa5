"""Runtime data of a SmartShop store (config entry)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import ip_address
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from uuid import uuid4

import aiohttp
from homeassistant.config_entries import ConfigEntry

from .alert_rules import AlertRule
from .bridge_client import BridgeClient, PairingResult
from .bridge_connection import BridgeConnection
from .bridge_protocol import legacy_engine_access_key_id
from .const import (
    CONF_ACCESS_KEY_ID,
    CONF_API_TOKEN,
    CONF_BACKEND,
    CONF_BRIDGE_HOST,
    CONF_BRIDGE_ID,
    CONF_BRIDGE_KEY,
    CONF_BRIDGE_PORT,
    CONF_CERT_SHA256,
    CONF_CLIENT_ID,
    CONF_ENDPOINT_URL,
    CONF_ENGINE_ACCESS_KEY_ID,
    CONF_ENGINE_CERT_SHA256,
    CONF_ENGINE_ON_BRIDGE,
    CONF_ENGINE_PORT,
    CONF_ENGINE_SECRET_ACCESS_KEY,
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
class PurgeReport:
    """A store's last privacy purge: when, and what it removed or anonymised by kind."""

    at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)


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
    last_purge: PurgeReport = field(default_factory=PurgeReport)
    # The options the store was set up with (a change is audited before the reload).
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def can_search(self) -> bool:
        """True when searches may be sent: compliance confirmed and credentials good."""
        return self.recognition_enabled and not self.health.auth_failed


type SmartShopConfigEntry = ConfigEntry[SmartShopData]


def new_store_id() -> str:
    """A store id for a store without a bridge: random, so never tied to the shop's name."""
    return uuid4().hex


def client_name(location_name: str) -> str:
    """How this Home Assistant introduces itself to a bridge (listed there, to revoke by)."""
    where = "".join(char for char in location_name if char.isprintable()).strip()
    return f"Home Assistant ({where})"[:100] if where else "Home Assistant"


def is_legacy_pairing(data: Mapping[str, Any]) -> bool:
    """A store paired with a bridge before TLS: one shared key, no credentials of its own."""
    return CONF_BRIDGE_ID in data and CONF_API_TOKEN not in data


def pairing_data(result: PairingResult) -> dict[str, Any]:
    """The entry data a pairing gives (the bridge's address is added by the caller)."""
    credentials = result.credentials
    return {
        CONF_BRIDGE_ID: result.bridge_id,
        CONF_CLIENT_ID: credentials.client_id,
        CONF_API_TOKEN: credentials.api_token,
        CONF_ENGINE_ACCESS_KEY_ID: credentials.engine_access_key_id,
        CONF_ENGINE_SECRET_ACCESS_KEY: credentials.engine_secret_access_key,
        CONF_CERT_SHA256: result.cert_sha256.hex(),
    }


def cert_pin(data: Mapping[str, Any]) -> bytes | None:
    """The pinned certificate of a store's bridge (None for a pairing from before TLS)."""
    pin = data.get(CONF_CERT_SHA256)
    return bytes.fromhex(pin) if pin else None


def make_bridge_client(
    session: aiohttp.ClientSession,
    data: Mapping[str, Any],
    host: str | None = None,
    port: int | None = None,
) -> BridgeClient:
    """A client for the store's bridge (at ``host:port`` when given, else the stored address):
    its own token over the pinned certificate, or a pre-TLS pairing's shared key over HTTP."""
    if is_legacy_pairing(data):
        token, pin = str(data[CONF_BRIDGE_KEY]), None
    else:
        token, pin = str(data[CONF_API_TOKEN]), cert_pin(data)
    return BridgeClient(
        session,
        host if host is not None else data[CONF_BRIDGE_HOST],
        int(port if port is not None else data[CONF_BRIDGE_PORT]),
        token,
        pin,
    )


def is_loopback(host: str) -> bool:
    """True for this machine's own address (``localhost``, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def is_insecure_url(url: str) -> bool:
    """An engine URL whose traffic (keys' signatures and face images) crosses the network in
    the clear: plain HTTP to another machine."""
    parts = urlsplit(url)
    return parts.scheme.lower() == "http" and not is_loopback(parts.hostname or "")


def backend_config(data: Mapping[str, Any]) -> BackendConfig:
    """The recognition backend described by a config entry's data."""
    if data.get(CONF_ENGINE_ON_BRIDGE):
        host = data[CONF_BRIDGE_HOST]
        host = f"[{host}]" if ":" in host else host
        region = data.get(CONF_REGION) or DEFAULT_REGION
        if is_legacy_pairing(data):
            return BackendConfig(
                access_key_id=legacy_engine_access_key_id(data[CONF_BRIDGE_ID]),
                secret_access_key=data[CONF_BRIDGE_KEY],
                region=region,
                endpoint_url=f"http://{host}:{data[CONF_ENGINE_PORT]}",
            )
        return BackendConfig(
            access_key_id=data[CONF_ENGINE_ACCESS_KEY_ID],
            secret_access_key=data[CONF_ENGINE_SECRET_ACCESS_KEY],
            region=region,
            endpoint_url=f"https://{host}:{data[CONF_ENGINE_PORT]}",
            cert_sha256=cert_pin(data),
        )
    engine = Backend(data[CONF_BACKEND]) is Backend.ENGINE
    pin = data.get(CONF_ENGINE_CERT_SHA256) if engine else None
    return BackendConfig(
        access_key_id=data[CONF_ACCESS_KEY_ID],
        secret_access_key=data[CONF_SECRET_ACCESS_KEY],
        region=data.get(CONF_REGION) or DEFAULT_REGION,
        endpoint_url=data[CONF_ENDPOINT_URL] if engine else None,
        # The engine alone serves its own certificate: trusted by its pinned SHA-256.
        cert_sha256=bytes.fromhex(pin) if pin else None,
    )
