"""Rotating the snapshot key: every image re-encrypted, the old key useless, no image lost when a
rotation is interrupted, and an interrupted rotation finished at the next start."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import patch
import uuid

from cryptography.fernet import Fernet, InvalidToken
from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.smartshop.const import DOMAIN
from custom_components.smartshop.database import audit_log
from custom_components.smartshop.key_rotation import DATA_ROTATION_LOCK
from custom_components.smartshop.snapshots import (
    DATA_SNAPSHOTS,
    KEY_STORAGE,
    Reencrypted,
    SnapshotKind,
    SnapshotStore,
)

Images = dict[tuple[SnapshotKind, str], bytes]


def _images(count: int) -> Images:
    """``count`` distinct images spread over every kind."""
    kinds = list(SnapshotKind)
    return {
        (kinds[number % len(kinds)], str(uuid.uuid4())): f"jpeg {number} ".encode() * 40
        for number in range(count)
    }


def _stored_keys(hass_storage: dict[str, Any]) -> list[bytes]:
    return [key.encode() for key in hass_storage[KEY_STORAGE]["data"]["keys"]]


def _snapshot_root(hass: HomeAssistant) -> Path:
    return Path(hass.config.path(DOMAIN, "snapshots"))


def _files(root: Path) -> list[Path]:
    return sorted(root.glob("*/*.jpg.enc"))


def _decrypts_with(root: Path, key: bytes) -> list[bool]:
    """For each stored file: does ``key`` alone decrypt it?"""
    fernet = Fernet(key)
    readable = []
    for path in _files(root):
        try:
            fernet.decrypt(path.read_bytes())
        except InvalidToken:
            readable.append(False)
        else:
            readable.append(True)
    return readable


def _read_all(snapshots: SnapshotStore, images: Images) -> Images:
    return {(kind, ident): snapshots.load(kind, ident) or b"" for kind, ident in images}


def _save_all(snapshots: SnapshotStore, images: Images) -> None:
    for (kind, ident), jpeg in images.items():
        snapshots.save(kind, ident, jpeg)


@pytest.fixture
async def images(hass: HomeAssistant) -> Images:
    """SmartShop set up, with 120 images stored under its first key."""
    assert await async_setup_component(hass, DOMAIN, {})
    stored = _images(120)
    await hass.async_add_executor_job(_save_all, hass.data[DATA_SNAPSHOTS], stored)
    return stored


async def _rotate(hass: HomeAssistant, user: User) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "rotate_snapshot_key",
        {},
        blocking=True,
        return_response=True,
        context=Context(user_id=user.id),
    )
    assert response is not None
    return dict(response)


async def test_images_read_back_identical_under_the_new_key_only(
    hass: HomeAssistant, hass_storage: dict[str, Any], hass_admin_user: User, images: Images
) -> None:
    root = _snapshot_root(hass)
    (old,) = _stored_keys(hass_storage)
    # One file no key decrypts (written by something else): counted as failed, left alone.
    unreadable = root / "incident" / f"{uuid.uuid4()}.jpg.enc"
    await hass.async_add_executor_job(unreadable.write_bytes, b"not a fernet token")
    progress = async_capture_events(hass, "smartshop_key_rotation_progress")

    response = await _rotate(hass, hass_admin_user)

    assert response == {"files_reencrypted": 120, "failed": 1}
    (new,) = _stored_keys(hass_storage)
    assert new != old
    snapshots = hass.data[DATA_SNAPSHOTS]
    assert await hass.async_add_executor_job(_read_all, snapshots, images) == images
    fresh = SnapshotStore(root, [new])  # as after a restart
    assert await hass.async_add_executor_job(_read_all, fresh, images) == images
    old_reads = await hass.async_add_executor_job(_decrypts_with, root, old)
    assert old_reads == [False] * 121
    assert [event.data for event in progress] == [
        {"done": 50, "total": 121},
        {"done": 100, "total": 121},
        {"done": 121, "total": 121},
    ]
    assert await hass.async_add_executor_job(unreadable.read_bytes) == b"not a fernet token"
    (row,) = await hass.async_add_executor_job(audit_log(hass).entries)
    assert row.action == "key_rotated"
    assert row.details == {"files": 120, "failed": 1, "resumed": False}
    assert row.actor == f"{hass_admin_user.name} ({hass_admin_user.id})"


async def test_images_saved_after_rotation_use_the_new_key(
    hass: HomeAssistant, hass_storage: dict[str, Any], hass_admin_user: User, images: Images
) -> None:
    """The running store takes the new key without a restart."""
    await _rotate(hass, hass_admin_user)
    (new,) = _stored_keys(hass_storage)
    later = _images(3)
    await hass.async_add_executor_job(_save_all, hass.data[DATA_SNAPSHOTS], later)
    fresh = SnapshotStore(_snapshot_root(hass), [new])
    assert await hass.async_add_executor_job(_read_all, fresh, later | images) == later | images


async def test_an_interrupted_rotation_loses_no_image(
    hass: HomeAssistant, hass_storage: dict[str, Any], hass_admin_user: User, images: Images
) -> None:
    """The keys are saved, some files re-encrypted, then a write fails (disk full): both keys are
    kept, every image reads (in the running store and after a restart), the next call finishes."""
    (old,) = _stored_keys(hass_storage)
    original = SnapshotStore.reencrypt
    calls = 0

    def fail_after_ten(store: SnapshotStore, kind: SnapshotKind, ident: str) -> Reencrypted:
        nonlocal calls
        calls += 1
        if calls > 10:
            raise OSError(28, "No space left on device")
        return original(store, kind, ident)

    with (
        patch.object(SnapshotStore, "reencrypt", fail_after_ten),
        pytest.raises(HomeAssistantError, match="No space left"),
    ):
        await _rotate(hass, hass_admin_user)

    keys = _stored_keys(hass_storage)
    assert len(keys) == 2
    assert keys[1] == old
    root = _snapshot_root(hass)
    assert (await hass.async_add_executor_job(_decrypts_with, root, old)).count(True) == 110
    snapshots = hass.data[DATA_SNAPSHOTS]
    assert await hass.async_add_executor_job(_read_all, snapshots, images) == images
    restarted = SnapshotStore(root, keys)
    assert await hass.async_add_executor_job(_read_all, restarted, images) == images

    assert await _rotate(hass, hass_admin_user) == {"files_reencrypted": 120, "failed": 0}
    (newest,) = _stored_keys(hass_storage)
    assert newest not in keys
    assert await hass.async_add_executor_job(_read_all, snapshots, images) == images
    for key in keys:
        assert not any(await hass.async_add_executor_job(_decrypts_with, root, key))


async def test_an_interrupted_rotation_finishes_at_the_next_start(
    hass: HomeAssistant, hass_storage: dict[str, Any], tmp_path: Path
) -> None:
    """A restart after the keys were saved but before any file was re-encrypted."""
    old, new = Fernet.generate_key(), Fernet.generate_key()
    images = _images(7)
    _save_all(SnapshotStore(tmp_path / DOMAIN / "snapshots", [old]), images)
    hass_storage[KEY_STORAGE] = {
        "version": 1,
        "minor_version": 1,
        "key": KEY_STORAGE,
        "data": {"key": new.decode(), "keys": [new.decode(), old.decode()]},
    }

    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done(wait_background_tasks=True)

    assert _stored_keys(hass_storage) == [new]
    root = _snapshot_root(hass)
    assert await hass.async_add_executor_job(_decrypts_with, root, new) == [True] * 7
    assert not any(await hass.async_add_executor_job(_decrypts_with, root, old))
    snapshots = hass.data[DATA_SNAPSHOTS]
    assert await hass.async_add_executor_job(_read_all, snapshots, images) == images
    (row,) = await hass.async_add_executor_job(audit_log(hass).entries)
    assert row.action == "key_rotated"
    assert row.actor == "system"
    assert row.details == {"files": 7, "failed": 0, "resumed": True}


async def test_a_key_saved_before_rotation_existed_still_loads(
    hass: HomeAssistant, hass_storage: dict[str, Any], tmp_path: Path
) -> None:
    """The storage of a SmartShop before rotation holds one ``key``; its images stay readable."""
    key = Fernet.generate_key()
    images = _images(3)
    _save_all(SnapshotStore(tmp_path / DOMAIN / "snapshots", [key]), images)
    hass_storage[KEY_STORAGE] = {
        "version": 1,
        "minor_version": 1,
        "key": KEY_STORAGE,
        "data": {"key": key.decode()},
    }
    assert await async_setup_component(hass, DOMAIN, {})
    snapshots = hass.data[DATA_SNAPSHOTS]
    assert await hass.async_add_executor_job(_read_all, snapshots, images) == images


@pytest.mark.usefixtures("images")
async def test_rotation_is_for_administrators(
    hass: HomeAssistant, hass_storage: dict[str, Any], hass_read_only_user: User
) -> None:
    keys = _stored_keys(hass_storage)
    with pytest.raises(Unauthorized):
        await _rotate(hass, hass_read_only_user)
    assert _stored_keys(hass_storage) == keys


@pytest.mark.usefixtures("images")
async def test_one_rotation_at_a_time(
    hass: HomeAssistant, hass_storage: dict[str, Any], hass_admin_user: User
) -> None:
    keys = _stored_keys(hass_storage)
    async with hass.data[DATA_ROTATION_LOCK]:
        with pytest.raises(ServiceValidationError) as raised:
            await _rotate(hass, hass_admin_user)
    assert raised.value.translation_key == "key_rotation_running"
    assert _stored_keys(hass_storage) == keys


async def test_rotation_never_brings_back_a_deleted_image(
    hass: HomeAssistant, images: Images
) -> None:
    """An image deleted after the rotation listed it stays deleted."""
    snapshots = hass.data[DATA_SNAPSHOTS]
    kind, ident = next(iter(images))
    assert await hass.async_add_executor_job(snapshots.delete, kind, ident)
    outcome = await hass.async_add_executor_job(snapshots.reencrypt, kind, ident)
    assert outcome is Reencrypted.GONE
    assert await hass.async_add_executor_job(snapshots.load, kind, ident) is None
