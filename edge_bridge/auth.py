"""Who may use the bridge: paired clients with their own credentials, and how they pair.

- **Pairing code** (``pairing.json``, 0600): a single-use secret that expires after
  ``PAIRING_CODE_TTL``, shown as ``XXXX-XXXX-...`` together with the first bytes of the TLS
  certificate's pin. It is printed only on a terminal or by ``--show-pairing-code``; logs never
  carry it.
- **Clients** (``clients.json``, 0600): each paired client (a Home Assistant) has its own API
  bearer token (only its SHA-256 is stored) and its own engine key pair. Rotation issues new
  ones and retires the old ones at the first use of the new token; revocation deletes them.
  The file is re-read when it changes, so ``--revoke`` works on a running bridge.
- **Legacy key**: a bridge set up before TLS had one pairing key that was everything. It is
  accepted once more as a pairing secret so its Home Assistant migrates by itself, then
  deleted (``bridge-api-key``); a key set in the configuration (``api.api_key``) is accepted
  as long as it stays configured, with a warning at every start.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
import fcntl
import hashlib
import ipaddress
import json
import logging
import os
from pathlib import Path
import secrets
import tempfile
import time
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Middleware

from .config import MIN_API_KEY_LENGTH
from .log_throttle import LogThrottle
from .metrics import REFUSALS
from .protocol import FINGERPRINT_BYTES, PAIR_PATH, PairedCredentials, PairingCode
from .settings import BridgeConfig
from .tls import BridgeCertificate, load_or_create_certificate

_LOGGER = logging.getLogger(__name__)

CLIENTS_FILE: Final = "clients.json"
PAIRING_FILE: Final = "pairing.json"
LEGACY_KEY_FILE: Final = "bridge-api-key"
LOCK_FILE: Final = ".access.lock"
TLS_DIR: Final = "tls"
PAIRING_CODE_TTL: Final = 24 * 3600.0
TOKEN_BYTES: Final = 32

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
type Clock = Callable[[], float]


class AccessError(Exception):
    """The access files cannot be read or written."""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _write_private_json(path: Path, data: Any) -> None:
    """Write atomically with mode 0600 (the directory is created 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_private_json(path: Path) -> Any:
    """The file's JSON, or None when it does not exist; tightens loose permissions."""
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            _LOGGER.warning("%s was readable by others (mode %o); tightened to 0600", path, mode)
            path.chmod(0o600)
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise AccessError(f"cannot read {path}: {err}") from err


@dataclass(slots=True)
class Client:
    """One paired client, as stored (the token only as its SHA-256)."""

    client_id: str
    name: str
    token_sha256: str
    engine_access_key_id: str
    engine_secret_access_key: str
    created_at: float
    rotated_at: float | None = None
    # Credentials being retired by a rotation: valid until the new token is first used.
    previous_token_sha256: str | None = None
    previous_engine_access_key_id: str | None = None
    previous_engine_secret_access_key: str | None = None

    def summary(self) -> str:
        """One line for ``--list-clients`` (no secrets)."""
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created_at))
        rotating = ", rotation pending" if self.previous_token_sha256 else ""
        return (
            f"{self.client_id}  {self.name!r}  paired {created}  "
            f"engine key {self.engine_access_key_id}{rotating}"
        )


def _new_credentials(client_id: str) -> tuple[PairedCredentials, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    credentials = PairedCredentials(
        client_id=client_id,
        api_token=token,
        engine_access_key_id="SSB" + secrets.token_hex(8).upper(),
        engine_secret_access_key=secrets.token_urlsafe(30),
    )
    return credentials, _sha256(token)


class ClientRegistry:
    """The paired clients of a bridge, kept in ``clients.json`` and shared with the CLI."""

    def __init__(self, data_dir: Path, clock: Clock = time.time) -> None:
        self.data_dir = data_dir
        self.path = data_dir / CLIENTS_FILE
        self._clock = clock
        self._stamp: tuple[int, int, int] | None = None
        self._clients: dict[str, Client] = {}
        self._by_token: dict[str, tuple[Client, bool]] = {}  # sha256 -> (client, is_current)
        self._engine: dict[str, str] = {}

    # -- reading ------------------------------------------------------------------------

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _refresh(self) -> None:
        """Re-read the file when it changed (another process may have revoked a client)."""
        stamp = self._file_stamp()
        if stamp == self._stamp and (stamp is not None or not self._clients):
            return
        raw = _read_private_json(self.path) or {}
        try:
            clients = {item["client_id"]: Client(**item) for item in raw.get("clients", [])}
        except (AttributeError, KeyError, TypeError) as err:
            raise AccessError(f"{self.path} is damaged: {err!r}") from err
        self._set(clients)
        self._stamp = stamp

    def _set(self, clients: dict[str, Client]) -> None:
        self._clients = clients
        self._by_token = {}
        self._engine = {}
        for client in clients.values():
            self._by_token[client.token_sha256] = (client, True)
            self._engine[client.engine_access_key_id] = client.engine_secret_access_key
            if client.previous_token_sha256:
                self._by_token[client.previous_token_sha256] = (client, False)
            if client.previous_engine_access_key_id and client.previous_engine_secret_access_key:
                self._engine[client.previous_engine_access_key_id] = (
                    client.previous_engine_secret_access_key
                )

    def clients(self) -> list[Client]:
        """Every paired client, oldest first."""
        self._refresh()
        return sorted(self._clients.values(), key=lambda client: client.created_at)

    def engine_secret(self, access_key_id: str) -> str | None:
        """The engine secret of a paired client's access key, or None."""
        self._refresh()
        return self._engine.get(access_key_id)

    def engine_access_keys(self) -> list[str]:
        """Every engine access key id of paired clients."""
        self._refresh()
        return list(self._engine)

    def authenticate(self, token: str) -> Client | None:
        """The client this bearer token belongs to, or None.

        Tokens are looked up by their SHA-256 (what the file holds), so the comparison leaks
        nothing about the token. The first use of a rotated client's new token retires the
        old token and engine key.
        """
        self._refresh()
        found = self._by_token.get(_sha256(token))
        if found is None:
            return None
        client, current = found
        if current and client.previous_token_sha256:
            self._update(client.client_id, _finish_rotation)
        return client

    # -- writing (under a lock shared with the command line) ----------------------------

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Client]]:
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with (self.data_dir / LOCK_FILE).open("a", encoding="ascii") as lock:
            os.fchmod(lock.fileno(), 0o600)
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._stamp = None
            self._refresh()
            clients = dict(self._clients)
            yield clients
            _write_private_json(
                self.path,
                {"version": 1, "clients": [asdict(client) for client in clients.values()]},
            )
            self._set(clients)
            self._stamp = self._file_stamp()

    def _update(self, client_id: str, change: Callable[[Client], None]) -> Client | None:
        with self._locked() as clients:
            client = clients.get(client_id)
            if client is not None:
                change(client)
            return client

    def issue(self, name: str) -> PairedCredentials:
        """Pair a new client: its own token and engine key pair."""
        client_id = secrets.token_hex(6)
        credentials, token_hash = _new_credentials(client_id)
        with self._locked() as clients:
            clients[client_id] = Client(
                client_id=client_id,
                name=name,
                token_sha256=token_hash,
                engine_access_key_id=credentials.engine_access_key_id,
                engine_secret_access_key=credentials.engine_secret_access_key,
                created_at=self._clock(),
            )
        return credentials

    def rotate(self, client_id: str) -> PairedCredentials | None:
        """New credentials for a client; the old ones end when the new token is first used."""
        credentials, token_hash = _new_credentials(client_id)

        def change(client: Client) -> None:
            client.previous_token_sha256 = client.token_sha256
            client.previous_engine_access_key_id = client.engine_access_key_id
            client.previous_engine_secret_access_key = client.engine_secret_access_key
            client.token_sha256 = token_hash
            client.engine_access_key_id = credentials.engine_access_key_id
            client.engine_secret_access_key = credentials.engine_secret_access_key
            client.rotated_at = self._clock()

        return credentials if self._update(client_id, change) is not None else None

    def revoke(self, client_id: str) -> bool:
        """Delete a client's credentials; False when there is no such client."""
        with self._locked() as clients:
            return clients.pop(client_id, None) is not None

    def revoke_all(self) -> int:
        """Delete every client's credentials; how many there were."""
        with self._locked() as clients:
            count = len(clients)
            clients.clear()
            return count


def _finish_rotation(client: Client) -> None:
    client.previous_token_sha256 = None
    client.previous_engine_access_key_id = None
    client.previous_engine_secret_access_key = None


class EngineCredentials(Mapping[str, str]):
    """The engine's access keys, live: configured pairs plus every paired client's pair."""

    def __init__(self, configured: Mapping[str, str], registry: ClientRegistry) -> None:
        self._configured = dict(configured)
        self._registry = registry

    def __getitem__(self, access_key_id: str) -> str:
        secret = self._registry.engine_secret(access_key_id)
        if secret is None:
            secret = self._configured[access_key_id]
        return secret

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._configured, *self._registry.engine_access_keys()]))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"EngineCredentials({len(self)} access keys)"


@dataclass(frozen=True, slots=True)
class PairingSecret:
    """A secret a client may prove in a pairing request, and what to do once it has served."""

    kind: str  # "code", "legacy-file" or "legacy-configured"
    secret: bytes


class Pairing:
    """The bridge's pairing secrets: the current single-use code and any legacy key."""

    def __init__(
        self,
        data_dir: Path,
        cert_sha256: bytes,
        *,
        legacy_configured: str | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.path = data_dir / PAIRING_FILE
        self.legacy_path = data_dir / LEGACY_KEY_FILE
        self.cert_sha256 = cert_sha256
        self.legacy_configured = legacy_configured
        self._clock = clock

    def current_code(self) -> PairingCode | None:
        """The unused, unexpired code, or None."""
        raw = _read_private_json(self.path)
        if not isinstance(raw, dict):
            return None
        try:
            secret = bytes.fromhex(raw["secret"])
            expires = float(raw["expires_at"])
        except (KeyError, TypeError, ValueError):
            return None
        code = PairingCode(secret, self.cert_sha256[:FINGERPRINT_BYTES])
        if expires <= self._clock() or raw.get("cert_sha256") != self.cert_sha256.hex():
            return None
        return code

    def expires_at(self) -> float | None:
        """When the current code expires (None without one)."""
        raw = _read_private_json(self.path)
        return float(raw["expires_at"]) if isinstance(raw, dict) and "expires_at" in raw else None

    def new_code(self, ttl: float = PAIRING_CODE_TTL) -> PairingCode:
        """A fresh code that replaces any unused one."""
        code = PairingCode.new(self.cert_sha256)
        _write_private_json(
            self.path,
            {
                "code": str(code),
                "secret": code.secret.hex(),
                "cert_sha256": self.cert_sha256.hex(),
                "expires_at": self._clock() + ttl,
            },
        )
        return code

    def code_or_new(self) -> PairingCode:
        """The current code, or a new one when there is none."""
        return self.current_code() or self.new_code()

    def _legacy_file_key(self) -> str | None:
        try:
            text = self.legacy_path.read_text(encoding="ascii").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return None
        except OSError as err:
            raise AccessError(f"cannot read {self.legacy_path}: {err}") from err
        return text if len(text) >= MIN_API_KEY_LENGTH else None

    def has_legacy_key(self) -> bool:
        """True while a pre-TLS pairing key may still be used to migrate."""
        return bool(self.legacy_configured) or self._legacy_file_key() is not None

    def secrets(self) -> list[PairingSecret]:
        """Every secret a pairing request may prove right now."""
        found: list[PairingSecret] = []
        code = self.current_code()
        if code is not None:
            found.append(PairingSecret("code", code.secret))
        legacy = self._legacy_file_key()
        if legacy is not None:
            found.append(PairingSecret("legacy-file", legacy.encode()))
        if self.legacy_configured:
            found.append(PairingSecret("legacy-configured", self.legacy_configured.encode()))
        return found

    def consume(self, used: PairingSecret) -> None:
        """A secret served: a code and a stored legacy key serve once."""
        if used.kind == "code":
            self.path.unlink(missing_ok=True)
        elif used.kind == "legacy-file":
            self.legacy_path.unlink(missing_ok=True)


PAIRING_WINDOW_S: Final = 600.0
PAIRING_FAILURES_PER_SOURCE: Final = 10
PAIRING_FAILURES_CEILING: Final = 1000


def pairing_source(remote: str | None) -> str:
    """Whose failed attempts count together: an IPv4 address, or an IPv6 /64 (one host is
    usually given a whole /64, so its addresses are not separate guessers)."""
    if not remote:
        return "unknown"
    try:
        ip = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return remote
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass(frozen=True, slots=True)
class Lockout:
    """Pairing refused: for how long, and whether for one source or for everyone."""

    retry_after_s: float
    everyone: bool


class PairingGuard:
    """Limits failed pairing attempts per source address, with a ceiling for all together.

    A source (``pairing_source``) with ``per_source`` failures within ``window_s`` seconds is
    refused until its oldest failure leaves the window, while every other address goes on
    pairing: one device on the LAN cannot lock the owner out. Once ``ceiling`` failures from
    all sources together fall within one window, every attempt is refused in the same way, so
    a guesser with many addresses still makes at most ``ceiling`` guesses a window: with the
    defaults 1,000 per 10 minutes, 144,000 in the 24 hours a code lives, against its 80-bit
    secret (about 1.2e24 values) a chance under 1.2e-19 of hitting it. Memory stays bounded:
    attempts past the ceiling are refused before they are counted.
    """

    def __init__(
        self,
        per_source: int = PAIRING_FAILURES_PER_SOURCE,
        ceiling: int = PAIRING_FAILURES_CEILING,
        window_s: float = PAIRING_WINDOW_S,
        clock: Clock = time.monotonic,
    ) -> None:
        if not 1 <= per_source <= ceiling:
            raise ValueError("per_source must be at least 1 and at most the ceiling")
        self.per_source = per_source
        self.ceiling = ceiling
        self.window_s = window_s
        self._clock = clock
        self._failures: deque[tuple[float, str]] = deque()  # (when, source), oldest first
        self._by_source: dict[str, deque[float]] = {}

    def _expire(self, now: float) -> None:
        while self._failures and now - self._failures[0][0] >= self.window_s:
            _, source = self._failures.popleft()
            times = self._by_source[source]
            times.popleft()
            if not times:
                del self._by_source[source]

    def lockout(self, source: str) -> Lockout | None:
        """Why an attempt from ``source`` is refused now, or None when it may go ahead."""
        now = self._clock()
        self._expire(now)
        if len(self._failures) >= self.ceiling:
            oldest = self._failures[-self.ceiling][0]
            return Lockout(self.window_s - (now - oldest), everyone=True)
        times = self._by_source.get(source)
        if times is not None and len(times) >= self.per_source:
            oldest = times[-self.per_source]
            return Lockout(self.window_s - (now - oldest), everyone=False)
        return None

    def failed(self, source: str) -> Lockout | None:
        """Count a failed attempt from ``source``; the lockout it started, if any."""
        now = self._clock()
        self._expire(now)
        self._failures.append((now, source))
        times = self._by_source.setdefault(source, deque())
        times.append(now)
        if len(self._failures) == self.ceiling:
            return Lockout(self.window_s, everyone=True)
        if len(times) == self.per_source:
            return Lockout(self.window_s, everyone=False)
        return None

    def sources(self) -> int:
        """How many sources have failures within the window."""
        self._expire(self._clock())
        return len(self._by_source)


def bearer_token(request: web.Request) -> str | None:
    """The token from ``Authorization: Bearer <token>``, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def unauthorized(reason: str) -> web.Response:
    """The 401 every refused request gets."""
    return web.json_response(
        {"error": "unauthorized", "message": reason},
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="smartshop-bridge"'},
    )


_THROTTLE: Final = LogThrottle()


def warn_refused(remote: str, what: str, reason: str) -> None:
    """Count a refused API request in /metrics and log it at most once a minute per reason
    and address, with how many were held back (a stale client or a scan retries a lot)."""
    REFUSALS.add("api", reason)
    suppressed = _THROTTLE.allow(f"{reason}:{remote}")
    if suppressed is not None:
        more = f" ({suppressed} similar suppressed)" if suppressed else ""
        _LOGGER.warning("refused %s from %s%s", what, remote, more)


CLIENT_KEY: Final = "smartshop_client"


def auth_middleware(registry: ClientRegistry) -> Middleware:
    """Refuse every request but pairing without a paired client's bearer token (401, JSON)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == PAIR_PATH:
            return await handler(request)
        token = bearer_token(request)
        if token is None:
            REFUSALS.add("api", "auth")
            return unauthorized("missing 'Authorization: Bearer <API token>' header")
        client = registry.authenticate(token)
        if client is None:
            warn_refused(request.remote or "unknown", "a request with an unknown API token", "auth")
            return unauthorized("unknown or revoked API token; pair again")
        request[CLIENT_KEY] = client
        return await handler(request)

    return middleware


@dataclass(frozen=True, slots=True)
class BridgeAccess:
    """Everything that decides who may use a bridge."""

    registry: ClientRegistry
    pairing: Pairing
    guard: PairingGuard


def open_bridge_access(config: BridgeConfig) -> tuple[BridgeCertificate, BridgeAccess]:
    """The bridge's certificate (made on first use) and access state, from its data dir."""
    certificate = load_or_create_certificate(
        config.data_dir / TLS_DIR, f"SmartShop bridge {config.bridge_id}"
    )
    access = BridgeAccess(
        registry=ClientRegistry(config.data_dir),
        pairing=Pairing(config.data_dir, certificate.sha256, legacy_configured=config.api.api_key),
        guard=PairingGuard(),
    )
    return certificate, access
