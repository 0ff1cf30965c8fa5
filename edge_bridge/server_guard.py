"""Connection limits for the bridge's HTTP servers (bridge API and engine), so that one device
on the shop LAN cannot exhaust the process's file descriptors, memory or log.

* **Connection caps** (default 256 per server, 128 per peer address): a connection over either
  cap is closed as soon as it is accepted, so the descriptors of the process are never all held,
  and one device on the LAN cannot take every connection slot from the others.
* **Header and idle timeout** (default 20 s): aiohttp's ``keepalive_timeout`` also runs from
  the moment a connection is accepted until its first request is complete, so a connection
  that sends nothing, or a request head a byte at a time, is closed after it; an idle
  keep-alive connection too.
* **Quiet errors**: aiohttp logs each unparsable request as an 11-line "Error handling request"
  traceback; here it becomes a one-line warning, at most one a minute per kind, counted in
  /metrics. The event loop's exception handler is throttled the same way (the "socket.accept()
  out of system resource" storm when descriptors run out logs once a minute with a count).
* **Descriptors**: :func:`raise_nofile_limit` raises RLIMIT_NOFILE's soft limit to the hard
  limit at start.

Use :func:`guarded_runner` instead of ``web.AppRunner`` and :class:`GuardedTCPSite` instead of
``web.TCPSite`` (TLS handshakes then also end within the idle timeout), and call
:func:`prepare_serving` once the loop runs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import logging
import resource
import ssl
from typing import Any, Final

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from .log_throttle import LogThrottle
from .metrics import REFUSALS

_LOGGER = logging.getLogger(__name__)

DEFAULT_MAX_CONNECTIONS: Final = 256
DEFAULT_MAX_CONNECTIONS_PER_PEER: Final = 128
# aiohttp clients (Home Assistant's session) drop pooled connections idle for 15 s: a server
# timeout a little longer lets the client close first, so it never reuses one being closed.
DEFAULT_IDLE_TIMEOUT_S: Final = 20.0
LOOP_LOG_INTERVAL_S: Final = 60.0
_AIOHTTP_SERVER_LOGGER: Final = "aiohttp.server"
_ERROR_HANDLING: Final = "Error handling request"

# Shared by every guarded server and the loop handler: one line a minute per kind of problem.
_THROTTLE = LogThrottle(LOOP_LOG_INTERVAL_S)


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Limits of one HTTP server; ``name`` labels its counters in /metrics (api, engine)."""

    name: str
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S
    max_connections_per_peer: int = DEFAULT_MAX_CONNECTIONS_PER_PEER

    def __post_init__(self) -> None:
        if min(self.max_connections, self.max_connections_per_peer) < 1:
            raise ValueError("connection caps must be at least 1")
        if self.idle_timeout_s <= 0:
            raise ValueError("idle_timeout_s must be positive")


class _GuardedHandler(RequestHandler):
    """aiohttp's connection handler, counting idle closures and logging bad requests briefly."""

    guard_limits: ServerLimits

    def _process_keepalive(self) -> None:
        was_open = self.transport is not None
        super()._process_keepalive()
        if was_open and self.transport is None:
            REFUSALS.add(self.guard_limits.name, "idle_timeout")

    def log_exception(self, *args: Any, **kw: Any) -> None:
        message = str(args[0]) if args else ""
        exc = kw.get("exc_info")
        if not message.startswith(_ERROR_HANDLING):
            super().log_exception(*args, **kw)
            return
        name = self.guard_limits.name
        if isinstance(exc, HttpProcessingError):
            REFUSALS.add(name, "bad_http")
            _THROTTLE.log(
                self.logger,
                logging.WARNING,
                f"bad-http:{name}:{type(exc).__name__}",
                "%s: refused a malformed HTTP request (%s: %s)",
                name,
                type(exc).__name__,
                _one_line(exc),
            )
            return
        # A handler failure: keep its traceback, but not one per request.
        if _THROTTLE.allow(f"handler-error:{name}:{type(exc).__name__}") is not None:
            super().log_exception(*args, **kw)


class _GuardedServer(web.Server):
    """aiohttp's protocol factory, closing connections over the cap as they arrive."""

    def __init__(self, *args: Any, limits: ServerLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._per_peer: dict[str, int] = {}
        self._peer_of: dict[RequestHandler, str] = {}

    def __call__(self) -> RequestHandler:
        kwargs: dict[str, Any] = dict(getattr(self, "_kwargs", {}))
        handler = _GuardedHandler(self, loop=asyncio.get_running_loop(), **kwargs)
        handler.guard_limits = self.limits
        return handler

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        limits = self.limits
        peer = _peer_host(transport)
        count = self._per_peer.get(peer, 0)
        # Only accepted connections count: refused ones may linger in aiohttp's own list
        # until their handler task ends, and must not fill the cap for everyone else.
        if len(self._peer_of) >= limits.max_connections:
            reason, detail = "over_connection_cap", f"cap {limits.max_connections}"
        elif count >= limits.max_connections_per_peer:
            reason = "over_peer_cap"
            detail = f"{peer} has {count} (cap a peer {limits.max_connections_per_peer})"
        else:
            self._per_peer[peer] = count + 1
            self._peer_of[handler] = peer
            return
        REFUSALS.add(limits.name, reason)
        _THROTTLE.log(
            _LOGGER,
            logging.WARNING,
            f"{reason}:{limits.name}",
            "%s: closing new connections: %d open, %s",
            limits.name,
            len(self._peer_of),
            detail,
        )
        transport.abort()

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        peer = self._peer_of.pop(handler, None)
        if peer is not None:
            left = self._per_peer.get(peer, 1) - 1
            if left > 0:
                self._per_peer[peer] = left
            else:
                self._per_peer.pop(peer, None)
        super().connection_lost(handler, exc)


def _peer_host(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return "-"


class GuardedAppRunner(web.AppRunner):
    """``web.AppRunner`` whose server applies :class:`ServerLimits`."""

    def __init__(self, app: web.Application, limits: ServerLimits, **kwargs: Any) -> None:
        kwargs.setdefault("access_log", None)
        kwargs.setdefault("handle_signals", False)
        super().__init__(app, keepalive_timeout=limits.idle_timeout_s, **kwargs)
        self.limits = limits

    async def _make_server(self) -> web.Server:
        base = await super()._make_server()
        # Rebuild aiohttp's server with the same arguments, as the guarded subclass.
        kwargs = dict(getattr(base, "_kwargs", {}))
        return _GuardedServer(
            base.request_handler,
            request_factory=base.request_factory,
            handler_cancellation=base.handler_cancellation,
            loop=asyncio.get_running_loop(),
            limits=self.limits,
            **kwargs,
        )


class GuardedTCPSite(web.TCPSite):
    """``web.TCPSite`` whose TLS handshakes must finish within the idle timeout.

    A connection counts against the cap once its TLS handshake is done (that is when aiohttp
    sees it); until then asyncio's handshake timeout (60 s by default) is all that closes a
    connection that never starts TLS. This site shortens it to the server's idle timeout.
    """

    def __init__(
        self,
        runner: GuardedAppRunner,
        host: str | None,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        reuse_address: bool | None = None,
    ) -> None:
        super().__init__(runner, host, port, ssl_context=ssl_context, reuse_address=reuse_address)
        self.handshake_timeout_s = runner.limits.idle_timeout_s

    async def start(self) -> None:
        # As aiohttp's TCPSite.start, plus ssl_handshake_timeout.
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        self._server = await loop.create_server(
            server,
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
            ssl_handshake_timeout=self.handshake_timeout_s if self._ssl_context else None,
        )
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port


def guarded_runner(app: web.Application, limits: ServerLimits) -> GuardedAppRunner:
    """An app runner with the limits (no access log, no signal handling)."""
    return GuardedAppRunner(app, limits)


def _one_line(exc: BaseException) -> str:
    text = str(exc).replace("\r", " ").replace("\n", " ").strip()
    return text[:200] or type(exc).__name__


class AiohttpErrorFilter(logging.Filter):
    """Turn aiohttp.server's "Error handling request" tracebacks for unparsable requests into
    throttled one-line warnings (for servers not built by :func:`guarded_runner`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(_ERROR_HANDLING) or not record.exc_info:
            return True
        exc = record.exc_info[1]
        if not isinstance(exc, HttpProcessingError):
            return _THROTTLE.allow(f"aiohttp-error:{type(exc).__name__}") is not None
        suppressed = _THROTTLE.allow(f"aiohttp-bad-http:{type(exc).__name__}")
        if suppressed is None:
            return False
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = "Refused a malformed HTTP request (%s: %s)"
        record.args = (type(exc).__name__, _one_line(exc))
        if suppressed:
            record.msg += " (%d similar suppressed)"
            record.args = (*record.args, suppressed)
        record.exc_info = None
        record.exc_text = None
        return True


_FILTER: Final = AiohttpErrorFilter()


def loop_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Log each kind of loop-level error at most once a minute, with a suppressed count."""
    message = str(context.get("message") or "Unhandled error in event loop")
    exc = context.get("exception")
    key = f"loop:{message}:{type(exc).__name__ if exc is not None else '-'}"
    suppressed = _THROTTLE.allow(key)
    if suppressed is None:
        return
    extra = f" ({suppressed} similar suppressed)" if suppressed else ""
    if isinstance(exc, OSError) and "accept" in message:
        # Descriptor exhaustion: the traceback says nothing more than the message.
        _LOGGER.error("%s: %s%s", message, exc, extra)
        return
    if isinstance(exc, BaseException):
        _LOGGER.error("%s%s", message, extra, exc_info=exc)
    else:
        _LOGGER.error("%s%s", message, extra)


def install_loop_guards(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Throttle the running loop's exception handler and aiohttp's request error log."""
    loop = loop or asyncio.get_running_loop()
    if loop.get_exception_handler() is not loop_exception_handler:
        loop.set_exception_handler(loop_exception_handler)
    logger = logging.getLogger(_AIOHTTP_SERVER_LOGGER)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


def raise_nofile_limit() -> int:
    """Raise RLIMIT_NOFILE's soft limit to the hard limit; return the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as err:
        _LOGGER.warning("cannot raise the open file limit from %d to %d: %s", soft, target, err)
        return soft
    return target


_NOFILE_LOGGED: list[int] = []


def prepare_serving(loop: asyncio.AbstractEventLoop | None = None) -> int:
    """Before serving: :func:`install_loop_guards`, then :func:`raise_nofile_limit` (logged once
    per process); return the open file limit."""
    install_loop_guards(loop)
    limit = raise_nofile_limit()
    if not _NOFILE_LOGGED:
        _NOFILE_LOGGED.append(limit)
        _LOGGER.info("open file limit: %d descriptors", limit)
    return limit


def server_name(what: str) -> str:
    """The /metrics label of a server described as ``what`` ("bridge API" -> api)."""
    lowered = what.lower()
    if "engine" in lowered:
        return "engine"
    if "api" in lowered:
        return "api"
    return "-".join(lowered.split()) or "server"
