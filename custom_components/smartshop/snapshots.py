"""Match snapshots and watchlist reference photos, encrypted at rest.

Only two kinds of image are ever stored: the crop of a face that *matched* a watchlist entry (an
incident's evidence, deleted with the incident) and the photos of a watchlist entry: its
reference (the enrolment photo, shown to staff) and one copy of every photo by face id, so the
collections can be re-embedded from them later; all deleted with the entry, a photo also when
staff remove it. A face that matches nothing is never written anywhere.
Files are Fernet-encrypted (AES-128-CBC + HMAC-SHA256) with a key kept in Home Assistant's private
storage, and written atomically.

The key can be replaced (``key_rotation``): the storage then holds a list of keys, newest first.
New files are encrypted with the newest; a file decrypts with any key in the list, so while a
rotation re-encrypts the files (or after it was interrupted) every image stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
import os
from pathlib import Path
import re
import tempfile
import threading
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER

_IDENT: Final = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_SUFFIX: Final = ".jpg.enc"
KEY_STORAGE: Final = f"{DOMAIN}.snapshot_key"
DATA_SNAPSHOTS: HassKey[SnapshotStore] = HassKey(f"{DOMAIN}_snapshots")


class SnapshotKind(StrEnum):
    """What a stored image is."""

    INCIDENT = "incident"
    REFERENCE = "reference"  # by person id: the photo staff see next to an alert
    PHOTO = "photo"  # by face id: every photo of a watchlist entry


class Reencrypted(StrEnum):
    """What re-encrypting one stored image did."""

    DONE = "done"
    UNREADABLE = "unreadable"  # no key in the list decrypts it; left as it was
    GONE = "gone"  # deleted since it was listed


class SnapshotStore:
    """Blocking API over the encrypted image folder; call it from an executor.

    Writes, deletions, re-encryptions and a change of keys take one lock, so a rotation never
    writes back an image that was replaced or deleted meanwhile, and a file written with a key
    about to be dropped is finished before the rotation lists the files.
    """

    def __init__(self, root: Path, keys: Sequence[bytes]) -> None:
        """Use ``root`` (created on first write) with Fernet keys, newest first."""
        self.root = root
        self._lock = threading.Lock()
        self._fernet = _multi_fernet(keys)

    def use_keys(self, keys: Sequence[bytes]) -> None:
        """Encrypt with the first of ``keys`` from now on and decrypt with any of them."""
        fernet = _multi_fernet(keys)
        with self._lock:
            self._fernet = fernet

    def _path(self, kind: SnapshotKind, ident: str) -> Path:
        if not _IDENT.match(ident):
            raise ValueError("snapshot ids are UUIDs")
        return self.root / str(kind) / f"{ident}{_SUFFIX}"

    def save(self, kind: SnapshotKind, ident: str, jpeg: bytes) -> None:
        """Encrypt and write atomically (temp file, fsync, rename)."""
        path = self._path(kind, ident)
        with self._lock:
            _write_atomically(path, self._fernet.encrypt(jpeg))

    def load(self, kind: SnapshotKind, ident: str) -> bytes | None:
        """Decrypt a stored image; None if absent or unreadable (a link is not followed)."""
        path = self._path(kind, ident)
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:  # absent, a link, unreadable
            return None
        with os.fdopen(descriptor, "rb") as handle:
            data = handle.read()
        try:
            return self._fernet.decrypt(data)
        except InvalidToken:
            LOGGER.warning("Stored %s image %s cannot be decrypted (wrong key?)", kind, ident)
            return None

    def delete(self, kind: SnapshotKind, ident: str) -> bool:
        """Delete a stored image; True if there was one."""
        path = self._path(kind, ident)
        with self._lock:
            try:
                path.unlink()
            except FileNotFoundError:
                return False
        return True

    def exists(self, kind: SnapshotKind, ident: str) -> bool:
        """True when an image is stored under this id (an id no file can have: False)."""
        try:
            return self._path(kind, ident).is_file()
        except ValueError:
            return False

    def stored(self) -> list[tuple[SnapshotKind, str]]:
        """Every stored image of every kind, as (kind, id)."""
        found: list[tuple[SnapshotKind, str]] = []
        for kind in SnapshotKind:
            folder = self.root / str(kind)
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob(f"*{_SUFFIX}")):
                ident = path.name.removesuffix(_SUFFIX)
                if _IDENT.match(ident):
                    found.append((kind, ident))
        return found

    def reencrypt(self, kind: SnapshotKind, ident: str) -> Reencrypted:
        """Re-encrypt one stored image with the newest key (atomically; the image is unchanged).

        A write error (disk full) is raised: the image is still readable with the old key.
        """
        path = self._path(kind, ident)
        with self._lock:
            try:
                token = path.read_bytes()
            except FileNotFoundError:
                return Reencrypted.GONE
            try:
                rotated = self._fernet.rotate(token)
            except InvalidToken:
                return Reencrypted.UNREADABLE
            _write_atomically(path, rotated)
        return Reencrypted.DONE


def _multi_fernet(keys: Sequence[bytes]) -> MultiFernet:
    if not keys:
        raise ValueError("at least one snapshot key is needed")
    return MultiFernet([Fernet(key) for key in keys])


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (0600) through a synced temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    Path(handle.name).chmod(0o600)
    Path(handle.name).replace(path)


def _key_store(hass: HomeAssistant) -> Store[dict[str, Any]]:
    return Store(hass, 1, KEY_STORAGE, private=True, atomic_writes=True)


async def async_load_keys(hass: HomeAssistant) -> list[bytes]:
    """The installation's snapshot keys, newest first; the first is created on first use.

    More than one key means a rotation has not finished.
    """
    data = await _key_store(hass).async_load()
    if data and data.get("keys"):
        return [str(key).encode() for key in data["keys"]]
    if data and "key" in data:
        return [str(data["key"]).encode()]
    keys = [Fernet.generate_key()]
    await async_save_keys(hass, keys)
    return keys


async def async_save_keys(hass: HomeAssistant, keys: Sequence[bytes]) -> None:
    """Persist the keys, newest first (``key`` alone is what a SmartShop before rotation read)."""
    await _key_store(hass).async_save(
        {"key": keys[0].decode(), "keys": [key.decode() for key in keys]}
    )
