"""``python -m edge_bridge [--config FILE]``: run the SmartShop bridge.

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
import sys

from .auth import (
    ApiKey,
    ApiKeyError,
    key_path,
    load_or_create_key,
    read_key_file,
)
from .config import ConfigError, load_config
from .model_files import ModelError, ModelFiles, locate_models
from .protocol import engine_access_key_id
from .settings import BridgeConfig
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
        "--show-api-key", action="store_true", help="print the bridge API key (pairing code)"
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


def _show_api_key(config: BridgeConfig) -> int:
    if config.api.api_key:
        sys.stdout.write(config.api.api_key + "\n")
        return EXIT_OK
    try:
        stored = read_key_file(key_path(config.data_dir))
    except ApiKeyError as err:
        return _fail(EXIT_START, "API key", err)
    if stored is None:
        return _fail(
            EXIT_START, "API key", f"no key in {config.data_dir} yet; start the bridge once"
        )
    sys.stdout.write(stored + "\n")
    return EXIT_OK


def _log_startup(config: BridgeConfig, models: ModelFiles, api_key: ApiKey) -> None:
    _LOGGER.info(
        "SmartShop bridge %s, id %r, configuration from %s, data in %s",
        BRIDGE_VERSION,
        config.bridge_id,
        config.source,
        config.data_dir,
    )
    _LOGGER.info("detector model %s sha256 %s", models.detector, models.detector_sha256)
    _LOGGER.info("recognizer model %s sha256 %s", models.recognizer, models.recognizer_sha256)
    where = {"configuration": "from configuration", "file": f"stored in {api_key.path}"}
    _LOGGER.info(
        "bridge API key %s (fingerprint %s)",
        where.get(api_key.origin, f"generated and stored in {api_key.path}"),
        api_key.fingerprint,
    )
    cameras = [c for c in config.cameras if c.enabled]
    _LOGGER.info(
        "%d camera(s): %s",
        len(cameras),
        ", ".join(f"{c.id}={c.source.redacted()}" for c in cameras) or "none",
    )
    if config.engine.enabled:
        _LOGGER.info(
            "recognition engine: data in %s, region %s, access keys: %s (the pairing code) "
            "and %d configured",
            config.engine.data_dir,
            config.engine.region,
            engine_access_key_id(config.bridge_id),
            len(config.engine.credentials),
        )
    else:
        _LOGGER.info("recognition engine off (engine.enabled is false)")


def _print_pairing_code(api_key: ApiKey) -> None:
    """Shown once, on the start that generated the key."""
    sys.stdout.write(
        "\n"
        "  SmartShop bridge pairing code (shown once; enter it in Home Assistant):\n"
        f"    {api_key.value}\n"
        f"  It is kept in {api_key.path}; `python -m edge_bridge --show-api-key` prints it.\n"
        "\n"
    )
    sys.stdout.flush()


async def _run(config: BridgeConfig, models: ModelFiles, api_key: ApiKey) -> int:
    from .runtime import Bridge, StartupError  # noqa: PLC0415 - heavy imports after validation

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[str] = []

    def _on_signal(name: str) -> None:
        received.append(name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _on_signal, sig.name)
    bridge = Bridge(config, models, api_key)
    try:
        await bridge.start()
    except StartupError as err:
        return _fail(EXIT_START, "cannot start", err)
    _LOGGER.info("bridge ready")
    await stop.wait()
    _LOGGER.info("%s received; shutting down", received[0] if received else "stop")
    await bridge.stop()
    _LOGGER.info("stopped cleanly")
    return EXIT_OK


def _check(config: BridgeConfig, models: ModelFiles) -> int:
    """Validate without side effects (no key is generated)."""
    if not config.api.api_key:
        try:
            read_key_file(key_path(config.data_dir))
        except ApiKeyError as err:
            return _fail(EXIT_START, "API key", err)
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
    if args.show_api_key:
        return _show_api_key(config)
    configure_logging(config.log_level)
    # Network cameras over TCP: UDP RTSP loses packets and smears frames on busy networks.
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
    try:
        models = locate_models(config.models.detector, config.models.recognizer)
    except ModelError as err:
        return _fail(EXIT_MODELS, "model error", err)
    if args.check:
        return _check(config, models)
    return _serve(config, models)


def _serve(config: BridgeConfig, models: ModelFiles) -> int:
    try:
        api_key = load_or_create_key(config.api.api_key, config.data_dir)
    except ApiKeyError as err:
        return _fail(EXIT_START, "API key", err)
    _log_startup(config, models, api_key)
    if api_key.origin == "generated":
        _print_pairing_code(api_key)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_run(config, models, api_key))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
