"""Zeroconf: the advertisement's contents, and a real register/browse/withdraw on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path
import secrets
import socket
from typing import Any

import pytest
from zeroconf import ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncZeroconf

from edge_bridge.discovery import (
    SERVICE_TYPE,
    Advertisement,
    Advertiser,
    DiscoveryError,
    build_service_info,
    local_addresses,
)
from edge_bridge.settings import DiscoverySettings
from tests.edge_bridge.helpers_bridge import GUARD_S, make_config, running_bridge

AD = Advertisement(
    bridge_id="Shop Front/1", api_port=8765, engine_port=8766, addresses=("127.0.0.1",)
)


def test_service_info_carries_ids_ports_and_version() -> None:
    info = build_service_info(AD)
    assert info.type == SERVICE_TYPE == "_smartshop-bridge._tcp.local."
    assert info.name == f"Shop Front/1.{SERVICE_TYPE}"
    assert info.port == 8765
    assert info.server == "smartshop-Shop-Front-1.local."
    assert info.addresses == [socket.inet_aton("127.0.0.1")]
    assert info.properties == {
        b"id": b"Shop Front/1",
        b"version": b"0.1.0",
        b"api_port": b"8765",
        b"engine_port": b"8766",
        b"api_path": b"/api/v1",
        b"auth": b"bearer",
    }


def test_recognition_port_empty_when_off_and_no_address_is_an_error() -> None:
    ad = Advertisement(bridge_id="b", api_port=1, engine_port=None, addresses=("::1",))
    assert build_service_info(ad).properties[b"engine_port"] == b""
    with pytest.raises(DiscoveryError):
        build_service_info(Advertisement("b", 1, None, ()))


def test_local_addresses() -> None:
    assert local_addresses("127.0.0.1") == ("127.0.0.1",)
    assert local_addresses("192.0.2.5") == ("192.0.2.5",)
    for address in local_addresses("0.0.0.0"):
        assert not address.startswith("127.")


async def test_register_browse_and_withdraw_on_loopback() -> None:
    # A name of its own: another run of the suite on this machine advertises on loopback too.
    bridge_id = f"loopback-test-{secrets.token_hex(4)}"
    ad = Advertisement(
        bridge_id=bridge_id, api_port=18765, engine_port=None, addresses=("127.0.0.1",)
    )
    advertiser = Advertiser(DiscoverySettings(interfaces=("127.0.0.1",)), ad)
    browser_zc = AsyncZeroconf(interfaces=["127.0.0.1"])
    added = asyncio.Event()
    removed = asyncio.Event()

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if name == ad.instance_name:
            {ServiceStateChange.Added: added, ServiceStateChange.Removed: removed}.get(
                state_change, asyncio.Event()
            ).set()

    browser = AsyncServiceBrowser(browser_zc.zeroconf, SERVICE_TYPE, handlers=[on_change])
    try:
        await advertiser.start()
        await asyncio.wait_for(added.wait(), GUARD_S)
        info = await browser_zc.async_get_service_info(
            SERVICE_TYPE, ad.instance_name, round(GUARD_S * 1000)
        )
        assert info is not None
        assert info.port == 18765
        assert info.parsed_addresses() == ["127.0.0.1"]
        assert info.properties[b"id"] == bridge_id.encode()
        await advertiser.stop()
        await asyncio.wait_for(removed.wait(), GUARD_S)
    finally:
        await advertiser.stop()
        await browser.async_cancel()
        await browser_zc.async_close()


async def test_bridge_without_discovery_does_not_advertise(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    assert not config.discovery.enabled
    async with running_bridge(config) as bridge:
        advertiser: Any = bridge._advertiser
        assert advertiser is None
