"""The console's image links: which images are still held, whose store each image belongs to,
and links signed for one connection's sign-in (they stop working with it, or after an hour)."""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.components.http.auth import async_sign_path
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.core import HomeAssistant

from .const import DOMAIN
from .data import SmartShopConfigEntry
from .snapshots import SnapshotKind, SnapshotStore
from .views import SIGNED_URL_LIFETIME, snapshot_path


def held_images(
    snapshots: SnapshotStore, incident_ids: Iterable[str], person_ids: Iterable[str]
) -> tuple[set[str], set[str]]:
    """(incidents with an evidence crop, people with a reference photo) of those asked about
    (blocking: run in an executor)."""
    return (
        {ident for ident in incident_ids if snapshots.exists(SnapshotKind.INCIDENT, ident)},
        {
            ident
            for ident in person_ids
            if ident and snapshots.exists(SnapshotKind.REFERENCE, ident)
        },
    )


async def async_image_store(hass: HomeAssistant, kind: SnapshotKind, ident: str) -> str | None:
    """The store an image belongs to: an evidence crop's incident's store, a reference photo's
    or kept photo's entry's store; None when no loaded store holds it."""
    stores: list[SmartShopConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    for entry in stores:
        if kind is SnapshotKind.INCIDENT:
            incident = await hass.async_add_executor_job(entry.runtime_data.incidents.get, ident)
            if incident is not None:
                return incident.store_id
            continue
        people = entry.runtime_data.watchlists.store
        if kind is SnapshotKind.REFERENCE and people.get(ident) is not None:
            return entry.entry_id
        if kind is SnapshotKind.PHOTO and any(
            ident in person.face_ids for person in people.people()
        ):
            return entry.entry_id
    return None


class ConnectionSigner:
    """Signs image paths for one WebSocket connection's sign-in."""

    def __init__(self, hass: HomeAssistant, connection: ActiveConnection) -> None:
        """Sign for this connection's refresh token."""
        self._hass = hass
        self._token = connection.refresh_token_id

    def __call__(self, kind: SnapshotKind, ident: str) -> str:
        """A signed relative link to a stored image."""
        return async_sign_path(
            self._hass,
            snapshot_path(kind, ident),
            SIGNED_URL_LIFETIME,
            refresh_token_id=self._token,
        )

    def resign(self, url: str | None, kind: SnapshotKind, ident: str | None) -> str | None:
        """A link an event carried, signed again for this connection (None stays None)."""
        return None if url is None or not ident else self(kind, ident)
