"""Config flow with a bridge: the errors only a bridge can cause, each recovering to the end."""

from __future__ import annotations

from collections.abc import Mapping
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

from custom_components.smartshop.bridge_protocol import PairingCode
from custom_components.smartshop.const import (
    CONF_ACCESS_KEY_ID,
    CONF_AI_OPT_OUT,
    CONF_API_TOKEN,
    CONF_BACKEND,
    CONF_BRIDGE_HOST,
    CONF_BRIDGE_ID,
    CONF_BRIDGE_KEY,
    CONF_BRIDGE_PORT,
    CONF_CERT_SHA256,
    CONF_CLIENT_ID,
    CONF_DPIA_DONE,
    CONF_ENGINE_ACCESS_KEY_ID,
    CONF_ENGINE_ON_BRIDGE,
    CONF_ENGINE_SECRET_ACCESS_KEY,
    CONF_PAIRING_KEY,
    CONF_REGION,
    CONF_SECRET_ACCESS_KEY,
    CONF_SIGNAGE_UP,
    CONF_STORE_ID,
    CONF_STORE_NAME,
    DOMAIN,
)
from edge_bridge.tls import BridgeCertificate

from .conftest import (
    ACCESS_KEY,
    BRIDGE_ID,
    PAIRING_ATTEMPTS,
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
        result["flow_id"], {CONF_PAIRING_KEY: fake_bridge.new_code()}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "bridge_replaced"}
    assert not fake_bridge.tokens, "the credentials paired for nothing were revoked"

    fake_bridge.bridge_id = BRIDGE_ID
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PAIRING_KEY: fake_bridge.new_code().lower()}
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
    _assert_paired(result["data"], fake_bridge)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    backend = entry.runtime_data.client.config
    assert backend.endpoint_url == f"https://{fake_bridge.host}:{fake_bridge.engine_port}"
    assert backend.cert_sha256 == fake_bridge.pin
    assert backend.access_key_id == result["data"][CONF_ENGINE_ACCESS_KEY_ID]


def _assert_paired(data: Mapping[str, Any], bridge: FakeBridge) -> None:
    """Entry data of a store the bridge paired: its own credentials and the pin, nothing else
    secret (no pairing code, no shared key)."""
    credentials = bridge.tokens[data[CONF_API_TOKEN]]
    assert data[CONF_CLIENT_ID] == credentials.client_id
    assert data[CONF_ENGINE_ACCESS_KEY_ID] == credentials.engine_access_key_id
    assert data[CONF_ENGINE_SECRET_ACCESS_KEY] == credentials.engine_secret_access_key
    assert data[CONF_CERT_SHA256] == bridge.pin.hex()
    assert CONF_PAIRING_KEY not in data
    assert CONF_BRIDGE_KEY not in data
    assert bridge.client_names[-1].startswith("Home Assistant")


async def test_reauth_bridge_replaced_then_recovers(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """Re-authentication refuses a pairing code of a different bridge, then pairs again with a
    new code: new credentials, the same bridge."""
    entry = bridge_store_entry(fake_bridge)
    entry.add_to_hass(hass)
    old_token = entry.data[CONF_API_TOKEN]
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    fake_bridge.bridge_id = OTHER_BRIDGE
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PAIRING_KEY: fake_bridge.new_code()}
    )
    assert result["errors"] == {"base": "bridge_replaced"}

    fake_bridge.bridge_id = BRIDGE_ID
    rekognition.credentials_ok()  # the flow's check of the engine
    rekognition.credentials_ok()  # the reload's set-up
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PAIRING_KEY: f" {fake_bridge.new_code()} "}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_API_TOKEN] != old_token
    _assert_paired(entry.data, fake_bridge)
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


async def test_reconfigure_with_refused_credentials(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """A new address is checked with the store's own credentials: refused there, the form says
    the store must be paired again; still accepted, the address is saved."""
    entry = bridge_store_entry(fake_bridge)
    entry.add_to_hass(hass)
    token = entry.data[CONF_API_TOKEN]
    credentials = fake_bridge.tokens.pop(token)
    result = await entry.start_reconfigure_flow(hass)
    address = {CONF_HOST: fake_bridge.host, CONF_PORT: fake_bridge.port}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], address)
    assert result["errors"] == {"base": "invalid_bridge_credentials"}
    fake_bridge.tokens[token] = credentials
    rekognition.credentials_ok()  # the flow's check of the engine
    rekognition.credentials_ok()  # the reload's set-up
    result = await hass.config_entries.flow.async_configure(result["flow_id"], address)
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_API_TOKEN] == token


async def _pair_by_address(hass: HomeAssistant, bridge: FakeBridge) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_bridge"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: bridge.host, CONF_PORT: bridge.port, CONF_PAIRING_KEY: bridge.new_code()},
    )
    assert result["step_id"] == "bridge_store"
    return result


async def test_pair_by_address_errors_then_paired(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """Nothing listening, a malformed code, a wrong code and a blank store name are each told
    apart; then the store is created on the bridge's engine."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_bridge"}
    )
    with socket.socket() as sock:
        sock.bind((fake_bridge.host, 0))
        closed_port = int(sock.getsockname()[1])
    address = {CONF_HOST: fake_bridge.host, CONF_PORT: fake_bridge.port}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address | {CONF_PORT: closed_port, CONF_PAIRING_KEY: _code()}
    )
    assert result["errors"] == {"base": "bridge_unreachable"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address | {CONF_PAIRING_KEY: "wrong"}
    )
    assert result["errors"] == {CONF_PAIRING_KEY: "invalid_pairing_code"}
    assert fake_bridge.pair_requests == 0
    # A well-formed code for this certificate that the bridge never made.
    wrong = str(PairingCode.new(fake_bridge.pin))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address | {CONF_PAIRING_KEY: wrong}
    )
    assert result["errors"] == {"base": "pairing_code_refused"}
    # The form keeps the address, never the code.
    suggested = {
        str(key): key.description.get("suggested_value")
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested.get(CONF_HOST) == fake_bridge.host
    assert suggested.get(CONF_PAIRING_KEY) is None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address | {CONF_PAIRING_KEY: fake_bridge.new_code()}
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
    _assert_paired(result["data"], fake_bridge)
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


def _code() -> str:
    """A well-formed code of no bridge in particular."""
    return str(PairingCode.new(bytes(32)))


async def _pair_form(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pair_bridge"}
    )


async def test_code_of_another_certificate_is_refused_before_sending_it(
    hass: HomeAssistant, fake_bridge: FakeBridge, other_certificate: BridgeCertificate
) -> None:
    """A code made by another device than the one at the address: the certificate does not
    match the code, so no proof is sent; the right code then pairs."""
    result = await _pair_form(hass)
    address = {CONF_HOST: fake_bridge.host, CONF_PORT: fake_bridge.port}
    foreign = str(PairingCode.new(other_certificate.sha256))
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address | {CONF_PAIRING_KEY: foreign}
    )
    assert result["errors"] == {"base": "certificate_mismatch"}
    assert fake_bridge.pair_requests == 0
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address | {CONF_PAIRING_KEY: fake_bridge.new_code()}
    )
    assert result["step_id"] == "bridge_store"


async def test_used_code_then_too_many_attempts(
    hass: HomeAssistant, fake_bridge: FakeBridge
) -> None:
    """A code pairs once: used again it is refused; after a run of wrong codes the bridge
    refuses for a while, and the form says so."""
    code = fake_bridge.new_code()
    result = await _pair_form(hass)
    address = {CONF_HOST: fake_bridge.host, CONF_PORT: fake_bridge.port}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address | {CONF_PAIRING_KEY: code}
    )
    assert result["step_id"] == "bridge_store"
    paired = set(fake_bridge.tokens)
    # The owner closes the dialog: the credentials paired for it end on the bridge.
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    assert paired and not set(fake_bridge.tokens) & paired

    result = await _pair_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address | {CONF_PAIRING_KEY: code}
    )
    assert result["errors"] == {"base": "pairing_code_refused"}
    fake_bridge.failed_attempts = PAIRING_ATTEMPTS
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address | {CONF_PAIRING_KEY: fake_bridge.new_code()}
    )
    assert result["errors"] == {"base": "too_many_attempts"}
    fake_bridge.failed_attempts = 0
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address | {CONF_PAIRING_KEY: fake_bridge.new_code()}
    )
    assert result["step_id"] == "bridge_store"


async def test_impostor_that_cannot_prove_the_code_is_refused(
    hass: HomeAssistant, fake_bridge: FakeBridge
) -> None:
    """A device that answers pairing without knowing the code's secret (its proof is wrong)
    is not the bridge; its credentials are not kept."""
    fake_bridge.impostor = True
    result = await _pair_form(hass)
    address = {CONF_HOST: fake_bridge.host, CONF_PORT: fake_bridge.port}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], address | {CONF_PAIRING_KEY: fake_bridge.new_code()}
    )
    assert result["errors"] == {"base": "certificate_mismatch"}
    assert fake_bridge.pair_requests == 1


async def test_bridge_before_tls_must_be_updated_to_pair(
    hass: HomeAssistant, bridge_certificate: BridgeCertificate, socket_enabled: None
) -> None:
    """A bridge that still speaks plain HTTP cannot be paired by code: update it first."""
    old = FakeBridge(bridge_certificate, tls=False)
    await old.start()
    try:
        result = await _pair_form(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_HOST: old.host, CONF_PORT: old.port, CONF_PAIRING_KEY: old.new_code()},
        )
        assert result["errors"] == {"base": "bridge_update_required"}
    finally:
        await old.server.close()


async def test_pairing_a_bridge_that_has_a_store_revokes_the_new_credentials(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """Pairing again a bridge that already has a store aborts, and the credentials just made
    for nothing are revoked; the store keeps its own."""
    entry = bridge_store_entry(fake_bridge)
    entry.add_to_hass(hass)
    result = await _pair_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_HOST: fake_bridge.host,
            CONF_PORT: fake_bridge.port,
            CONF_PAIRING_KEY: fake_bridge.new_code(),
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert set(fake_bridge.tokens) == {entry.data[CONF_API_TOKEN]}


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
    _assert_paired(result["data"], fake_bridge)
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
    moved = FakeBridge(fake_bridge.certificate)
    moved.tokens = fake_bridge.tokens  # the same bridge, listening elsewhere
    await moved.start()
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
        assert entry.data[CONF_CERT_SHA256] == fake_bridge.pin.hex()  # never from discovery
        assert entry.state is ConfigEntryState.LOADED
        bridge = entry.runtime_data.bridge
        assert bridge is not None
        assert bridge.client.port == moved.port
        rekognition.assert_done()
        assert not report_usage.called, report_usage.call_args
    finally:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await moved.server.close()
