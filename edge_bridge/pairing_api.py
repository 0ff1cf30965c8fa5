"""Pairing and credential routes of the bridge API.

``POST PAIR_PATH`` is the only route without a bearer token: the client proves it knows the
current pairing code's secret (or a legacy key) over the certificate it sees, and gets its own
credentials with the bridge's proof over the same certificate. ``POST ROTATE_PATH`` and
``DELETE CREDENTIALS_PATH`` act on the calling client's own credentials.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Final

from aiohttp import web

from .auth import CLIENT_KEY, AccessError, BridgeAccess, Client, pairing_source, warn_refused
from .metrics import REFUSALS
from .protocol import (
    CREDENTIALS_PATH,
    PAIR_PATH,
    ROTATE_PATH,
    PairRequest,
    PairResponse,
    ProtocolError,
    bridge_proof,
    client_proof,
    proofs_equal,
)

_LOGGER = logging.getLogger(__name__)

MAX_PAIR_BODY: Final = 4096
ACCESS: Final = web.AppKey("bridge_access", BridgeAccess)
BRIDGE_ID: Final = web.AppKey("bridge_id", str)
CERT_SHA256: Final = web.AppKey("bridge_cert_sha256", bytes)


def add_pairing_routes(
    app: web.Application, access: BridgeAccess, bridge_id: str, cert_sha256: bytes
) -> None:
    """Register pairing, rotation and revocation on the bridge API app."""
    app[ACCESS] = access
    app[BRIDGE_ID] = bridge_id
    app[CERT_SHA256] = cert_sha256
    app.router.add_post(PAIR_PATH, pair)
    app.router.add_post(ROTATE_PATH, rotate)
    app.router.add_delete(CREDENTIALS_PATH, revoke)


def _refused(status: int, error: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status, headers=headers)


async def pair(request: web.Request) -> web.Response:
    """Pair a client that proves a current pairing secret."""
    access = request.app[ACCESS]
    source = pairing_source(request.remote)
    locked = access.guard.lockout(source)
    if locked is not None:
        REFUSALS.add("api", "pairing_locked")
        whose = "from all addresses" if locked.everyone else "from this address"
        wait = locked.retry_after_s
        return _refused(
            429,
            "too_many_attempts",
            f"too many failed pairing attempts {whose}; try again in "
            f"{math.ceil(wait / 60)} minute(s)",
            **{"Retry-After": str(math.ceil(wait))},
        )
    if request.content_length is None or request.content_length > MAX_PAIR_BODY:
        return _refused(
            400, "bad_request", f"a pairing request is JSON under {MAX_PAIR_BODY} bytes"
        )
    try:
        wanted = PairRequest.from_wire(json.loads(await request.read()))
    except (ValueError, ProtocolError) as err:
        return _refused(400, "bad_request", str(err))
    cert_sha256 = request.app[CERT_SHA256]
    try:
        candidates = access.pairing.secrets()
    except AccessError as err:
        _LOGGER.warning("pairing unavailable: %s", err)
        return _refused(503, "unavailable", "the bridge cannot read its pairing state")
    for candidate in candidates:
        expected = client_proof(candidate.secret, cert_sha256, wanted.nonce)
        if not proofs_equal(wanted.proof, expected):
            continue
        credentials = access.registry.issue(wanted.client_name)
        access.pairing.consume(candidate)
        _LOGGER.info(
            "paired client %s (%r) with %s",
            credentials.client_id,
            wanted.client_name,
            "the pairing code" if candidate.kind == "code" else "the pre-TLS pairing key",
        )
        answer = PairResponse(
            bridge_id=request.app[BRIDGE_ID],
            credentials=credentials,
            proof=bridge_proof(candidate.secret, cert_sha256, wanted.nonce, credentials),
        )
        return web.json_response(answer.to_wire())
    started = access.guard.failed(source)
    warn_refused(
        request.remote or "unknown",
        "a pairing attempt with a wrong, used or expired code",
        "pairing",
    )
    if started is not None and started.everyone:
        _LOGGER.warning(
            "pairing refused for everyone for up to %d minutes: %d failed attempts from %d "
            "source(s) within %d minutes",
            math.ceil(started.retry_after_s / 60),
            access.guard.ceiling,
            access.guard.sources(),
            math.ceil(access.guard.window_s / 60),
        )
    elif started is not None:
        _LOGGER.warning(
            "pairing refused for %s for up to %d minutes after %d failed attempts; other "
            "addresses can still pair",
            source,
            math.ceil(started.retry_after_s / 60),
            access.guard.per_source,
        )
    return _refused(
        401,
        "unauthorized",
        "pairing code wrong, already used or expired; make a new one with "
        "`python -m edge_bridge --show-pairing-code`",
    )


async def rotate(request: web.Request) -> web.Response:
    """New credentials for the calling client."""
    client: Client = request[CLIENT_KEY]
    credentials = request.app[ACCESS].registry.rotate(client.client_id)
    if credentials is None:  # revoked by another process meanwhile
        return _refused(401, "unauthorized", "these credentials were revoked; pair again")
    _LOGGER.info("rotated the credentials of client %s", client.client_id)
    return web.json_response({"credentials": credentials.to_wire()})


async def revoke(request: web.Request) -> web.Response:
    """Revoke the calling client's credentials."""
    client: Client = request[CLIENT_KEY]
    request.app[ACCESS].registry.revoke(client.client_id)
    _LOGGER.info("client %s revoked its own credentials", client.client_id)
    return web.Response(status=204)
