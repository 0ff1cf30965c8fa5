"""Run the SmartShop demo: a bridge on a generated clip, its engine, and a real Home Assistant.

``python -m demo`` starts everything, prints the URL and the demo login and runs until Ctrl-C.
``python -m demo --check`` runs the same headless and exits 0 once the demo offender's match has
gone through the staff alert and been confirmed with its button (printing the end-to-end
latency), or non-zero naming the stage that did not happen.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time

import aiohttp

from .bridge_process import (
    REPO,
    BridgeStartError,
    RunningBridge,
    demo_clip,
    start_bridge,
    write_config,
)
from .check import AlertCheck, Bridge, CheckResult, owner_greeting_problems
from .history import ensure_history
from .home_assistant import (
    ALERT_AUTOMATION_ID,
    HA_PORT,
    PASSWORD,
    USERNAME,
    DemoError,
    HomeAssistantApi,
    WebSocket,
    error_lines,
    ha_url,
    start_process,
    write_config_dir,
)
from .store import STORE, ensure_offender, ensure_store

WORK = Path(os.environ.get("SMARTSHOP_DEMO_DIR") or REPO / ".demo")
BRIDGE_ID = "demo-bridge"
BRIDGE_API_PORT = 8765
ENGINE_PORT = 8766
PAIRED_PORTS_FILE = "bridge-ports.json"  # where the store met its bridge, in a kept folder
CHECK_TIMEOUT_S = 300.0
READY_LINE = "SmartShop demo is running."


def log(message: str) -> None:
    """Progress for the person running the demo."""
    print(f"[demo {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _stop(proc: subprocess.Popen[bytes], name: str) -> None:
    if proc.poll() is None:
        log(f"stopping {name}")
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _report(result: CheckResult, started: float, ha_version: str, ha_log: Path) -> None:
    data = result.match["data"]
    log(
        f"match: person {data['person_id']} on {data['watchlist']} "
        f"at {data['location']}, similarity {data['similarity']}"
    )
    print(
        "end-to-end latency (face first seen at the bridge -> event on HA's bus): "
        f"{result.latency_ms:.0f} ms"
    )
    log(
        "the alert's snapshot link served the face; its Confirm button confirmed the "
        f"match (reviewer: {result.confirmed['data']['reviewer']})"
    )
    log("stages: " + " -> ".join(result.stages))
    errors = error_lines(ha_log)
    if errors:
        shown = "\n  ".join(line[:300] for line in errors[:10])
        raise DemoError(f"Home Assistant logged {len(errors)} ERROR line(s):\n  {shown}")
    print(f"Home Assistant {ha_version} log: 0 ERROR lines")
    print(f"demo check passed in {time.monotonic() - started:.0f} s", flush=True)


async def _until_stopped(ha: subprocess.Popen[bytes], bridge: RunningBridge) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set() and ha.poll() is None and bridge.proc.poll() is None:
        try:
            await asyncio.wait_for(stop.wait(), 1)
        except TimeoutError:
            continue


@dataclass(frozen=True)
class Ports:
    """Where the demo listens, all on 127.0.0.1 (0 for the bridge's: any free port)."""

    ha: int = HA_PORT
    bridge_api: int = BRIDGE_API_PORT
    engine: int = ENGINE_PORT


def _port_in_use(port: int) -> bool:
    """True when a server could not listen on 127.0.0.1:``port`` now: something answers
    there, or holds the port on 127.0.0.1 or on every address."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return True
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _ports_free(ports: Ports) -> None:
    """Refuse to start next to another demo or Home Assistant: its answers would be taken
    for this one's. One line naming the port and what to do."""
    for what, port, option in (
        ("Home Assistant", ports.ha, "--ha-port"),
        ("the bridge API", ports.bridge_api, "--bridge-port"),
        ("the engine", ports.engine, "--engine-port"),
    ):
        if port and _port_in_use(port):
            raise DemoError(
                f"port {port} on 127.0.0.1, for {what}, is in use (another demo or Home "
                f"Assistant?): stop that program, or give the demo another port with "
                f"scripts/demo {option} PORT"
            )


def _check_paired_ports(ports: Ports) -> None:
    """A kept demo folder's store remembers where it paired with its bridge and engine: the
    bridge must come back on those ports."""
    path = WORK / PAIRED_PORTS_FILE
    if not path.is_file():
        return
    paired = json.loads(path.read_text())
    bridge_api, engine = int(paired["bridge_api"]), int(paired["engine"])
    if (ports.bridge_api, ports.engine) != (bridge_api, engine):
        raise DemoError(
            f"the store in {WORK} was paired with the bridge on ports {bridge_api} and {engine}: "
            f"run with --bridge-port {bridge_api} --engine-port {engine}, or add --reset to "
            "start afresh"
        )


def _remember_ports(bridge: RunningBridge) -> None:
    path = WORK / PAIRED_PORTS_FILE
    if not path.is_file():
        path.write_text(json.dumps({"bridge_api": bridge.api_port, "engine": bridge.engine_port}))


def _start_bridge(ports: Ports) -> RunningBridge:
    """The demo bridge on the demo clip, once every port is known to be usable."""
    _check_paired_ports(ports)
    _ports_free(ports)
    log("preparing the demo clip (public-domain faces)")
    clip = demo_clip(WORK / "clip")
    # A demo folder from before TLS holds the key its store was paired with; configured as the
    # bridge's legacy key, it lets that store migrate to its own credentials like a shop's would.
    legacy = WORK / "bridge-pairing-key"
    bridge_config = write_config(
        WORK / "bridge",
        bridge_id=BRIDGE_ID,
        clip=clip,
        legacy_api_key=legacy.read_text().strip() if legacy.is_file() else None,
        api_port=ports.bridge_api,
        engine_port=ports.engine,
        camera_name="Front door",
        location="Entrance",
    )
    log("starting the edge bridge and its recognition engine")
    try:
        bridge = start_bridge(bridge_config, bridge_id=BRIDGE_ID)
    except BridgeStartError as err:
        raise DemoError(str(err)) from err
    _remember_ports(bridge)
    log(
        f"bridge API on https://127.0.0.1:{bridge.api_port}, "
        f"engine on https://127.0.0.1:{bridge.engine_port}"
    )
    return bridge


async def _history(ws: WebSocket, entry_id: str) -> None:
    """Eight weeks of incident history for the console's trends, on a demo's first start."""
    if added := await ensure_history(ws, entry_id, STORE, WORK / "homeassistant"):
        log(f"wrote {added} incidents of demo history (8 weeks, marked as demo data)")


async def _run(*, check: bool, keep_running: bool, ha_python: str, ports: Ports) -> int:
    started = time.monotonic()
    bridge = _start_bridge(ports)
    ha_log = WORK / "homeassistant.log"
    url = ha_url(ports.ha)
    ha = start_process(ha_python, write_config_dir(WORK / "homeassistant", ports.ha), ha_log)
    try:
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, url)
            log("starting Home Assistant (the first start takes a minute)")
            await api.wait_until_up(ha, ha_log)
            await api.log_in()
            ha_version = str((await api.get("/api/config"))["version"])
            log(f"Home Assistant {ha_version} is up")
            ws = await WebSocket.connect(session, api.token, url)
            try:
                await api.wait_until_running(ws)
                if (alert_state := await api.automation_state(ALERT_AUTOMATION_ID)) != "on":
                    raise DemoError(
                        f"the staff-alert automation is {alert_state or 'missing'}, not on; "
                        f"see {ha_log}"
                    )

                async def prepare() -> None:
                    log("setting up the demo store (bridge pairing, watchlist, offender)")
                    await _history(ws, await ensure_store(api, ws, bridge))
                    # Loaded, so a store from before TLS has migrated: its old key has served.
                    (WORK / "bridge-pairing-key").unlink(missing_ok=True)
                    await ensure_offender(api)
                    log("waiting for the demo offender to walk past the camera")

                if check:
                    alert = AlertCheck(api, ws, Bridge(bridge.log_path))
                    remaining = CHECK_TIMEOUT_S - (time.monotonic() - started)
                    try:
                        async with asyncio.timeout(max(remaining, 30)):
                            result = await alert.run(prepare)
                    except TimeoutError as err:
                        reason = await alert.explain(session)
                        raise DemoError(
                            f"the check did not finish within {CHECK_TIMEOUT_S:.0f} s; "
                            f"stage that did not happen: {reason} "
                            f"(reached: {', '.join(alert.stages) or 'nothing'})"
                        ) from err
                    if problems := await owner_greeting_problems(ws):
                        raise DemoError("the owner would be greeted by " + "; ".join(problems))
                    _report(result, started, ha_version, ha_log)
                    if not keep_running:
                        return 0
                else:
                    await prepare()
            finally:
                await ws.close()
            print(
                f"\n{READY_LINE}\n"
                f"  Home Assistant: {url}\n"
                f"  Log in as:      {USERNAME} / {PASSWORD}\n"
                f"  Then open Settings -> Devices & services -> SmartShop, or the notifications\n"
                f"  (bell) for the staff alert: the astronaut is the demo offender.\n"
                f"Ctrl-C stops everything.\n",
                flush=True,
            )
            await _until_stopped(ha, bridge)
            return 0
    finally:
        _stop(ha, "Home Assistant")
        log("stopping the bridge")
        bridge.stop()


def _port(*, minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isdigit() or not minimum <= int(text) <= 65535:
            raise argparse.ArgumentTypeError(f"a port is a number {minimum}-65535, not {text!r}")
        return int(text)

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="run headless; exit 0 once the first match is confirmed through the staff alert",
    )
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="with --check: keep the demo running after the check passed (until Ctrl-C)",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="forget the demo's Home Assistant and bridge data first",
    )
    for option, default, what in (
        ("--ha-port", HA_PORT, "Home Assistant's port"),
        ("--bridge-port", BRIDGE_API_PORT, "the bridge API's port (0: any free port)"),
        ("--engine-port", ENGINE_PORT, "the engine's port (0: any free port)"),
    ):
        parser.add_argument(
            option,
            type=_port(minimum=1 if option == "--ha-port" else 0),
            default=default,
            metavar="PORT",
            help=f"{what} on 127.0.0.1 (default: {default})",
        )
    parser.add_argument(
        "--ha-python",
        default=os.environ.get("SMARTSHOP_DEMO_HA_PYTHON") or sys.executable,
        help="the Python whose Home Assistant to run (default: this one)",
    )
    args = parser.parse_args(argv)
    if args.reset and WORK.exists():
        shutil.rmtree(WORK)
    try:
        return asyncio.run(
            _run(
                check=args.check,
                keep_running=args.keep_running,
                ha_python=args.ha_python,
                ports=Ports(args.ha_port, args.bridge_port, args.engine_port),
            )
        )
    except DemoError as err:
        print(f"demo failed: {err}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
