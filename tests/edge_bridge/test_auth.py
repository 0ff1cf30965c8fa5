"""Access state of the bridge without a server: clients, rotation, pairing codes, the guard."""

from __future__ import annotations

import json
from pathlib import Path
import stat

import pytest

from edge_bridge.auth import (
    CLIENTS_FILE,
    LEGACY_KEY_FILE,
    PAIRING_FILE,
    AccessError,
    ClientRegistry,
    EngineCredentials,
    Lockout,
    Pairing,
    PairingGuard,
    pairing_source,
)
from edge_bridge.protocol import PairingCode

PIN = bytes(range(32))


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_registry_stores_only_token_digests_privately(tmp_path: Path) -> None:
    registry = ClientRegistry(tmp_path / "data")
    credentials = registry.issue("Home Assistant")
    path = tmp_path / "data" / CLIENTS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert credentials.api_token not in path.read_text()
    assert registry.authenticate(credentials.api_token) is not None
    assert registry.authenticate(credentials.api_token + "x") is None
    assert registry.authenticate("") is None
    # A second registry on the same directory (the command line) sees the same clients.
    other = ClientRegistry(tmp_path / "data")
    assert [c.client_id for c in other.clients()] == [credentials.client_id]
    assert credentials.engine_secret_access_key not in other.clients()[0].summary()


def test_rotation_ends_old_credentials_at_first_use_of_new(tmp_path: Path) -> None:
    registry = ClientRegistry(tmp_path)
    engine = EngineCredentials({"CONFIGURED": "configured-secret"}, registry)
    old = registry.issue("ha")
    new = registry.rotate(old.client_id)
    assert new is not None
    assert set(engine) == {
        "CONFIGURED",
        old.engine_access_key_id,
        new.engine_access_key_id,
    }
    assert registry.authenticate(old.api_token) is not None  # still valid: not yet confirmed
    assert registry.authenticate(new.api_token) is not None  # confirms, retires the old ones
    assert registry.authenticate(old.api_token) is None
    assert old.engine_access_key_id not in engine
    assert engine[new.engine_access_key_id] == new.engine_secret_access_key
    assert engine["CONFIGURED"] == "configured-secret"
    assert registry.rotate("no-such-client") is None
    assert "access keys" in repr(engine) and new.engine_secret_access_key not in repr(engine)


def test_revocation(tmp_path: Path) -> None:
    registry = ClientRegistry(tmp_path)
    first, second = registry.issue("a"), registry.issue("b")
    assert registry.revoke(first.client_id)
    assert not registry.revoke(first.client_id)
    assert registry.authenticate(first.api_token) is None
    assert registry.engine_secret(first.engine_access_key_id) is None
    assert registry.revoke_all() == 1
    assert registry.authenticate(second.api_token) is None


def test_damaged_clients_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / CLIENTS_FILE).write_text("{not json")
    with pytest.raises(AccessError, match="cannot read"):
        ClientRegistry(tmp_path).clients()
    (tmp_path / CLIENTS_FILE).write_text(json.dumps({"clients": [{"client_id": "x"}]}))
    with pytest.raises(AccessError, match="damaged"):
        ClientRegistry(tmp_path).clients()


def test_loose_permissions_are_tightened(tmp_path: Path) -> None:
    registry = ClientRegistry(tmp_path)
    registry.issue("ha")
    (tmp_path / CLIENTS_FILE).chmod(0o644)
    ClientRegistry(tmp_path).clients()
    assert stat.S_IMODE((tmp_path / CLIENTS_FILE).stat().st_mode) == 0o600


def test_pairing_code_is_single_use_and_expires(tmp_path: Path) -> None:
    clock = Clock()
    pairing = Pairing(tmp_path, PIN, clock=clock)
    assert pairing.current_code() is None
    code = pairing.new_code(ttl=600)
    assert code.matches_certificate(PIN)
    assert stat.S_IMODE((tmp_path / PAIRING_FILE).stat().st_mode) == 0o600
    assert pairing.code_or_new() == code  # the unused one is shown again
    assert [s.kind for s in pairing.secrets()] == ["code"]
    clock.now += 601
    assert pairing.current_code() is None
    assert pairing.secrets() == []
    fresh = pairing.code_or_new()
    assert fresh != code
    pairing.consume(pairing.secrets()[0])
    assert pairing.current_code() is None
    # A code made for another certificate (the certificate was replaced) is void.
    pairing.new_code()
    assert Pairing(tmp_path, bytes(32), clock=clock).current_code() is None


def test_typed_codes_are_forgiving_and_strict() -> None:
    code = PairingCode.new(PIN)
    text = str(code)
    assert PairingCode.parse(text.lower()) == code
    assert PairingCode.parse(text.replace("-", " ")) == code
    assert PairingCode.parse(text.replace("0", "O").replace("1", "I")) == code
    for bad in ("", text[:-1], text + "A", text.replace(text[0], "U")):
        with pytest.raises(ValueError, match="pairing code"):
            PairingCode.parse(bad)


def test_legacy_keys(tmp_path: Path) -> None:
    pairing = Pairing(tmp_path, PIN, legacy_configured=None)
    assert not pairing.has_legacy_key()
    (tmp_path / LEGACY_KEY_FILE).write_text("short\n")
    assert pairing.secrets() == []  # a damaged legacy key is ignored, not trusted
    (tmp_path / LEGACY_KEY_FILE).write_text("legacy-key-0123456789abcdef\n")
    assert [s.kind for s in pairing.secrets()] == ["legacy-file"]
    pairing.consume(pairing.secrets()[0])
    assert not (tmp_path / LEGACY_KEY_FILE).exists()
    configured = Pairing(tmp_path, PIN, legacy_configured="configured-legacy-key-0123")
    used = configured.secrets()[0]
    configured.consume(used)
    assert configured.secrets() == [used]  # stays while it is configured


def test_guard_locks_one_source_for_a_window_and_not_the_others() -> None:
    clock = Clock()
    guard = PairingGuard(per_source=3, ceiling=100, window_s=600, clock=clock)
    for number in range(3):
        assert guard.lockout("192.0.2.1") is None
        started = guard.failed("192.0.2.1")
        clock.now += 10
        assert (started is not None) == (number == 2)
    locked = guard.lockout("192.0.2.1")
    assert locked == Lockout(retry_after_s=570, everyone=False)  # the first failure + 600 s
    assert guard.lockout("192.0.2.2") is None  # another address still pairs
    clock.now += 569
    assert guard.lockout("192.0.2.1") == Lockout(retry_after_s=pytest.approx(1), everyone=False)
    clock.now += 1
    assert guard.lockout("192.0.2.1") is None  # the lockout expires with its oldest failure
    guard.failed("192.0.2.1")  # two still in the window, and this one
    assert guard.lockout("192.0.2.1") == Lockout(retry_after_s=pytest.approx(10), everyone=False)
    clock.now += 600
    assert guard.lockout("192.0.2.1") is None
    assert guard.sources() == 0  # nothing kept once the window has passed


def test_guard_ceiling_locks_everyone_and_expires() -> None:
    """Many addresses, each under its own limit: the ceiling bounds them all together."""
    clock = Clock()
    guard = PairingGuard(per_source=3, ceiling=10, window_s=600, clock=clock)
    started = [guard.failed(f"192.0.2.{n % 5}") for n in range(10)]
    assert started[:-1] == [None] * 9
    assert started[-1] == Lockout(retry_after_s=600, everyone=True)
    assert guard.sources() == 5
    for address in ("192.0.2.0", "198.51.100.7", "2001:db8::/64"):
        assert guard.lockout(address) == Lockout(retry_after_s=600, everyone=True)
    clock.now += 600
    assert guard.lockout("198.51.100.7") is None
    assert guard.sources() == 0


def test_guard_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="per_source"):
        PairingGuard(per_source=0)
    with pytest.raises(ValueError, match="per_source"):
        PairingGuard(per_source=20, ceiling=10)
    defaults = PairingGuard()
    assert (defaults.per_source, defaults.ceiling, defaults.window_s) == (10, 1000, 600.0)


@pytest.mark.parametrize(
    ("remote", "source"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),  # IPv4 on a dual-stack socket
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::99", "2001:db8:1:2::/64"),  # one host's /64 counts as one source
        ("fe80::1%eth0", "fe80::/64"),
        (None, "unknown"),
        ("", "unknown"),
    ],
)
def test_pairing_source(remote: str | None, source: str) -> None:
    assert pairing_source(remote) == source
