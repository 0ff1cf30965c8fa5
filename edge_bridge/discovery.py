"""Zeroconf advertisement of the bridge (service type and TXT keys from the wire contract).

TXT properties: ``id`` (bridge id), ``version``, ``api_port``, ``engine_port`` (empty when the
engine is off), ``api_path`` and ``auth=bearer``. The API key is never advertised.

"smartshop-bridge" is 16 bytes, one more than RFC 6763 allows for a service name, so the
service is registered with zeroconf's non-strict name check; browsers (including Home
Assistant's) accept such names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import ipaddress
import logging
import re
import socket

import ifaddr
from zeroconf import InterfaceChoice, IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from .protocol import API_PREFIX, SERVICE_TYPE, TXT_API_PATH, TXT_API_PORT, TXT_ID
from .settings import DiscoverySettings
from .version import BRIDGE_VERSION

_LOGGER = logging.getLogger(__name__)


class DiscoveryError(Exception):
    """The advertisement could not be built or registered."""


@dataclass(frozen=True, slots=True)
class Advertisement:
    """What the bridge announces."""

    bridge_id: str
    api_port: int
    engine_port: int | None
    addresses: tuple[str, ...]
    version: str = BRIDGE_VERSION

    @property
    def instance_name(self) -> str:
        return f"{self.bridge_id}.{SERVICE_TYPE}"

    @property
    def host_name(self) -> str:
        label = re.sub(r"[^A-Za-z0-9-]+", "-", self.bridge_id).strip("-") or "bridge"
        return f"smartshop-{label[:40]}.local."

    def properties(self) -> dict[str, str]:
        return {
            TXT_ID: self.bridge_id,
            "version": self.version,
            TXT_API_PORT: str(self.api_port),
            "engine_port": "" if self.engine_port is None else str(self.engine_port),
            TXT_API_PATH: API_PREFIX,
            "auth": "bearer",
        }


def build_service_info(ad: Advertisement) -> AsyncServiceInfo:
    """The zeroconf ServiceInfo for an advertisement."""
    if not ad.addresses:
        raise DiscoveryError("no address to advertise")
    packed = []
    for address in ad.addresses:
        ip = ipaddress.ip_address(address)
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        packed.append(socket.inet_pton(family, address))
    return AsyncServiceInfo(
        SERVICE_TYPE,
        ad.instance_name,
        addresses=packed,
        port=ad.api_port,
        properties=ad.properties(),
        server=ad.host_name,
    )


def local_addresses(listen_host: str) -> tuple[str, ...]:
    """Addresses to advertise: the listen host if it is a specific IP, else this host's
    non-loopback, non-link-local IPv4 addresses."""
    try:
        ip = ipaddress.ip_address(listen_host)
    except ValueError:
        ip = None
    if ip is not None and not ip.is_unspecified:
        return (str(ip),)
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for entry in adapter.ips:
            if not entry.is_IPv4 or not isinstance(entry.ip, str):
                continue
            candidate = ipaddress.ip_address(entry.ip)
            if candidate.is_loopback or candidate.is_link_local:
                continue
            if entry.ip not in found:
                found.append(entry.ip)
    return tuple(found)


class Advertiser:
    """Registers the advertisement on start and withdraws it on stop."""

    def __init__(self, settings: DiscoverySettings, ad: Advertisement) -> None:
        self.settings = settings
        self.ad = ad
        self._zc: AsyncZeroconf | None = None
        self._info: AsyncServiceInfo | None = None

    async def start(self) -> None:
        info = build_service_info(self.ad)
        interfaces: Sequence[str] | InterfaceChoice = (
            list(self.settings.interfaces) if self.settings.interfaces else InterfaceChoice.All
        )
        has_v6 = any(":" in address for address in self.ad.addresses)
        try:
            zc = AsyncZeroconf(
                interfaces=interfaces, ip_version=IPVersion.All if has_v6 else IPVersion.V4Only
            )
        except OSError as err:
            raise DiscoveryError(f"cannot open the mDNS socket: {err}") from err
        try:
            # The first await queues the registration; the second waits for its announcement.
            announced = await zc.async_register_service(info, strict=False)
            await announced
        except Exception as err:
            await zc.async_close()
            raise DiscoveryError(f"cannot register {self.ad.instance_name}: {err}") from err
        self._zc, self._info = zc, info
        _LOGGER.info(
            "advertising %s on %s (zeroconf)", self.ad.instance_name, ", ".join(self.ad.addresses)
        )

    async def stop(self) -> None:
        zc, info = self._zc, self._info
        self._zc = self._info = None
        if zc is None:
            return
        try:
            if info is not None:
                goodbye = await zc.async_unregister_service(info)
                await goodbye  # the goodbye packets are sent before the socket closes
        finally:
            await zc.async_close()
        _LOGGER.info("zeroconf advertisement withdrawn")
