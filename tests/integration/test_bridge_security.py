"""The link between a store and its bridge: pinned TLS, pairings from before it migrating by
themselves, a changed certificate, rotation and revocation of the store's own credentials, and
an engine by URL over plain HTTP."""

from __future__ import annotations

import asyncio
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartshop.bridge_client import BridgeAuthError, BridgeClient
from custom_components.smartshop.const import (
    CONF_API_TOKEN,
    CONF_BRIDGE_HOST,
    CONF_BRIDGE_KEY,
    CONF_BRIDGE_PORT,
    CONF_CERT_SHA256,
    CONF_CLIENT_ID,
    CONF_ENGINE_ACCESS_KEY_ID,
    CONF_ENGINE_SECRET_ACCESS_KEY,
    CONF_PAIRING_KEY,
    DOMAIN,
)
from custom_components.smartshop.database import audit_log
from custom_components.smartshop.recognition import CertificateMismatchError
from edge_bridge.tls import BridgeCertificate

from .conftest import (
    BRIDGE_ID,
    BRIDGE_KEY,
    FakeBridge,
    Rekognition,
    bridge_store_entry,
    setup_store,
    store_entry,
)
from .helpers import as_admin

ROTATE = "rotate_bridge_credentials"


def _issue(hass: HomeAssistant, kind: str, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}")


def _reauth_flows(hass: HomeAssistant) -> list[str]:
    return [
        flow["flow_id"]
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == "reauth"
    ]


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up a store expected to fail."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_legacy_pairing_migrates_silently(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """A store paired before TLS pairs again by itself with the old key: its own credentials
    and the pin are saved, the key is forgotten, and the bridge retires the key."""
    entry = bridge_store_entry(fake_bridge, minor_version=2, legacy=True)
    await setup_store(hass, rekognition, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.minor_version == 3
    data = entry.data
    assert CONF_BRIDGE_KEY not in data
    assert BRIDGE_KEY not in str(dict(data))
    credentials = fake_bridge.tokens[data[CONF_API_TOKEN]]
    assert (data[CONF_CLIENT_ID], data[CONF_ENGINE_ACCESS_KEY_ID]) == (
        credentials.client_id,
        credentials.engine_access_key_id,
    )
    assert data[CONF_ENGINE_SECRET_ACCESS_KEY] == credentials.engine_secret_access_key
    assert data[CONF_CERT_SHA256] == fake_bridge.pin.hex()
    assert fake_bridge.legacy_key is None, "the old key served once"
    backend = entry.runtime_data.client.config
    assert backend.endpoint_url == f"https://{fake_bridge.host}:{fake_bridge.engine_port}"
    assert (backend.access_key_id, backend.cert_sha256) == (
        credentials.engine_access_key_id,
        fake_bridge.pin,
    )
    bridge = entry.runtime_data.bridge
    assert bridge is not None
    assert bridge.client.base_url.startswith("https://")
    assert _issue(hass, "bridge_update_required", entry) is None


async def test_bridge_before_tls_keeps_working_until_updated(
    hass: HomeAssistant,
    rekognition: Rekognition,
    bridge_certificate: BridgeCertificate,
    socket_enabled: None,
) -> None:
    """A bridge not yet updated (plain HTTP): the store works as before, with a warning repair
    issue; once the bridge is updated the next set-up migrates and the issue goes."""
    old = FakeBridge(bridge_certificate, tls=False)
    await old.start()
    entry = bridge_store_entry(old, minor_version=2, legacy=True)
    try:
        await setup_store(hass, rekognition, entry)
        assert entry.state is ConfigEntryState.LOADED
        assert entry.data[CONF_BRIDGE_KEY] == BRIDGE_KEY
        issue = _issue(hass, "bridge_update_required", entry)
        assert issue is not None
        assert issue.severity is ir.IssueSeverity.WARNING
        backend = entry.runtime_data.client.config
        assert backend.endpoint_url == f"http://{old.host}:{old.engine_port}"
        assert (backend.access_key_id, backend.cert_sha256) == (f"bridge-{BRIDGE_ID}", None)
        bridge = entry.runtime_data.bridge
        assert bridge is not None
        assert bridge.client.legacy
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await old.server.close()

    updated = FakeBridge(bridge_certificate)  # the same bridge, updated, knows its old key
    await updated.start()
    try:
        hass.config_entries.async_update_entry(
            entry,
            data=dict(entry.data)
            | {CONF_BRIDGE_HOST: updated.host, CONF_BRIDGE_PORT: updated.port},
        )
        rekognition.credentials_ok()
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert CONF_BRIDGE_KEY not in entry.data
        assert entry.data[CONF_CERT_SHA256] == updated.pin.hex()
        assert _issue(hass, "bridge_update_required", entry) is None
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await updated.server.close()


async def test_impostor_answering_the_legacy_pairing(
    hass: HomeAssistant, fake_bridge: FakeBridge
) -> None:
    """A device at the bridge's address that cannot prove it knows the old key is not the
    bridge: nothing is saved, the certificate issue is raised and re-pairing is asked for."""
    fake_bridge.impostor = True
    entry = bridge_store_entry(fake_bridge, minor_version=2, legacy=True)
    await _set_up(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.data[CONF_BRIDGE_KEY] == BRIDGE_KEY
    assert CONF_API_TOKEN not in entry.data
    issue = _issue(hass, "bridge_certificate_changed", entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert _reauth_flows(hass)


async def test_legacy_key_no_longer_accepted_asks_for_a_code(
    hass: HomeAssistant, fake_bridge: FakeBridge
) -> None:
    """The bridge refuses the old key (it migrated another client already): re-pairing by
    code is asked for; the certificate is fine, so no certificate issue."""
    entry = bridge_store_entry(fake_bridge, minor_version=2, legacy=True)
    fake_bridge.legacy_key = None
    await _set_up(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert _reauth_flows(hass)
    assert _issue(hass, "bridge_certificate_changed", entry) is None


async def test_certificate_change_raises_issue_and_repairing_fixes_it(
    hass: HomeAssistant,
    rekognition: Rekognition,
    fake_bridge: FakeBridge,
    other_certificate: BridgeCertificate,
) -> None:
    """The device at the bridge's address shows another certificate than the pinned one: the
    store stops, the repair issue says why, and re-pairing with a fresh code pins the new
    certificate, loads the store and clears the issue."""
    entry = bridge_store_entry(fake_bridge)
    # Paired with a bridge whose certificate was another (replaced or reset since).
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data=dict(entry.data) | {CONF_CERT_SHA256: other_certificate.sha256.hex()}
    )
    rekognition.credentials_ok()  # the engine (stubbed) is checked first
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert _issue(hass, "bridge_certificate_changed", entry) is not None
    assert fake_bridge.refused == [], "nothing was sent to the device with the other certificate"
    (flow_id,) = _reauth_flows(hass)

    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_PAIRING_KEY: "12"})
    assert result["errors"] == {CONF_PAIRING_KEY: "invalid_pairing_code"}
    rekognition.credentials_ok()  # the flow's check of the engine
    rekognition.credentials_ok()  # the reload's set-up
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_PAIRING_KEY: fake_bridge.new_code()}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data[CONF_CERT_SHA256] == fake_bridge.pin.hex()
    assert _issue(hass, "bridge_certificate_changed", entry) is None


async def test_engine_certificate_change_at_set_up_and_while_running(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """The bridge's engine showing another certificate is the same alarm: at set-up and when
    the running store's probe meets it."""
    entry = bridge_store_entry(fake_bridge)
    mismatch = CertificateMismatchError("DescribeCollection: not the pinned certificate")
    with patch(
        "custom_components.smartshop.recognition.RecognitionClient.validate",
        side_effect=mismatch,
    ):
        await _set_up(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert _issue(hass, "bridge_certificate_changed", entry) is not None

    rekognition.credentials_ok()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert _issue(hass, "bridge_certificate_changed", entry) is None
    from custom_components.smartshop import _async_probe

    entry.runtime_data.health.mark_unavailable("engine gone")
    with patch(
        "custom_components.smartshop.recognition.RecognitionClient.validate",
        side_effect=mismatch,
    ):
        await _async_probe(hass, entry, None)  # type: ignore[arg-type]
    await hass.async_block_till_done()
    assert entry.runtime_data.health.auth_failed
    assert _issue(hass, "bridge_certificate_changed", entry) is not None
    assert _reauth_flows(hass)


async def test_revoked_while_running_asks_to_pair_again(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """The bridge revokes the store's credentials while it runs: its event stream is refused
    on reconnect and re-pairing is asked for."""
    entry = bridge_store_entry(fake_bridge)
    await setup_store(hass, rekognition, entry)
    bridge = entry.runtime_data.bridge
    assert bridge is not None
    fake_bridge.tokens.clear()
    with patch(
        "custom_components.smartshop.bridge_connection.wait_backoff", AsyncMock(return_value=None)
    ):
        await fake_bridge.drop_event_streams()
        # The subscription ends at the first refused reconnect (the timeout is only a guard).
        async with asyncio.timeout(10):
            await asyncio.shield(bridge._task)
    assert bridge.auth_failed
    await hass.async_block_till_done()
    assert _reauth_flows(hass)
    assert _issue(hass, "bridge_certificate_changed", entry) is None


async def test_rotate_bridge_credentials(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """Rotation saves new credentials and uses them once: the bridge then refuses the old
    token; the store reloads on the new ones."""
    entry = bridge_store_entry(fake_bridge)
    await setup_store(hass, rekognition, entry)
    old = dict(entry.data)
    rekognition.credentials_ok()  # the reload's set-up
    await hass.services.async_call(
        DOMAIN,
        ROTATE,
        {"config_entry_id": entry.entry_id},
        blocking=True,
        context=await as_admin(hass),
    )
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED, entry.reason
    assert entry.data[CONF_API_TOKEN] != old[CONF_API_TOKEN]
    assert entry.data[CONF_ENGINE_ACCESS_KEY_ID] != old[CONF_ENGINE_ACCESS_KEY_ID]
    assert entry.data[CONF_ENGINE_SECRET_ACCESS_KEY] != old[CONF_ENGINE_SECRET_ACCESS_KEY]
    assert entry.data[CONF_CERT_SHA256] == old[CONF_CERT_SHA256]
    assert set(fake_bridge.tokens) == {entry.data[CONF_API_TOKEN]}
    assert entry.runtime_data.client.config.access_key_id == entry.data[CONF_ENGINE_ACCESS_KEY_ID]
    stale = BridgeClient(
        async_get_clientsession(hass),
        fake_bridge.host,
        fake_bridge.port,
        old[CONF_API_TOKEN],
        fake_bridge.pin,
    )
    with pytest.raises(BridgeAuthError):
        await stale.info()
    assert not _reauth_flows(hass)
    rekognition.assert_done()


async def test_concurrent_rotations_are_one_at_a_time_and_audited(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """Five rotations at once: one rotates, the others are refused while it runs; the store
    comes back on the new credentials with no re-authentication flow left; one audit row names
    the new client. A rotation afterwards works again, from the saved credentials."""
    entry = bridge_store_entry(fake_bridge)
    await setup_store(hass, rekognition, entry)
    old = dict(entry.data)
    rekognition.credentials_ok()  # the reload's set-up
    admin = await as_admin(hass)
    results = await asyncio.gather(
        *(
            hass.services.async_call(
                DOMAIN, ROTATE, {"config_entry_id": entry.entry_id}, blocking=True, context=admin
            )
            for _ in range(5)
        ),
        return_exceptions=True,
    )
    await hass.async_block_till_done()
    refused = [result for result in results if isinstance(result, ServiceValidationError)]
    assert [err.translation_key for err in refused] == ["rotation_in_progress"] * 4
    assert results.count(None) == 1
    assert entry.state is ConfigEntryState.LOADED, entry.reason
    assert entry.data[CONF_API_TOKEN] != old[CONF_API_TOKEN]
    assert set(fake_bridge.tokens) == {entry.data[CONF_API_TOKEN]}
    assert not _reauth_flows(hass)
    rows = [
        row
        for row in await hass.async_add_executor_job(audit_log(hass).entries)
        if row.action == "credentials_rotated"
    ]
    assert [row.details for row in rows] == [{"client_id": entry.data[CONF_CLIENT_ID]}]
    assert rows[0].actor.startswith("Manager Sam (")

    rekognition.credentials_ok()
    first = entry.data[CONF_API_TOKEN]
    await hass.services.async_call(
        DOMAIN, ROTATE, {"config_entry_id": entry.entry_id}, blocking=True, context=admin
    )
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED, entry.reason
    assert entry.data[CONF_API_TOKEN] not in (first, old[CONF_API_TOKEN])
    assert set(fake_bridge.tokens) == {entry.data[CONF_API_TOKEN]}
    assert not _reauth_flows(hass)
    rekognition.assert_done()


async def test_rotate_refused_for_stores_that_cannot(
    hass: HomeAssistant,
    rekognition: Rekognition,
    fake_bridge: FakeBridge,
    bridge_certificate: BridgeCertificate,
) -> None:
    """A store without a bridge, a store on a bridge not yet updated, and a bridge that
    refuses the rotation each get a translated error; nothing is saved."""
    alone = store_entry(watchlist=False, camera=None)
    await setup_store(hass, rekognition, alone)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            ROTATE,
            {"config_entry_id": alone.entry_id},
            blocking=True,
            context=await as_admin(hass),
        )
    assert caught.value.translation_key == "no_bridge"

    entry = bridge_store_entry(fake_bridge)
    await setup_store(hass, rekognition, entry)
    data = dict(entry.data)
    fake_bridge.tokens.clear()
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            DOMAIN,
            ROTATE,
            {"config_entry_id": entry.entry_id},
            blocking=True,
            context=await as_admin(hass),
        )
    assert caught.value.translation_key == "rotation_failed"
    assert dict(entry.data) == data
    assert await hass.config_entries.async_unload(entry.entry_id)

    old = FakeBridge(bridge_certificate, tls=False)
    await old.start()
    try:
        legacy = bridge_store_entry(old, minor_version=2, legacy=True)
        await setup_store(hass, rekognition, legacy)
        with pytest.raises(ServiceValidationError) as caught:
            await hass.services.async_call(
                DOMAIN,
                ROTATE,
                {"config_entry_id": legacy.entry_id},
                blocking=True,
                context=await as_admin(hass),
            )
        assert caught.value.translation_key == "bridge_not_updated"
        assert await hass.config_entries.async_unload(legacy.entry_id)
    finally:
        await old.server.close()


async def test_removing_a_store_revokes_its_credentials(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge
) -> None:
    """Removing a store ends its credentials on the bridge."""
    entry = bridge_store_entry(fake_bridge)
    await setup_store(hass, rekognition, entry)
    token = entry.data[CONF_API_TOKEN]
    assert token in fake_bridge.tokens
    assert await hass.config_entries.async_remove(entry.entry_id)
    assert token not in fake_bridge.tokens


async def test_removing_a_store_with_its_bridge_unreachable_warns_once(
    hass: HomeAssistant,
    rekognition: Rekognition,
    fake_bridge: FakeBridge,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The bridge is away when the store is removed: one warning says the credentials stay
    valid on the bridge; the store is removed anyway."""
    entry = bridge_store_entry(fake_bridge)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data=dict(entry.data) | {CONF_BRIDGE_PORT: 9})
    assert await hass.config_entries.async_remove(entry.entry_id)
    assert caplog.text.count("Could not revoke") == 1
    assert entry.data[CONF_API_TOKEN] not in caplog.text


async def test_migration_waits_for_an_unreachable_bridge(
    hass: HomeAssistant, fake_bridge: FakeBridge
) -> None:
    """A pre-TLS pairing whose bridge is away: set-up retries later, the key is kept."""
    entry = bridge_store_entry(fake_bridge, minor_version=2, legacy=True)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data=dict(entry.data) | {CONF_BRIDGE_PORT: 9})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.data[CONF_BRIDGE_KEY] == BRIDGE_KEY
    assert not _reauth_flows(hass)


@pytest.mark.parametrize("legacy", [True, False])
async def test_another_bridge_at_the_address_stops_the_store(
    hass: HomeAssistant, rekognition: Rekognition, fake_bridge: FakeBridge, legacy: bool
) -> None:
    """A bridge with another id answers (while migrating, or at set-up): the store stops with
    an error naming both, and nothing of the other bridge is saved."""
    entry = bridge_store_entry(fake_bridge, minor_version=2, legacy=legacy)
    data = dict(entry.data)
    fake_bridge.bridge_id = "shop-floor"
    if not legacy:
        rekognition.credentials_ok()  # the engine (stubbed) is checked before the bridge
    await _set_up(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "shop-floor" in entry.reason
    assert dict(entry.data) == data
