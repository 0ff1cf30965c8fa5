"""Client for a SmartShop edge bridge's API (no Home Assistant imports).

The bridge pushes one face crop per person-visit over a WebSocket and serves snapshots and MJPEG
streams per camera. Every request carries the bridge's pairing key as ``Authorization: Bearer``.
What goes over the wire (paths, messages, the engine key id) is defined in ``bridge_protocol``,
which the bridge itself uses too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import json
import logging
from typing import Final

import aiohttp

from .bridge_protocol import (
    API_PREFIX,
    FACE_EVENT_TYPE,
    BridgeInfo,
    FaceEvent,
    ProtocolError,
    snapshot_path,
    stream_path,
)

_LOGGER = logging.getLogger(__name__)

REQUEST_TIMEOUT: Final = aiohttp.ClientTimeout(total=10, connect=3)
# A bridge pings its event stream every 20 s; silent this long, the client asks with a "ping"
# of its own, and a second silence ends the stream. The waits live in the reading task itself
# (no timers of the WebSocket's own to outlive it when the store unloads).
WS_IDLE_S: Final = 30.0


class BridgeError(Exception):
    """Base error talking to a bridge."""


class BridgeAuthError(BridgeError):
    """The bridge refused the pairing key (wrong or revoked)."""


class BridgeConnectionError(BridgeError):
    """The bridge could not be reached, or answered nonsense."""


class BridgeClient:
    """Talks to one bridge over an aiohttp session owned by the caller."""

    def __init__(self, session: aiohttp.ClientSession, host: str, port: int, api_key: str) -> None:
        """Point at a bridge; nothing is sent yet."""
        self._session = session
        self.host = host
        self.port = port
        self._api_key = api_key

    def __repr__(self) -> str:
        """Never show the key."""
        return f"BridgeClient({self.base_url})"

    @property
    def base_url(self) -> str:
        """``http://host:port`` (IPv6 hosts bracketed)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"}

    def stream_url(self, camera_id: str) -> str:
        """The camera's MJPEG stream (needs the Authorization header)."""
        return f"{self.base_url}{stream_path(camera_id)}"

    async def _get(self, path: str) -> aiohttp.ClientResponse:
        try:
            response = await self._session.get(
                f"{self.base_url}{path}", headers=self._headers, timeout=REQUEST_TIMEOUT
            )
        except (aiohttp.ClientError, TimeoutError) as err:
            raise BridgeConnectionError(f"{self.base_url} unreachable: {err!r}") from err
        if response.status == 401:
            response.release()
            raise BridgeAuthError("the bridge refused the pairing key")
        if response.status >= 400:
            text = await response.text()
            raise BridgeConnectionError(f"{path}: HTTP {response.status} {text[:200]}")
        return response

    async def info(self) -> BridgeInfo:
        """The bridge's id, version, cameras and engine port; proves the key works."""
        response = await self._get(f"{API_PREFIX}/info")
        try:
            return BridgeInfo.from_wire(await response.json())
        except (aiohttp.ContentTypeError, json.JSONDecodeError, ProtocolError) as err:
            raise BridgeConnectionError(f"not a SmartShop bridge at {self.base_url}") from err

    async def snapshot(self, camera_id: str, width: int | None = None) -> bytes:
        """The camera's latest frame as JPEG."""
        query = f"?width={width}" if width else ""
        response = await self._get(f"{snapshot_path(camera_id)}{query}")
        try:
            return await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise BridgeConnectionError(f"snapshot of {camera_id} failed: {err!r}") from err

    async def open_stream(self, camera_id: str) -> aiohttp.ClientResponse:
        """Open the camera's MJPEG stream; the caller reads and releases it."""
        try:
            response = await self._session.get(
                self.stream_url(camera_id),
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=None, connect=3, sock_read=30),
            )
        except (aiohttp.ClientError, TimeoutError) as err:
            raise BridgeConnectionError(f"stream of {camera_id} failed: {err!r}") from err
        if response.status == 401:
            response.release()
            raise BridgeAuthError("the bridge refused the pairing key")
        if response.status != 200:
            response.release()
            raise BridgeConnectionError(f"stream of {camera_id}: HTTP {response.status}")
        return response

    async def face_events(
        self, since: float | None = None, on_connected: Callable[[], None] | None = None
    ) -> AsyncGenerator[FaceEvent]:
        """Yield live face events until the connection drops (BridgeConnectionError).

        ``since`` asks the bridge to replay events emitted after that time first, so a short
        disconnection loses nothing; callers de-duplicate by event id.
        """
        query = f"?since={since:.3f}" if since else ""
        try:
            ws = await self._session.ws_connect(
                f"{self.base_url}{API_PREFIX}/events{query}",
                headers=self._headers,
                timeout=aiohttp.ClientWSTimeout(ws_close=5),
            )
        except aiohttp.WSServerHandshakeError as err:
            if err.status == 401:
                raise BridgeAuthError("the bridge refused the pairing key") from err
            raise BridgeConnectionError(f"event stream refused: HTTP {err.status}") from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise BridgeConnectionError(f"event stream unreachable: {err!r}") from err
        if on_connected is not None:
            on_connected()
        try:
            silences = 0
            while True:
                try:
                    message = await ws.receive(timeout=WS_IDLE_S)
                except TimeoutError:
                    silences += 1
                    if silences > 1:
                        raise BridgeConnectionError("event stream went silent") from None
                    await ws.send_str("ping")
                    continue
                silences = 0
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                data = json.loads(message.data)
                if data.get("type") == FACE_EVENT_TYPE:
                    try:
                        yield FaceEvent.from_wire(data)
                    except ProtocolError as err:
                        _LOGGER.warning(
                            "Ignoring a malformed event from %s: %s", self.base_url, err
                        )
        except (aiohttp.ClientError, json.JSONDecodeError) as err:
            raise BridgeConnectionError(f"event stream broke: {err!r}") from err
        finally:
            await ws.close()
        raise BridgeConnectionError("event stream closed by the bridge")


async def wait_backoff(attempt: int, *, first: float = 1.0, cap: float = 15.0) -> None:
    """Sleep before reconnect attempt number ``attempt`` (1, 2, 4 … seconds, capped)."""
    await asyncio.sleep(min(cap, first * 2 ** max(attempt - 1, 0)))
