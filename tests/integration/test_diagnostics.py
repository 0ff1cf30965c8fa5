"""Diagnostics: useful for support, never a secret or a name."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.smartshop.const import (
    CONF_ACCESS_KEY_ID,
    CONF_API_TOKEN,
    CONF_BACKEND,
    CONF_ENDPOINT_URL,
    CONF_ENGINE_ACCESS_KEY_ID,
    CONF_ENGINE_SECRET_ACCESS_KEY,
    CONF_SECRET_ACCESS_KEY,
    SECRET_KEYS,
)
from custom_components.smartshop.diagnostics import TO_REDACT

from .conftest import (
    ACCESS_KEY,
    BRIDGE_KEY,
    SECRET_KEY,
    FakeBridge,
    Rekognition,
    bridge_store_entry,
    setup_store,
    store_entry,
)

ENGINE_ACCESS_KEY = "engine-access-key-Q8w3Rt"
ENGINE_SECRET = "engine-secret-Zk5Pn1Yc9Ds"
ENGINE_URL = "http://10.20.30.40:8766"


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    rekognition: Rekognition,
    still_camera,
    snapshot: SnapshotAssertion,
) -> None:
    """The snapshot pins the shape."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert result == snapshot(exclude=props("entry_id", "subentry_id"))


def _store(kind: str, bridge: FakeBridge) -> MockConfigEntry:
    """A store of each kind the config flow can create."""
    if kind == "aws":
        return store_entry()
    if kind == "engine_by_url":
        return store_entry(
            data={
                CONF_BACKEND: "engine",
                CONF_ENDPOINT_URL: ENGINE_URL,
                CONF_ACCESS_KEY_ID: ENGINE_ACCESS_KEY,
                CONF_SECRET_ACCESS_KEY: ENGINE_SECRET,
            }
        )
    if kind == "bridge_legacy":
        return bridge_store_entry(bridge, legacy=True)
    return bridge_store_entry(bridge, "engine" if kind == "bridge_engine" else "aws")


BRIDGE_CREDENTIALS = [CONF_API_TOKEN, CONF_ENGINE_ACCESS_KEY_ID, CONF_ENGINE_SECRET_ACCESS_KEY]


@pytest.mark.parametrize(
    ("kind", "secrets"),
    [
        ("aws", [ACCESS_KEY, SECRET_KEY]),
        ("engine_by_url", [ENGINE_ACCESS_KEY, ENGINE_SECRET]),
        # A pairing's API token and engine key pair (values made by the bridge: named by key).
        ("bridge_engine", BRIDGE_CREDENTIALS),
        ("bridge_aws", [*BRIDGE_CREDENTIALS, ACCESS_KEY, SECRET_KEY]),
        # A pairing from before TLS: its shared key, then the credentials it migrates to.
        ("bridge_legacy", [BRIDGE_KEY]),
    ],
)
async def test_no_secret_in_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    rekognition: Rekognition,
    fake_bridge: FakeBridge,
    kind: str,
    secrets: list[str],
) -> None:
    """No configured secret's value, nor the backend's or bridge's address, is anywhere in the
    diagnostics of any kind of store."""
    entry = _store(kind, fake_bridge)

    def configured() -> set[str]:
        stored = [entry.data, entry.options, *(sub.data for sub in entry.subentries.values())]
        return {str(part[key]) for part in stored for key in SECRET_KEYS if key in part}

    before = configured()
    wanted = {str(entry.data.get(secret, secret)) for secret in secrets}
    assert wanted <= before, "the store holds the secrets this test looks for"
    await setup_store(hass, rekognition, entry)
    after = configured()
    if kind == "bridge_legacy":
        assert {str(entry.data[key]) for key in BRIDGE_CREDENTIALS} <= after

    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(result)
    for secret in before | after:
        assert secret not in text, f"a secret of the {kind} store is in its diagnostics"
    for key in TO_REDACT & set(entry.data):
        assert str(entry.data[key]) not in text, key
        assert result["entry"]["data"][key] == "**REDACTED**"
