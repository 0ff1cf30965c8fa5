"""A store's live link to its edge bridge: one event subscription with reconnect and backoff."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import aclosing
import time
from typing import Final

from homeassistant.core import HomeAssistant

from .bridge_client import (
    BridgeAuthError,
    BridgeCertificateError,
    BridgeClient,
    BridgeConnectionError,
    BridgeError,
    wait_backoff,
)
from .bridge_protocol import BridgeInfo, FaceEvent
from .const import LOGGER

# Event ids remembered to drop replays after a reconnect (the bridge replays recent events).
SEEN_EVENTS: Final = 1000
# On reconnect, ask for events since the last one minus this margin (clock jitter).
REPLAY_MARGIN_S: Final = 2.0

type FaceHandler = Callable[[FaceEvent], Awaitable[None]]


class BridgeConnection:
    """Keeps the event subscription alive, hands each face event to the store's sighting
    service, and tells entities whether the bridge is there."""

    def __init__(self, hass: HomeAssistant, client: BridgeClient, info: BridgeInfo) -> None:
        """Wrap a client whose key was just checked (``info`` came from it)."""
        self.hass = hass
        self.client = client
        self.info = info
        self.connected = False
        self.auth_failed = False
        self._listeners: list[Callable[[], None]] = []
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._last_event_at: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._on_auth_failed: Callable[[BridgeError], None] | None = None
        self._on_cameras_changed: Callable[[], None] | None = None

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call listener when the connection goes up or down."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def start(
        self,
        *,
        on_face: FaceHandler,
        on_auth_failed: Callable[[BridgeError], None],
        on_cameras_changed: Callable[[], None],
    ) -> None:
        """Subscribe in the background (until stop); every new face event goes to on_face.

        on_auth_failed gets the error that ended the subscription: credentials refused, or a
        certificate that is not the paired one.
        """
        self._on_auth_failed = on_auth_failed
        self._on_cameras_changed = on_cameras_changed
        self._task = self.hass.async_create_background_task(
            self._run(on_face), f"smartshop bridge {self.info.bridge_id}"
        )

    async def stop(self) -> None:
        """Close the subscription."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._set_connected(False, quiet=True)

    async def _run(self, on_face: FaceHandler) -> None:
        attempt = 0
        while True:
            since = None if self._last_event_at is None else self._last_event_at - REPLAY_MARGIN_S
            try:
                events = self.client.face_events(
                    since=since, on_connected=lambda: self._set_connected(True)
                )
                async with aclosing(events):  # closes the WebSocket even when cancelled
                    async for event in events:
                        attempt = 0
                        await self._dispatch(event, on_face)
            except (BridgeAuthError, BridgeCertificateError) as err:
                self.auth_failed = True
                self._set_connected(False)
                LOGGER.error("Bridge %s: %s", self.info.bridge_id, err)
                if self._on_auth_failed is not None:
                    self._on_auth_failed(err)
                return
            except BridgeConnectionError as err:
                self._set_connected(False, reason=str(err))
            attempt += 1
            await wait_backoff(attempt)
            if not self.connected:
                await self._probe()

    async def _probe(self) -> None:
        """Between attempts, an /info call marks the bridge up as soon as it answers."""
        try:
            info = await self.client.info()
        except BridgeError:
            return
        cameras_changed = {c.camera_id for c in info.cameras} != {
            c.camera_id for c in self.info.cameras
        }
        self.info = info
        self._set_connected(True)
        if cameras_changed and self._on_cameras_changed is not None:
            LOGGER.info("Bridge %s has a new camera list; reloading the store", info.bridge_id)
            self._on_cameras_changed()

    async def _dispatch(self, event: FaceEvent, on_face: FaceHandler) -> None:
        if event.event_id in self._seen:
            return  # a replay of an event already handled
        self._seen[event.event_id] = None
        if len(self._seen) > SEEN_EVENTS:
            self._seen.popitem(last=False)
        self._last_event_at = max(self._last_event_at or 0.0, event.emitted_at)
        try:
            await on_face(event)
        except Exception:  # one bad event must not end the subscription
            LOGGER.exception("Face event %s from %s failed", event.event_id, event.camera_id)

    def _set_connected(self, connected: bool, *, reason: str = "", quiet: bool = False) -> None:
        if connected == self.connected:
            return
        self.connected = connected
        if not quiet:
            if connected:
                LOGGER.info("Bridge %s connected", self.info.bridge_id)
            else:
                LOGGER.warning("Bridge %s disconnected: %s", self.info.bridge_id, reason or "-")
        for listener in list(self._listeners):
            listener()

    @property
    def seconds_since_event(self) -> float | None:
        """For diagnostics: how long since the last face event."""
        return None if self._last_event_at is None else time.time() - self._last_event_at
