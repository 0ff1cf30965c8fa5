"""Client for a SmartShop edge bridge's API (no Home Assistant imports).

The bridge pushes one face crop per person-visit over a WebSocket and serves snapshots and MJPEG
streams per camera. Everything goes over HTTPS to the certificate the bridge made at its first
start, pinned by its SHA-256 (``aiohttp.Fingerprint``: no certificate authority is trusted, only
that certificate). Every request carries the client's own API token as ``Authorization: Bearer``.

Pairing (:func:`pair`) turns a pairing code into that token and an engine key pair: the code
carries the start of the certificate's pin, so a device that merely answers at the bridge's
address is refused before any secret is sent, and both sides prove they know the code's secret
without sending it. A bridge of the version before TLS (plain HTTP, one shared key) is still
reached in legacy mode (no pin) until it is updated. What goes over the wire is defined in
``bridge_protocol``, which the bridge itself uses too.

Tokens, secrets and pairing codes are never logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
import json
import logging
import ssl
from typing import Any, Final

import aiohttp

from .bridge_protocol import (
    API_PREFIX,
    CREDENTIALS_PATH,
    FACE_EVENT_TYPE,
    PAIR_PATH,
    ROTATE_PATH,
    BridgeInfo,
    FaceEvent,
    PairedCredentials,
    PairingCode,
    PairRequest,
    PairResponse,
    ProtocolError,
    bridge_proof,
    certificate_sha256,
    client_proof,
    footage_frame_path,
    footage_path,
    footage_timestamp,
    new_nonce,
    proofs_equal,
    snapshot_path,
    stream_path,
)

_LOGGER = logging.getLogger(__name__)

REQUEST_TIMEOUT: Final = aiohttp.ClientTimeout(total=10, connect=3)
# Reading a bridge's certificate (TCP connect plus TLS handshake) and asking whether an old
# bridge speaks plain HTTP instead.
CERTIFICATE_TIMEOUT_S: Final = 5.0
# A bridge pings its event stream every 20 s; silent this long, the client asks with a "ping"
# of its own, and a second silence ends the stream. The waits live in the reading task itself
# (no timers of the WebSocket's own to outlive it when the store unloads).
WS_IDLE_S: Final = 30.0


class BridgeError(Exception):
    """Base error talking to a bridge."""


class BridgeAuthError(BridgeError):
    """The bridge refused the client's credentials (wrong or revoked)."""


class PairingRefusedError(BridgeAuthError):
    """The bridge refused the pairing code: wrong, already used or expired."""


class PairingRateLimitedError(BridgeError):
    """The bridge refuses pairing for a while after too many failed attempts."""


class BridgeCertificateError(BridgeError):
    """The device at the bridge's address is not the bridge that was paired (or that made the
    pairing code): its certificate does not match the pin, or it could not prove it knows the
    pairing secret."""


class BridgeConnectionError(BridgeError):
    """The bridge could not be reached, or answered nonsense."""


class FootageUnavailableError(BridgeError):
    """The bridge keeps no footage of that camera (footage buffer off, or no such camera)."""


class BridgeNotTLSError(BridgeConnectionError):
    """The bridge answers plain HTTP: it runs the version before TLS and must be updated."""


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _ssl(cert_sha256: bytes | None) -> aiohttp.Fingerprint | bool:
    """What aiohttp checks: only the pinned certificate (no authority, no host name)."""
    return aiohttp.Fingerprint(cert_sha256) if cert_sha256 is not None else True


async def _error_message(response: aiohttp.ClientResponse) -> str:
    """The bridge's ``message`` (or the start of the body) for an error answer."""
    text = await response.text()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:200]
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])[:200]
    return text[:200]


class BridgeClient:
    """Talks to one bridge over an aiohttp session owned by the caller.

    ``cert_sha256`` is the pinned certificate: every request and the event stream go over HTTPS
    to that certificate only. None is the legacy mode of a bridge not yet updated to TLS (plain
    HTTP, ``token`` its old shared key).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        host: str,
        port: int,
        token: str,
        cert_sha256: bytes | None,
    ) -> None:
        """Point at a bridge; nothing is sent yet."""
        self._session = session
        self.host = host
        self.port = port
        self._token = token
        self.cert_sha256 = cert_sha256
        self._ssl = _ssl(cert_sha256)

    def __repr__(self) -> str:
        """Never show the token."""
        return f"BridgeClient({self.base_url})"

    @property
    def legacy(self) -> bool:
        """True for a bridge reached over plain HTTP (the version before TLS)."""
        return self.cert_sha256 is None

    @property
    def base_url(self) -> str:
        """``https://host:port`` (``http://`` in legacy mode; IPv6 hosts bracketed)."""
        scheme = "http" if self.legacy else "https"
        return f"{scheme}://{_url_host(self.host)}:{self.port}"

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def stream_url(self, camera_id: str) -> str:
        """The camera's MJPEG stream (needs the Authorization header and the pin)."""
        return f"{self.base_url}{stream_path(camera_id)}"

    def _certificate_error(self, err: aiohttp.ServerFingerprintMismatch) -> BridgeCertificateError:
        return BridgeCertificateError(
            f"the certificate at {self.base_url} is not the paired bridge's "
            f"(SHA-256 {err.got.hex()})"
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        client_timeout: aiohttp.ClientTimeout = REQUEST_TIMEOUT,
        ok: tuple[int, ...] = (200,),
    ) -> aiohttp.ClientResponse:
        try:
            response = await self._session.request(
                method,
                f"{self.base_url}{path}",
                headers=self._headers,
                timeout=client_timeout,
                ssl=self._ssl,
            )
        except aiohttp.ServerFingerprintMismatch as err:
            raise self._certificate_error(err) from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise BridgeConnectionError(f"{self.base_url} unreachable: {err!r}") from err
        if response.status == 401:
            response.release()
            raise BridgeAuthError("the bridge refused the credentials")
        if response.status not in ok:
            text = await response.text()
            raise BridgeConnectionError(f"{path}: HTTP {response.status} {text[:200]}")
        return response

    async def _get(self, path: str) -> aiohttp.ClientResponse:
        return await self._request("GET", path)

    async def info(self) -> BridgeInfo:
        """The bridge's id, version, cameras and engine port; proves the token works."""
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

    async def footage(self, camera_id: str, around: float, span: float) -> list[float]:
        """Capture times (epoch seconds) of the camera's recorded frames within ``span``
        seconds either side of ``around`` (the bridge bounds how many)."""
        query = f"?around={around:.3f}&span={span:g}"
        response = await self._request("GET", f"{footage_path(camera_id)}{query}", ok=(200, 404))
        try:
            data = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise BridgeConnectionError(f"footage of {camera_id} failed: {err!r}") from err
        if response.status == 404:
            raise FootageUnavailableError(
                str(data.get("message") if isinstance(data, dict) else "")
            )
        stamps = data.get("timestamps") if isinstance(data, dict) else None
        if not isinstance(stamps, list) or not all(
            isinstance(t, int | float) and not isinstance(t, bool) for t in stamps
        ):
            raise BridgeConnectionError(f"not a footage listing from {self.base_url}")
        return [float(t) for t in stamps]

    async def footage_frame(self, camera_id: str, timestamp: float) -> bytes | None:
        """The recorded frame captured at ``timestamp`` as JPEG; None if the bridge has no
        such frame (expired, or never recorded)."""
        path = footage_frame_path(camera_id, footage_timestamp(timestamp))
        response = await self._request("GET", path, ok=(200, 404))
        try:
            if response.status == 404:
                response.release()
                return None
            return await response.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise BridgeConnectionError(f"footage frame of {camera_id} failed: {err!r}") from err

    async def open_stream(self, camera_id: str) -> aiohttp.ClientResponse:
        """Open the camera's MJPEG stream; the caller reads and releases it."""
        try:
            return await self._request(
                "GET",
                stream_path(camera_id),
                client_timeout=aiohttp.ClientTimeout(total=None, connect=3, sock_read=30),
            )
        except BridgeConnectionError as err:
            raise BridgeConnectionError(f"stream of {camera_id} failed: {err}") from err

    async def rotate(self) -> PairedCredentials:
        """New credentials for this client; the current ones end when the new token is first
        used (so a client that never receives the answer keeps working)."""
        response = await self._request("POST", ROTATE_PATH)
        try:
            data = await response.json()
            return PairedCredentials.from_wire(data.get("credentials"))
        except (aiohttp.ClientError, ValueError, AttributeError) as err:
            raise BridgeConnectionError(f"not a rotation answer from {self.base_url}") from err

    async def revoke(self) -> None:
        """End this client's credentials on the bridge."""
        response = await self._request("DELETE", CREDENTIALS_PATH, ok=(200, 204))
        response.release()

    async def _connect_events(self, query: str) -> aiohttp.ClientWebSocketResponse:
        try:
            return await self._session.ws_connect(
                f"{self.base_url}{API_PREFIX}/events{query}",
                headers=self._headers,
                timeout=aiohttp.ClientWSTimeout(ws_close=5),
                ssl=self._ssl,
            )
        except aiohttp.ServerFingerprintMismatch as err:
            raise self._certificate_error(err) from err
        except aiohttp.WSServerHandshakeError as err:
            if err.status == 401:
                raise BridgeAuthError("the bridge refused the credentials") from err
            raise BridgeConnectionError(f"event stream refused: HTTP {err.status}") from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise BridgeConnectionError(f"event stream unreachable: {err!r}") from err

    async def face_events(
        self, since: float | None = None, on_connected: Callable[[], None] | None = None
    ) -> AsyncGenerator[FaceEvent]:
        """Yield live face events until the connection drops (BridgeConnectionError).

        ``since`` asks the bridge to replay events emitted after that time first, so a short
        disconnection loses nothing; callers de-duplicate by event id.
        """
        ws = await self._connect_events(f"?since={since:.3f}" if since else "")
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


def _unverified_context() -> ssl.SSLContext:
    """A client context that accepts any certificate: only for reading one, to pin it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


_UNVERIFIED: Final = _unverified_context()


async def _speaks_plain_http(host: str, port: int) -> bool:
    """True when the port answers an HTTP request in the clear (a bridge before TLS)."""
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(CERTIFICATE_TIMEOUT_S):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(
                f"GET {API_PREFIX}/info HTTP/1.0\r\nHost: {_url_host(host)}\r\n\r\n".encode()
            )
            await writer.drain()
            return (await reader.read(5)) == b"HTTP/"
    except (OSError, TimeoutError):
        return False
    finally:
        if writer is not None:
            writer.close()


async def fetch_certificate(host: str, port: int) -> bytes:
    """The DER certificate the bridge at ``host:port`` presents, read without trusting it.

    What it is worth is decided by the caller: against the pairing code's fingerprint, or by
    the pairing proofs. A bridge that speaks plain HTTP raises BridgeNotTLSError.
    """
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(CERTIFICATE_TIMEOUT_S):
            _, writer = await asyncio.open_connection(
                host, port, ssl=_UNVERIFIED, server_hostname=""
            )
            ssl_object = writer.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    except (ssl.SSLError, ConnectionResetError, asyncio.IncompleteReadError) as err:
        # No TLS handshake: an old bridge answers the ClientHello as a bad HTTP request.
        if await _speaks_plain_http(host, port):
            raise BridgeNotTLSError(f"{_url_host(host)}:{port} speaks plain HTTP") from err
        raise BridgeConnectionError(f"no TLS at {_url_host(host)}:{port}: {err!r}") from err
    except (OSError, TimeoutError) as err:
        raise BridgeConnectionError(f"{_url_host(host)}:{port} unreachable: {err!r}") from err
    finally:
        if writer is not None:
            writer.close()
    if not der:
        raise BridgeConnectionError(f"{_url_host(host)}:{port} showed no certificate")
    return bytes(der)


@dataclass(frozen=True, slots=True)
class PairingResult:
    """What a successful pairing gives: the bridge's id, the client's credentials, the pin."""

    bridge_id: str
    credentials: PairedCredentials
    cert_sha256: bytes


async def pair(
    session: aiohttp.ClientSession,
    host: str,
    port: int,
    secret: bytes,
    *,
    client_name: str,
    expected: PairingCode | None,
) -> PairingResult:
    """Pair with the bridge at ``host:port`` and get this client's own credentials.

    ``secret`` is the pairing code's secret (or a pre-TLS bridge's old key, to migrate). With
    ``expected`` (the typed code) the certificate must match the code's fingerprint before
    anything is sent; either way the proofs bind both sides to the certificate seen, and the
    bridge's proof shows it knows the secret too. Raises BridgeCertificateError (not that
    bridge), PairingRefusedError, PairingRateLimitedError, BridgeNotTLSError or
    BridgeConnectionError.
    """
    sha = certificate_sha256(await fetch_certificate(host, port))
    if expected is not None and not expected.matches_certificate(sha):
        raise BridgeCertificateError(
            f"the certificate at {_url_host(host)}:{port} is not the one the pairing code names"
        )
    nonce = new_nonce()
    request = PairRequest(client_name, nonce, client_proof(secret, sha, nonce))
    url = f"https://{_url_host(host)}:{port}{PAIR_PATH}"
    try:
        async with session.post(
            url, json=request.to_wire(), timeout=REQUEST_TIMEOUT, ssl=aiohttp.Fingerprint(sha)
        ) as response:
            if response.status == 401:
                raise PairingRefusedError(await _error_message(response))
            if response.status == 429:
                raise PairingRateLimitedError(await _error_message(response))
            if response.status != 200:
                raise BridgeConnectionError(
                    f"pairing: HTTP {response.status} {await _error_message(response)}"
                )
            data: Any = await response.json()
    except aiohttp.ServerFingerprintMismatch as err:
        raise BridgeCertificateError(f"the certificate at {url} changed while pairing") from err
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        raise BridgeConnectionError(f"pairing with {url} failed: {err!r}") from err
    try:
        answer = PairResponse.from_wire(data)
    except ProtocolError as err:
        raise BridgeConnectionError(f"not a pairing answer from {url}: {err}") from err
    if not proofs_equal(answer.proof, bridge_proof(secret, sha, nonce, answer.credentials)):
        raise BridgeCertificateError(f"{url} could not prove it knows the pairing secret")
    return PairingResult(answer.bridge_id, answer.credentials, sha)


async def wait_backoff(attempt: int, *, first: float = 1.0, cap: float = 15.0) -> None:
    """Sleep before reconnect attempt number ``attempt`` (1, 2, 4 … seconds, capped)."""
    await asyncio.sleep(min(cap, first * 2 ** max(attempt - 1, 0)))
