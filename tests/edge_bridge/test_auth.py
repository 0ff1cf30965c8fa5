"""The bridge API key: generated once, stored 0600, configured keys win, compared safely."""

from __future__ import annotations

from pathlib import Path
import stat

import pytest

from edge_bridge.auth import ApiKey, ApiKeyError, key_path, load_or_create_key


def test_generated_key_is_stored_0600_and_reused(tmp_path: Path) -> None:
    data = tmp_path / "state"
    first = load_or_create_key(None, data)
    assert first.origin == "generated"
    assert len(first.value) >= 32
    path = key_path(data)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    second = load_or_create_key(None, data)
    assert second.origin == "file"
    assert second.value == first.value
    assert second.fingerprint == first.fingerprint != first.value[:12]


def test_configured_key_wins_and_loose_permissions_are_tightened(tmp_path: Path) -> None:
    assert load_or_create_key("configured-key-0123456789", tmp_path).origin == "configuration"
    assert not key_path(tmp_path).exists()
    key_path(tmp_path).write_text("stored-key-0123456789abcdef\n")
    key_path(tmp_path).chmod(0o644)
    key = load_or_create_key(None, tmp_path)
    assert key.value == "stored-key-0123456789abcdef"
    assert stat.S_IMODE(key_path(tmp_path).stat().st_mode) == 0o600


def test_damaged_key_file_is_an_error(tmp_path: Path) -> None:
    key_path(tmp_path).write_text("short\n")
    with pytest.raises(ApiKeyError, match="damaged"):
        load_or_create_key(None, tmp_path)


def test_key_comparison() -> None:
    key = ApiKey("the-right-key-0123456789", "configuration")
    assert key.matches("the-right-key-0123456789")
    assert not key.matches("the-right-key-012345678")
    assert not key.matches("")
    assert not key.matches("the-right-key-0123456789\udcff")
