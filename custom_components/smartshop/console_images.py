"""The console's image links: which images are still held, and links signed for one
connection's sign-in (they stop working with it, or after an hour)."""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.components.http.auth import async_sign_path
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.core import HomeAssistant

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
