"""Config flow with a bridge: the errors only a bridge can cause, each recovering to the end."""

from __future__ import annotations

from ipaddress import ip_address
import socket
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import (
    SOURCE_USER,
    SOURCE_ZEROCONF,
    ConfigEntryState,
)
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from custom_components.smartshop.const import (
    CONF_ACCESS_KEY_ID,
    CONF_AI_OPT_OUT,
    CONF_BACKEND,
    CONF_BRIDGE_HOST,
    CONF_BRIDGE_ID,
    CONF_BRIDGE_KEY,
    CONF_BRIDGE_PORT,
    CONF_DPIA_DONE,
    CONF_ENGINE_ON_BRIDGE,
    CONF_PAIRING_KEY,
    CONF_REGION,
    CONF_SECRET_ACCESS_KEY,
    CONF_SIGNAGE_UP,
    CONF_STORE_ID,
    CONF_STORE_NAME,
    DOMAIN,
)

from .conftest import (
    ACCESS_KEY,
    BRIDGE_ID,
    SECRET_KEY,
    FakeBridge,
    Rekognition,
    bridge_store_entry,
    setup_store,
)

OTHER_BRIDGE = "shop-floor"


def _announcement(bridge: FakeBridge, properties: dict[str, str]) -> ZeroconfServiceInfo:
    return ZeroconfServiceInfo(
        ip_address=ip_address(bridge.host),
        ip_addresses=[ip_address(bridge.host)],
        hostname="back-office.local.",
        name=f"{BRIDGE_ID}._smartshop-bridge._tcp.local.",
        port=bridge.port,
        type="_smartshop-bridge._tcp.local.",
        properties=properties,
    )


async def test_zeroconf_without_id_is_not_a_bridge(
    hass: HomeAssistant, fake_bridge: FakeBridge
) -> None:
    """A service of the bridge's type that does not say its id is not offered for pairing."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=_announcement(fake_bridge, {"api_port": str(fake_bridge.port)}),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_a_bridge"
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_zeroconf_confirm_bridge_replaced_then_paired(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """Another bridge answering at the announced address is refused; once the announced bridge
    answers there, pairing goes on to a store on its engine."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=_announcement(fake_bridge, {"id": BRIDGE_ID, "api_port": str(fake_bridge.port)}),
    )
    assert result["step_id"] == "zeroconf_confirm"
    fake_bridge.bridge_id = OTHER_BRIDGE
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PAIRING_KEY: fake_bridge.key}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "bridge_replaced"}

    fake_bridge.bridge_id = BRIDGE_ID
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PAIRING_KEY: fake_bridge.key}
    )
    assert result["step_id"] == "bridge_store"
    rekognition.credentials_ok()  # the engine accepts the pairing key
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: "Back office", CONF_BACKEND: "engine"}
    )
    assert result["step_id"] == "compliance"
    rekognition.credentials_ok()  # the new store's set-up
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == BRIDGE_ID
    assert result["data"][CONF_BRIDGE_ID] == BRIDGE_ID
    assert result["data"][CONF_ENGINE_ON_BRIDGE] is True
    assert CONF_STORE_ID not in result["data"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_bridge_replaced_then_recovers(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """Re-authentication refuses a pairing code checked against a different bridge."""
    entry = bridge_store_entry(fake_bridge)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    fake_bridge.bridge_id = OTHER_BRIDGE
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PAIRING_KEY: fake_bridge.key}
    )
    assert result["errors"] == {"base": "bridge_replaced"}

    fake_bridge.bridge_id = BRIDGE_ID
    fake_bridge.key = "renewed-pairing-key-5Tg8"
    rekognition.credentials_ok()  # the flow's check of the engine
    rekognition.credentials_ok()  # the reload's set-up
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PAIRING_KEY: " renewed-pairing-key-5Tg8 "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_BRIDGE_KEY] == "renewed-pairing-key-5Tg8"
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_bridge_replaced_then_recovers(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """An address where a different bridge answers is refused; the store's own bridge there is
    saved."""
    entry = bridge_store_entry(fake_bridge)
    await setup_store(hass, rekognition, entry)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    address = {CONF_HOST: f" {fake_bridge.host} ", CONF_PORT: fake_bridge.port}
    fake_bridge.bridge_id = OTHER_BRIDGE
    result = await hass.config_entries.flow.async_configure(result["flow_id"], address)
    assert result["errors"] == {"base": "bridge_replaced"}

    fake_bridge.bridge_id = BRIDGE_ID
    rekognition.credentials_ok()  # the flow's check of the engine
    rekognition.credentials_ok()  # the reload's set-up
    result = await hass.config_entries.flow.async_configure(result["flow_id"], address)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_BRIDGE_HOST] == fake_bridge.host
    assert entry.unique_id == BRIDGE_ID
    assert entry.state is ConfigEntryState.LOADED


async def _pair_by_address(hass: HomeAssistant, bridge: FakeBridge) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_bridge"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: bridge.host, CONF_PORT: bridge.port, CONF_PAIRING_KEY: bridge.key},
    )
    assert result["step_id"] == "bridge_store"
    return result


async def test_pair_by_address_errors_then_paired(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """Nothing listening, a wrong code and a blank store name are each told apart; then the
    store is created on the bridge's engine."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_bridge"}
    )
    with socket.socket() as sock:
        sock.bind((fake_bridge.host, 0))
        closed_port = int(sock.getsockname()[1])
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: fake_bridge.host, CONF_PORT: closed_port, CONF_PAIRING_KEY: fake_bridge.key},
    )
    assert result["errors"] == {"base": "bridge_unreachable"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: fake_bridge.host, CONF_PORT: fake_bridge.port, CONF_PAIRING_KEY: "wrong"},
    )
    assert result["errors"] == {"base": "invalid_pairing_key"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: fake_bridge.host,
            CONF_PORT: fake_bridge.port,
            CONF_PAIRING_KEY: fake_bridge.key,
        },
    )
    assert result["step_id"] == "bridge_store"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: " !! ", CONF_BACKEND: "engine"}
    )
    assert result["errors"] == {CONF_STORE_NAME: "invalid_store_name"}
    rekognition.credentials_ok()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: "Back office", CONF_BACKEND: "engine"}
    )
    assert result["step_id"] == "compliance"
    rekognition.credentials_ok()  # the new store's set-up
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == BRIDGE_ID
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_bridge_without_engine_then_aws(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """A bridge that runs no engine preselects AWS and refuses the engine; AWS goes through."""
    fake_bridge.engine_port = None
    result = await _pair_by_address(hass, fake_bridge)
    schema = {str(key): key for key in result["data_schema"].schema}
    assert schema[CONF_BACKEND].default() == "aws"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: "Back office", CONF_BACKEND: "engine"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_BACKEND: "bridge_has_no_engine"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: "Back office", CONF_BACKEND: "aws"}
    )
    assert result["step_id"] == "credentials_aws"
    rekognition.credentials_ok()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_ACCESS_KEY_ID: ACCESS_KEY,
            CONF_SECRET_ACCESS_KEY: SECRET_KEY,
            CONF_REGION: "eu-west-2",
        },
    )
    assert result["step_id"] == "compliance"
    rekognition.credentials_ok()  # the new store's set-up
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True, CONF_AI_OPT_OUT: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == BRIDGE_ID
    assert result["data"][CONF_BACKEND] == "aws"
    assert result["data"][CONF_BRIDGE_KEY] == fake_bridge.key
    assert CONF_ENGINE_ON_BRIDGE not in result["data"]
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_bridge_engine_refuses_key(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """The bridge's engine refusing the pairing code is shown on the store form; once it
    accepts, the store is created."""
    result = await _pair_by_address(hass, fake_bridge)
    rekognition.error("describe_collection", "UnrecognizedClientException")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: "Back office", CONF_BACKEND: "engine"}
    )
    assert result["step_id"] == "bridge_store"
    assert result["errors"] == {"base": "invalid_auth"}
    rekognition.credentials_ok()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: "Back office", CONF_BACKEND: "engine"}
    )
    assert result["step_id"] == "compliance"
    rekognition.credentials_ok()  # the new store's set-up
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


async def test_zeroconf_new_address_reloads_through_the_update_listener(
    hass: HomeAssistant,
    rekognition: Rekognition,
    fake_bridge: FakeBridge,
) -> None:
    """A running store's bridge announces a new address: the store saves it and its update
    listener reloads it there, once (no double reload for Home Assistant to warn about)."""
    entry = bridge_store_entry(fake_bridge)
    await setup_store(hass, rekognition, entry)
    moved = FakeBridge()
    await moved.server.start_server()
    moved.port = int(moved.server.port or 0)
    try:
        rekognition.credentials_ok()  # the reload's set-up
        with patch("homeassistant.config_entries.report_usage") as report_usage:
            result = await hass.config_entries.flow.async_init(
                DOMAIN,
                context={"source": SOURCE_ZEROCONF},
                data=_announcement(moved, {"id": BRIDGE_ID, "api_port": str(moved.port)}),
            )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"
        await hass.async_block_till_done()
        assert entry.data[CONF_BRIDGE_PORT] == moved.port
        assert entry.state is ConfigEntryState.LOADED
        bridge = entry.runtime_data.bridge
        assert bridge is not None
        assert bridge.client.port == moved.port
        rekognition.assert_done()
        assert not report_usage.called, report_usage.call_args
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await moved.server.close()
