"""A store on the on-prem engine running on its own (the README's four variables), which serves
HTTPS with a certificate of its own: the store pins that certificate's SHA-256; another pin, or no
pin (Home Assistant does not trust a self-signed certificate), is refused before anything is
saved."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import hashlib
from pathlib import Path
import socket
import ssl
import subprocess
import sys

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.smartshop.const import (
    CONF_ACCESS_KEY_ID,
    CONF_DPIA_DONE,
    CONF_ENDPOINT_URL,
    CONF_ENGINE_CERT_SHA256,
    CONF_SECRET_ACCESS_KEY,
    CONF_SIGNAGE_UP,
)
from edge_bridge.tls import ENGINE_CERT_FILE
from tests.edge_bridge.test_engine_only import ACCESS_KEY, SECRET_KEY, engine_env, free_port

from .test_config_flow import _start

REPO = Path(__file__).resolve().parents[2]
# A failure guard for another process's start, never a measured time.
START_GUARD_S = 120.0


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def engine_alone(tmp_path: Path, socket_enabled: None) -> Iterator[tuple[int, Path]]:
    """``python -m edge_bridge`` with the README's four variables: (port, certificate file)."""
    port = free_port()
    data = tmp_path / "engine"
    env = engine_env(tmp_path / "home", data, port)
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge_bridge"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield port, data / "tls" / ENGINE_CERT_FILE
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def test_a_store_pins_the_certificate_of_the_engine_alone(
    hass: HomeAssistant, engine_alone: tuple[int, Path]
) -> None:
    """Without a pin the self-signed certificate is not trusted; a wrong pin is refused as
    another certificate; the engine's own pin (as its log prints it, with colons) works, and
    the store loads on it."""
    port, certificate = engine_alone
    async with asyncio.timeout(START_GUARD_S):
        while not (certificate.exists() and _listening(port)):  # noqa: ASYNC110 - another process
            await asyncio.sleep(0.2)
    der = ssl.PEM_cert_to_DER_cert(certificate.read_text())
    digest = hashlib.sha256(der).hexdigest()
    printed = ":".join(digest[i : i + 2] for i in range(0, 64, 2)).upper()
    fields = {
        CONF_ENDPOINT_URL: f"https://127.0.0.1:{port}",
        CONF_ACCESS_KEY_ID: ACCESS_KEY,
        CONF_SECRET_ACCESS_KEY: SECRET_KEY,
    }
    result = await _start(hass, "engine")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], fields)
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], fields | {CONF_ENGINE_CERT_SHA256: "ab" * 31}
    )
    assert result["errors"] == {CONF_ENGINE_CERT_SHA256: "invalid_cert_pin"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        fields | {CONF_ENDPOINT_URL: f"http://127.0.0.1:{port}", CONF_ENGINE_CERT_SHA256: digest},
    )
    assert result["errors"] == {CONF_ENGINE_CERT_SHA256: "cert_pin_needs_https"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], fields | {CONF_ENGINE_CERT_SHA256: "00" * 32}
    )
    assert result["errors"] == {"base": "certificate_mismatch"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], fields | {CONF_ENGINE_CERT_SHA256: printed}
    )
    assert result["step_id"] == "compliance"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_ENGINE_CERT_SHA256] == digest
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED, entry.reason
    assert await hass.config_entries.async_unload(entry.entry_id)
