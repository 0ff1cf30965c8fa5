"""``python -m edge_bridge [--config FILE]``: run the SmartShop bridge, or its engine alone.

The engine runs alone (engine-only mode: its own port only, no bridge API, no zeroconf, no
pairing, every file under the engine's data directory) when ``SMARTSHOP_MODE=engine`` or
``mode: engine`` says so, or when the environment configures the engine and nothing else
(``config._mode`` has the rule).

Exit codes: 0 clean shutdown (SIGINT/SIGTERM) or successful ``--check``; 2 bad configuration;
3 model files missing or wrong; 1 the bridge could not start (port in use, unusable data dir).
Every failure is reported as one line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
from pathlib import Path
import signal
import socket
import sys
import time

from .auth import TLS_DIR, AccessError, BridgeAccess, open_bridge_access
from .config import ENV_MODE, ConfigError, load_config
from .model_files import ModelError, ModelFiles, locate_models
from .settings import BridgeConfig
from .tls import (
    ENGINE_CERT_FILE,
    ENGINE_KEY_FILE,
    BridgeCertificate,
    CertificateError,
    load_or_create_certificate,
)
from .version import BRIDGE_VERSION

_LOGGER = logging.getLogger("edge_bridge")

EXIT_OK = 0
EXIT_START = 1
EXIT_CONFIG = 2
EXIT_MODELS = 3
PROG = "smartshop-bridge"


def _fail(code: int, what: str, reason: object) -> int:
    sys.stderr.write(f"{PROG}: {what}: {reason}\n")
    sys.stderr.flush()
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m edge_bridge",
        description="SmartShop edge bridge: cameras -> face events, plus the recognition engine.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="YAML configuration file (default: $SMARTSHOP_CONFIG; environment overrides it)",
    )
    parser.add_argument(
        "--check", action="store_true", help="validate configuration and models, then exit"
    )
    parser.add_argument(
        "--show-pairing-code",
        action="store_true",
        help="print a single-use pairing code for Home Assistant (the unused one, or a new one)",
    )
    parser.add_argument(
        "--list-clients", action="store_true", help="list the paired clients (no secrets)"
    )
    parser.add_argument(
        "--revoke",
        metavar="CLIENT_ID",
        help="revoke a paired client's credentials ('all' revokes every client)",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {BRIDGE_VERSION}")
    return parser


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
        stream=sys.stderr,
        force=True,
    )
    # Request logs of the HTTP servers would repeat every snapshot/stream request.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def _open_access(config: BridgeConfig) -> tuple[BridgeCertificate, BridgeAccess]:
    try:
        return open_bridge_access(config)
    except (AccessError, CertificateError) as err:
        raise _AccessFailure(str(err)) from err


class _AccessFailure(Exception):
    """The certificate or the access files are unusable."""


def _pairing_code_text(code: object, access: BridgeAccess) -> str:
    expires = access.pairing.expires_at()
    until = time.strftime("%Y-%m-%d %H:%M", time.localtime(expires)) if expires else "?"
    return (
        "\n"
        "  SmartShop bridge pairing code (single use, valid until "
        f"{until}; enter it in Home Assistant):\n"
        f"    {code}\n"
        "  `python -m edge_bridge --show-pairing-code` shows it again or makes a new one.\n"
        "\n"
    )


def _manage(config: BridgeConfig, args: argparse.Namespace) -> int:
    """The access commands: pairing code, clients, revocation."""
    try:
        _, access = _open_access(config)
        if args.show_pairing_code:
            code = access.pairing.code_or_new()
            sys.stdout.write(_pairing_code_text(code, access))
        elif args.list_clients:
            clients = access.registry.clients()
            for client in clients:
                sys.stdout.write(client.summary() + "\n")
            if not clients:
                sys.stdout.write("no paired clients\n")
        elif args.revoke == "all":
            count = access.registry.revoke_all()
            sys.stdout.write(f"revoked {count} client(s); they must pair again\n")
        elif not access.registry.revoke(args.revoke):
            return _fail(EXIT_START, "revoke", f"no paired client {args.revoke!r}")
        else:
            sys.stdout.write(f"revoked client {args.revoke}; it must pair again\n")
    except (_AccessFailure, AccessError) as err:
        return _fail(EXIT_START, "access", err)
    return EXIT_OK


def _log_startup(
    config: BridgeConfig,
    models: ModelFiles,
    certificate: BridgeCertificate,
    access: BridgeAccess,
) -> None:
    _LOGGER.info(
        "SmartShop bridge %s, id %r, configuration from %s, data in %s",
        BRIDGE_VERSION,
        config.bridge_id,
        config.source,
        config.data_dir,
    )
    _LOGGER.info("detector model %s sha256 %s", models.detector, models.detector_sha256)
    _LOGGER.info("recognizer model %s sha256 %s", models.recognizer, models.recognizer_sha256)
    _LOGGER.info("TLS certificate SHA-256 %s", certificate.fingerprint)
    _LOGGER.info("%d paired client(s)", len(access.registry.clients()))
    if config.api.api_key:
        _LOGGER.warning(
            "api.api_key is set: it no longer authenticates requests and only lets a Home "
            "Assistant paired before this version migrate to its own credentials; remove it "
            "once every client shows in --list-clients"
        )
    cameras = [c for c in config.cameras if c.enabled]
    _LOGGER.info(
        "%d camera(s): %s",
        len(cameras),
        ", ".join(f"{c.id}={c.source.redacted()}" for c in cameras) or "none",
    )
    if config.engine.enabled:
        _LOGGER.info(
            "recognition engine: data in %s, region %s, access keys: one per paired client "
            "and %d configured",
            config.engine.data_dir,
            config.engine.region,
            len(config.engine.credentials),
        )
    else:
        _LOGGER.info("recognition engine off (engine.enabled is false)")


def _offer_pairing_code(access: BridgeAccess) -> None:
    """With no client paired yet, make sure a code exists and show it, on a terminal only.

    Standard output may be a journal or ``docker logs``, which keep what they are given; a code
    there could be read by anyone who can read the logs, so it is shown only on a TTY.
    """
    if access.registry.clients():
        return
    code = access.pairing.code_or_new()
    if sys.stdout.isatty():
        sys.stdout.write(_pairing_code_text(code, access))
        sys.stdout.flush()
    else:
        _LOGGER.info(
            "no client paired yet: `python -m edge_bridge --show-pairing-code` prints the "
            "pairing code to enter in Home Assistant"
        )


async def _run(
    config: BridgeConfig,
    models: ModelFiles,
    certificate: BridgeCertificate,
    access: BridgeAccess | None,
) -> int:
    # Heavy imports after validation.
    from .runtime import Bridge, StandaloneEngine, StartupError  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[str] = []

    def _on_signal(name: str) -> None:
        received.append(name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _on_signal, sig.name)
    server: Bridge | StandaloneEngine = (
        Bridge(config, models, certificate, access)
        if access is not None
        else StandaloneEngine(config, models, certificate)
    )
    try:
        await server.start()
    except StartupError as err:
        return _fail(EXIT_START, "cannot start", err)
    _LOGGER.info("engine ready" if access is None else "bridge ready")
    await stop.wait()
    _LOGGER.info("%s received; shutting down", received[0] if received else "stop")
    await server.stop()
    _LOGGER.info("stopped cleanly")
    return EXIT_OK


def _check(config: BridgeConfig, models: ModelFiles) -> int:
    """Validate without side effects (no certificate or code is made)."""
    if config.engine_only:
        _LOGGER.info(
            "configuration OK: the engine alone (%s), on %s, data in %s, models %s / %s",
            config.mode_reason,
            config.engine.listen,
            config.engine.data_dir,
            models.detector_sha256[:12],
            models.recognizer_sha256[:12],
        )
        return EXIT_OK
    _LOGGER.info(
        "configuration OK: bridge %r, %d camera(s), engine %s, models %s / %s",
        config.bridge_id,
        len(config.cameras),
        "on" if config.engine.enabled else "off",
        models.detector_sha256[:12],
        models.recognizer_sha256[:12],
    )
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as err:
        return _fail(EXIT_CONFIG, "configuration error", err)
    # Everything the bridge writes (keys, certificate, engine database) is for its user only.
    os.umask(0o077)
    configure_logging(config.log_level)
    if args.show_pairing_code or args.list_clients or args.revoke:
        if config.engine_only:
            return _fail(
                EXIT_CONFIG,
                "no pairing",
                f"the engine runs alone here ({config.mode_reason}); it pairs with no one and "
                f"its clients sign with its configured key pairs ({ENV_MODE}=bridge runs the "
                "whole bridge)",
            )
        return _manage(config, args)
    # Network cameras over TCP: UDP RTSP loses packets and smears frames on busy networks.
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
    try:
        models = locate_models(config.models.detector, config.models.recognizer)
    except ModelError as err:
        return _fail(EXIT_MODELS, "model error", err)
    if args.check:
        return _check(config, models)
    return _serve(config, models)


def engine_host_names(listen_host: str) -> list[str]:
    """What the engine's own certificate names: loopback, this host's name and addresses, and
    the listen address when it is a specific one (clients that verify by name check these)."""
    from .discovery import local_addresses  # noqa: PLC0415 - addresses only, nothing advertised

    names = ["localhost", "127.0.0.1", "::1", socket.gethostname()]
    if listen_host not in ("", "0.0.0.0", "::"):  # noqa: S104 - compared, not bound
        names.append(listen_host)
    names.extend(local_addresses(listen_host))
    return names


def _serve_engine(config: BridgeConfig, models: ModelFiles) -> int:
    """The engine alone: its certificate lives in its own data directory."""
    engine = config.engine
    try:
        certificate = load_or_create_certificate(
            engine.data_dir / TLS_DIR,
            f"SmartShop engine {config.bridge_id}",
            files=(ENGINE_CERT_FILE, ENGINE_KEY_FILE),
            alt_names=engine_host_names(engine.listen.host),
        )
    except CertificateError as err:
        return _fail(EXIT_START, "access", err)
    _LOGGER.info(
        "SmartShop engine %s alone (%s): no bridge API, no discovery, no pairing; "
        "configuration from %s, data in %s",
        BRIDGE_VERSION,
        config.mode_reason,
        config.source,
        engine.data_dir,
    )
    _LOGGER.info("detector model %s sha256 %s", models.detector, models.detector_sha256)
    _LOGGER.info("recognizer model %s sha256 %s", models.recognizer, models.recognizer_sha256)
    _LOGGER.info(
        "TLS certificate %s, SHA-256 %s, for %s",
        certificate.cert_path,
        certificate.fingerprint,
        ", ".join(certificate.alt_names) or "no host name",
    )
    _LOGGER.info(
        "recognition engine: region %s, %d configured access key(s)",
        engine.region,
        len(engine.credentials),
    )
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_run(config, models, certificate, None))
    return EXIT_OK


def _serve(config: BridgeConfig, models: ModelFiles) -> int:
    if config.engine_only:
        return _serve_engine(config, models)
    try:
        certificate, access = _open_access(config)
        _log_startup(config, models, certificate, access)
        _offer_pairing_code(access)
    except (_AccessFailure, AccessError) as err:
        return _fail(EXIT_START, "access", err)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_run(config, models, certificate, access))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
