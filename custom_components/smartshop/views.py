"""The HTTP view that serves match snapshots and reference photos to staff.

It requires authentication like any Home Assistant API; alerts carry short-lived *signed* paths
(Home Assistant's ``authSig``), so a phone notification can show the image without a token and the
link stops working after it expires.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from aiohttp import web
from homeassistant.components.http.auth import async_sign_path
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from .const import DOMAIN
from .snapshots import SnapshotKind, SnapshotStore

URL_TEMPLATE: Final = "/api/smartshop/snapshot/{kind}/{ident}"
SIGNED_URL_LIFETIME: Final = timedelta(hours=1)


def snapshot_path(kind: SnapshotKind, ident: str) -> str:
    """The unsigned path of a stored image."""
    return URL_TEMPLATE.format(kind=kind, ident=ident)


def signed_snapshot_url(hass: HomeAssistant, kind: SnapshotKind, ident: str) -> str:
    """A relative URL that works without a token until it expires (for notifications)."""
    return async_sign_path(
        hass, snapshot_path(kind, ident), SIGNED_URL_LIFETIME, use_content_user=True
    )


class SnapshotView(HomeAssistantView):
    """GET a stored image (decrypted on the fly)."""

    url = URL_TEMPLATE
    name = f"api:{DOMAIN}:snapshot"
    requires_auth = True

    def __init__(self, store: SnapshotStore) -> None:
        """Serve images from one store."""
        self._store = store

    async def get(self, request: web.Request, kind: str, ident: str) -> web.Response:
        """Return the JPEG, or 404."""
        try:
            snapshot_kind = SnapshotKind(kind)
        except ValueError:
            return web.Response(status=404)
        hass = request.app[KEY_HASS]
        try:
            data = await hass.async_add_executor_job(self._store.load, snapshot_kind, ident)
        except ValueError:
            return web.Response(status=404)
        if data is None:
            return web.Response(status=404)
        return web.Response(
            body=data,
            content_type="image/jpeg",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )
