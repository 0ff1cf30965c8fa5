"""Match snapshots and watchlist reference photos, encrypted at rest.

Only two kinds of image are ever stored: the crop of a face that *matched* a watchlist entry (an
incident's evidence, deleted with the incident) and the photos of a watchlist entry: its
reference (the enrolment photo, shown to staff) and one copy of every photo by face id, so the
collections can be re-embedded from them later; all deleted with the entry, a photo also when
staff remove it. A face that matches nothing is never written anywhere.
Files are Fernet-encrypted (AES-128-CBC + HMAC-SHA256) with a key kept in Home Assistant's private
storage, and written atomically.
"""

from __future__ import annotations

from enum import StrEnum
import os
from pathlib import Path
import re
import tempfile
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER

_IDENT: Final = re.compile(r"^[A-Za-z0-9-]{1,64}$")
KEY_STORAGE: Final = f"{DOMAIN}.snapshot_key"
DATA_SNAPSHOTS: HassKey[SnapshotStore] = HassKey(f"{DOMAIN}_snapshots")


class SnapshotKind(StrEnum):
    """What a stored image is."""

    INCIDENT = "incident"
    REFERENCE = "reference"  # by person id: the photo staff see next to an alert
    PHOTO = "photo"  # by face id: every photo of a watchlist entry


class SnapshotStore:
    """Blocking API over the encrypted image folder; call it from an executor."""

    def __init__(self, root: Path, key: bytes) -> None:
        """Use ``root`` (created on first write) with a Fernet key."""
        self.root = root
        self._fernet = Fernet(key)

    def _path(self, kind: SnapshotKind, ident: str) -> Path:
        if not _IDENT.match(ident):
            raise ValueError("snapshot ids are UUIDs")
        return self.root / str(kind) / f"{ident}.jpg.enc"

    def save(self, kind: SnapshotKind, ident: str, jpeg: bytes) -> None:
        """Encrypt and write atomically (temp file, fsync, rename)."""
        path = self._path(kind, ident)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = self._fernet.encrypt(jpeg)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(token)
            handle.flush()
            os.fsync(handle.fileno())
        Path(handle.name).chmod(0o600)
        Path(handle.name).replace(path)

    def load(self, kind: SnapshotKind, ident: str) -> bytes | None:
        """Decrypt a stored image; None if absent or unreadable."""
        path = self._path(kind, ident)
        try:
            return self._fernet.decrypt(path.read_bytes())
        except FileNotFoundError:
            return None
        except InvalidToken:
            LOGGER.warning("Stored %s image %s cannot be decrypted (wrong key?)", kind, ident)
            return None

    def delete(self, kind: SnapshotKind, ident: str) -> bool:
        """Delete a stored image; True if there was one."""
        try:
            self._path(kind, ident).unlink()
        except FileNotFoundError:
            return False
        return True


async def async_load_key(hass: HomeAssistant) -> bytes:
    """The installation's snapshot key, created on first use."""
    store: Store[dict[str, Any]] = Store(hass, 1, KEY_STORAGE, private=True, atomic_writes=True)
    data = await store.async_load()
    if data and "key" in data:
        return str(data["key"]).encode()
    key = Fernet.generate_key()
    await store.async_save({"key": key.decode()})
    return key
