"""Bridge API authentication: one pairing key per bridge, sent as ``Authorization: Bearer``.

The key is either set in the configuration (``api.api_key`` / ``SMARTSHOP_BRIDGE_API_KEY``) or
generated on first start and kept in ``<data_dir>/bridge-api-key`` (mode 0600). A generated key is
shown once, on the start that creates it, as the pairing code to type into Home Assistant; after
that only its fingerprint is logged. ``python -m edge_bridge --show-api-key`` prints it again for
whoever can read the data directory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import hashlib
import hmac
import logging
import os
from pathlib import Path
import secrets
import tempfile
import time

from aiohttp import web
from aiohttp.typedefs import Middleware

from .config import MIN_API_KEY_LENGTH

_LOGGER = logging.getLogger(__name__)

KEY_FILE_NAME = "bridge-api-key"
KEY_BYTES = 24  # 192 bits, 32 URL-safe characters

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiKeyError(Exception):
    """The stored key cannot be read or written."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """The bridge API key and where it came from."""

    value: str
    origin: str  # "configuration", "file" or "generated"
    path: Path | None = None

    @property
    def fingerprint(self) -> str:
        """First 12 hex digits of the key's SHA-256: safe to log, lets people compare keys."""
        return hashlib.sha256(self.value.encode()).hexdigest()[:12]

    def matches(self, presented: str) -> bool:
        """Constant-time comparison (of digests, so the length leaks nothing either)."""
        expected = hashlib.sha256(self.value.encode()).digest()
        given = hashlib.sha256(presented.encode("utf-8", "surrogateescape")).digest()
        return hmac.compare_digest(expected, given)


def generate_key() -> str:
    """A new random key."""
    return secrets.token_urlsafe(KEY_BYTES)


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE_NAME


def read_key_file(path: Path) -> str | None:
    """The stored key, or None when there is no file yet."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise ApiKeyError(f"cannot read the bridge API key file {path}: {err}") from err
    if len(text) < MIN_API_KEY_LENGTH or any(ch.isspace() for ch in text):
        raise ApiKeyError(
            f"the bridge API key file {path} is damaged; delete it to generate a new key"
        )
    return text


def write_key_file(path: Path, key: str) -> None:
    """Write the key atomically with mode 0600 (the directory is created 0700)."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".bridge-api-key.", dir=path.parent)
        tmp = Path(tmp_name)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(key + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    except OSError as err:
        raise ApiKeyError(f"cannot store the bridge API key in {path.parent}: {err}") from err


def load_or_create_key(configured: str | None, data_dir: Path) -> ApiKey:
    """The configured key, else the stored key, else a new key stored for next time."""
    if configured:
        return ApiKey(configured, "configuration")
    path = key_path(data_dir)
    stored = read_key_file(path)
    if stored is not None:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            _LOGGER.warning(
                "bridge API key file %s is readable by others (mode %o); tightening to 0600",
                path,
                mode,
            )
            path.chmod(0o600)
        return ApiKey(stored, "file", path)
    key = generate_key()
    write_key_file(path, key)
    return ApiKey(key, "generated", path)


def bearer_token(request: web.Request) -> str | None:
    """The token from ``Authorization: Bearer <token>``, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def unauthorized(reason: str) -> web.Response:
    return web.json_response(
        {"error": "unauthorized", "message": reason},
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="smartshop-bridge"'},
    )


_WARNED: dict[str, float] = {}
WARN_INTERVAL_S = 60.0


def warn_wrong_key(remote: str) -> None:
    """Log refused keys at most once a minute per client address (a stale client retries a lot)."""
    now = time.monotonic()
    if now - _WARNED.get(remote, -WARN_INTERVAL_S) < WARN_INTERVAL_S:
        return
    if len(_WARNED) > 1000:
        _WARNED.clear()
    _WARNED[remote] = now
    _LOGGER.warning("refused a request with a wrong bridge API key from %s", remote)


def auth_middleware(key: ApiKey) -> Middleware:
    """aiohttp middleware refusing every request without the right bearer key (401, JSON)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        token = bearer_token(request)
        if token is None:
            return unauthorized("missing 'Authorization: Bearer <bridge API key>' header")
        if not key.matches(token):
            warn_wrong_key(request.remote or "unknown")
            return unauthorized("wrong bridge API key")
        return await handler(request)

    return middleware
