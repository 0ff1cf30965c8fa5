"""Pairing, split credentials, rotation and revocation, against a running bridge over TLS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import logging
from pathlib import Path
import socket
import stat

import aiohttp
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, SSLError
import pytest

from edge_bridge.auth import (
    CLIENTS_FILE,
    LEGACY_KEY_FILE,
    PAIRING_FILE,
    ClientRegistry,
    PairingGuard,
)
from edge_bridge.metrics import REFUSALS
from edge_bridge.protocol import (
    CREDENTIALS_PATH,
    ROTATE_PATH,
    PairedCredentials,
    PairResponse,
    bridge_proof,
    proofs_equal,
)
from edge_bridge.runtime import Bridge
from tests.edge_bridge.helpers_bridge import (
    GUARD_S,
    make_config,
    pinned,
    request_pairing,
    running_bridge,
)

LEGACY_KEY = "legacy-pairing-key-0123456789abcdef"
GUESSER = "127.0.0.2"  # another host, as far as the bridge can tell


@pytest.fixture
async def bridge(tmp_path: Path) -> AsyncIterator[Bridge]:
    """A bridge with its engine on loopback and no camera."""
    config = make_config(
        tmp_path / "data",
        engine={"enabled": True, "listen": "127.0.0.1:0", "data_dir": str(tmp_path / "faces")},
    )
    async with running_bridge(config) as running:
        yield running


async def _get(bridge: Bridge, path: str, token: str) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"https://127.0.0.1:{bridge.api_port}{path}",
            headers={"Authorization": f"Bearer {token}"},
            ssl=pinned(bridge),
        ) as response,
    ):
        return response.status


async def _call(bridge: Bridge, method: str, path: str, token: str) -> tuple[int, object]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            f"https://127.0.0.1:{bridge.api_port}{path}",
            headers={"Authorization": f"Bearer {token}"},
            ssl=pinned(bridge),
        ) as response,
    ):
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, body


def _engine(
    bridge: Bridge, credentials: PairedCredentials, *, verify: bool | str = False
) -> object:
    """A boto3 client of the bridge's engine with the paired engine keys.

    The pin is checked by the integration's own session (tested there); this client only
    needs TLS to reach the engine.
    """
    return boto3.client(
        "rekognition",
        endpoint_url=f"https://127.0.0.1:{bridge.engine_port}",
        region_name="eu-west-2",
        aws_access_key_id=credentials.engine_access_key_id,
        aws_secret_access_key=credentials.engine_secret_access_key,
        verify=verify,
        config=Config(retries={"max_attempts": 1}, proxies={}),
    )


async def _collections(
    bridge: Bridge, credentials: PairedCredentials, *, verify: bool = False
) -> list[str]:
    """ListCollections with these engine keys, from a thread (the engine runs on this loop)."""
    client = _engine(bridge, credentials, verify=verify)
    answer = await asyncio.to_thread(client.list_collections)  # type: ignore[attr-defined]
    return list(answer["CollectionIds"])


async def _paired(bridge: Bridge, secret: bytes, source: str | None = None) -> PairedCredentials:
    status, body, nonce = await request_pairing(bridge, secret, source=source)
    assert status == 200, body
    answer = PairResponse.from_wire(body)
    expected = bridge_proof(secret, bridge.cert_sha256, nonce, answer.credentials)
    assert proofs_equal(answer.proof, expected)  # the bridge proved the same secret
    assert answer.bridge_id == "test-bridge"
    return answer.credentials


async def test_a_code_pairs_once_and_gives_split_credentials(bridge: Bridge) -> None:
    code = bridge.access.pairing.new_code()
    assert code.matches_certificate(bridge.cert_sha256)
    credentials = await _paired(bridge, code.secret)
    assert await _get(bridge, "/api/v1/info", credentials.api_token) == 200
    assert await _collections(bridge, credentials) == []
    # The code is single-use, and the token is not an engine secret (keys are split).
    status, body, _ = await request_pairing(bridge, code.secret)
    assert status == 401
    assert "already used or expired" in str(body)
    assert credentials.api_token != credentials.engine_secret_access_key
    registry = ClientRegistry(bridge.config.data_dir)
    stored = (bridge.config.data_dir / CLIENTS_FILE).read_text()
    assert credentials.api_token not in stored  # only its SHA-256 is kept
    assert [client.name for client in registry.clients()] == ["tests", "Home Assistant"]


async def test_files_are_private(bridge: Bridge) -> None:
    bridge.access.pairing.new_code()
    data = bridge.config.data_dir
    for name in (CLIENTS_FILE, PAIRING_FILE, "tls/bridge-key.pem"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE((data / "tls").stat().st_mode) == 0o700


async def test_proof_over_another_certificate_is_refused(bridge: Bridge) -> None:
    """What a relay with its own certificate would forward: a proof bound to that certificate."""
    code = bridge.access.pairing.new_code()
    relay_sha256 = bytes(32)
    status, _, _ = await request_pairing(bridge, code.secret, seen_sha256=relay_sha256)
    assert status == 401
    # The code still works for the real client afterwards.
    await _paired(bridge, code.secret)


async def test_expired_code_is_refused(bridge: Bridge) -> None:
    code = bridge.access.pairing.new_code(ttl=-1)
    status, _, _ = await request_pairing(bridge, code.secret)
    assert status == 401


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def test_failed_attempts_lock_out_their_address_only(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    """Ten wrong codes from one host lock that host out; the owner's still pairs."""
    caplog.set_level(logging.WARNING, logger="edge_bridge.pairing_api")
    code = bridge.access.pairing.new_code()
    for _ in range(bridge.access.guard.per_source):
        status, _, _ = await request_pairing(bridge, b"guess-guess", source=GUESSER)
        assert status == 401
    before = REFUSALS.get("api", "pairing_locked")
    # Locked out, even with the right code.
    status, body, _ = await request_pairing(bridge, code.secret, source=GUESSER)
    assert status == 429
    assert "too many failed pairing attempts from this address" in str(body)
    assert REFUSALS.get("api", "pairing_locked") == before + 1
    assert f"pairing refused for {GUESSER}" in caplog.text
    # Another address pairs with the code.
    await _paired(bridge, code.secret)


async def test_ceiling_over_all_addresses_locks_everyone_until_the_window_passes(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    """Guessers on many addresses, each under its own limit, reach the ceiling together: then
    nobody pairs until the window has passed."""
    caplog.set_level(logging.WARNING, logger="edge_bridge.pairing_api")
    clock = _Clock()
    guard = PairingGuard(per_source=3, ceiling=6, window_s=600, clock=clock)
    object.__setattr__(bridge.access, "guard", guard)  # a smaller ceiling and a test clock
    code = bridge.access.pairing.new_code()
    for source in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        for _ in range(2):
            status, _, _ = await request_pairing(bridge, b"guess-guess", source=source)
            assert status == 401
    status, body, _ = await request_pairing(bridge, code.secret)  # from 127.0.0.1
    assert status == 429
    assert "too many failed pairing attempts from all addresses" in str(body)
    assert "pairing refused for everyone" in caplog.text
    assert "6 failed attempts from 3 source(s)" in caplog.text
    clock.now += 600  # the lockout expires
    await _paired(bridge, code.secret)


async def test_address_lockout_expires(bridge: Bridge) -> None:
    clock = _Clock()
    guard = PairingGuard(per_source=2, ceiling=100, window_s=600, clock=clock)
    object.__setattr__(bridge.access, "guard", guard)
    code = bridge.access.pairing.new_code()
    for _ in range(2):
        status, _, _ = await request_pairing(bridge, b"guess-guess", source=GUESSER)
        assert status == 401
    status, _, _ = await request_pairing(bridge, code.secret, source=GUESSER)
    assert status == 429
    clock.now += 599
    status, body, _ = await request_pairing(bridge, code.secret, source=GUESSER)
    assert status == 429
    assert "try again in 1 minute(s)" in str(body)
    clock.now += 1
    await _paired(bridge, code.secret, source=GUESSER)


@pytest.mark.parametrize(
    "body",
    [b"", b"[]", b"{}", b'{"client_name": "x", "nonce": "short", "proof": "00"}', b"\xff" * 10],
    ids=["empty", "list", "no-fields", "bad-fields", "not-json"],
)
async def test_malformed_pairing_requests_are_400(bridge: Bridge, body: bytes) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"https://127.0.0.1:{bridge.api_port}/api/v1/pair",
            data=body,
            headers={"Content-Type": "application/json"},
            ssl=pinned(bridge),
        ) as response,
    ):
        assert response.status == 400
        assert (await response.json())["error"] == "bad_request"


async def test_legacy_key_file_migrates_once(bridge: Bridge) -> None:
    legacy = bridge.config.data_dir / LEGACY_KEY_FILE
    legacy.write_text(LEGACY_KEY + "\n")
    credentials = await _paired(bridge, LEGACY_KEY.encode())
    assert not legacy.exists()
    assert await _get(bridge, "/api/v1/info", credentials.api_token) == 200
    # The legacy key no longer opens anything: not as a bearer token, not as a pairing secret.
    assert await _get(bridge, "/api/v1/info", LEGACY_KEY) == 401
    status, _, _ = await request_pairing(bridge, LEGACY_KEY.encode())
    assert status == 401


async def test_rotation_retires_the_old_credentials_at_first_use(bridge: Bridge) -> None:
    old = await _paired(bridge, bridge.access.pairing.new_code().secret)
    status, body = await _call(bridge, "POST", ROTATE_PATH, old.api_token)
    assert status == 200
    new = PairedCredentials.from_wire(body["credentials"])  # type: ignore[index]
    assert new.client_id == old.client_id
    assert new.api_token != old.api_token
    assert new.engine_access_key_id != old.engine_access_key_id
    # Until the new token is used, the old one still works (an answer lost on the way back
    # must not lock the client out) ...
    assert await _get(bridge, "/api/v1/info", old.api_token) == 200
    assert await _get(bridge, "/api/v1/info", new.api_token) == 200
    # ... after that, the old token and the old engine key are gone.
    assert await _get(bridge, "/api/v1/info", old.api_token) == 401
    with pytest.raises(ClientError) as refused:
        await _collections(bridge, old)
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert await _collections(bridge, new) == []


async def test_revoking_own_credentials_and_from_the_command_line(bridge: Bridge) -> None:
    first = await _paired(bridge, bridge.access.pairing.new_code().secret)
    second = await _paired(bridge, bridge.access.pairing.new_code().secret)
    status, _ = await _call(bridge, "DELETE", CREDENTIALS_PATH, first.api_token)
    assert status == 204
    assert await _get(bridge, "/api/v1/info", first.api_token) == 401
    # Another process (``--revoke``) edits the file; the running bridge follows it.
    assert ClientRegistry(bridge.config.data_dir).revoke(second.client_id)
    assert await _get(bridge, "/api/v1/info", second.api_token) == 401
    with pytest.raises(ClientError) as refused:
        await _collections(bridge, second)
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"


def _plain_http_answer(port: int) -> bytes:
    """What a server sends back to a plain-HTTP request (b"" when it just closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=GUARD_S) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: bridge\r\nContent-Length: 2\r\n\r\n{}")
        return sock.recv(1024)


async def test_api_and_engine_speak_only_tls(bridge: Bridge) -> None:
    credentials = await _paired(bridge, bridge.access.pairing.new_code().secret)
    for port in (bridge.api_port, bridge.engine_port):
        assert port is not None
        answer = await asyncio.to_thread(_plain_http_answer, port)
        assert not answer.startswith(b"HTTP/")
    # And a client that checks certificates the usual way does not trust a self-made one.
    with pytest.raises(SSLError):
        await _collections(bridge, credentials, verify=True)


async def test_refusals_are_counted_and_logged_once(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    """A client hammering with a wrong token costs one log line a minute, and shows in /metrics."""
    before = REFUSALS.get("api", "auth")
    with caplog.at_level(logging.WARNING, logger="edge_bridge.auth"):
        for _ in range(50):
            assert await _get(bridge, "/api/v1/info", "not-a-token") == 401
    assert REFUSALS.get("api", "auth") - before == 50
    lines = [r for r in caplog.records if "unknown API token" in r.getMessage()]
    assert len(lines) <= 1
