"""The HTTP view that serves match snapshots, reference photos and kept photos to staff.

Each request is checked against the permission table (``permissions.py``) for the store the
image belongs to: administrators, and staff of that store. Alerts carry short-lived *signed*
paths (Home Assistant's ``authSig``), so a phone notification can show the image without a token
and the link stops working after it expires; such a link counts only when its signature is valid
for exactly that path, and then acts as whom it was signed for (the integration's own alert
links, or the console's user).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Final

from aiohttp import web
from homeassistant.components.http.auth import async_sign_path
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from .permissions import (
    VIEW_SNAPSHOT,
    VIEWS,
    is_allowed,
    request_user,
    signed_by_integration,
    signed_request_user,
)
from .snapshots import SnapshotKind, SnapshotStore

# The store an image belongs to (None: no store holds it), handed in by the integration.
type ImageStoreLocator = Callable[[SnapshotKind, str], Awaitable[str | None]]

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
    name = VIEW_SNAPSHOT
    requires_auth = True

    def __init__(self, store: SnapshotStore, store_of: ImageStoreLocator) -> None:
        """Serve images from one snapshot store; ``store_of`` says whose each image is."""
        self._store = store
        self._store_of = store_of

    async def get(self, request: web.Request, kind: str, ident: str) -> web.Response:
        """Return the JPEG; 403 for a user without access to its store; 404 for anything else."""
        try:
            snapshot_kind = SnapshotKind(kind)
        except ValueError:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        hass = request.app[KEY_HASS]
        if not signed_by_integration(hass, request):
            store_id = await self._store_of(snapshot_kind, ident)
            if store_id is None:
                return web.Response(status=HTTPStatus.NOT_FOUND)
            who = signed_request_user(hass, request) or request_user(request)
            if who is None or not is_allowed(hass, VIEWS[VIEW_SNAPSHOT], who, store_id):
                return web.Response(status=HTTPStatus.FORBIDDEN)
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
