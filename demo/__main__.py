"""Run the SmartShop demo: a bridge on a generated clip, its engine, and a real Home Assistant.

``python -m demo`` starts everything, prints the URL and the demo login and runs until Ctrl-C.
``python -m demo --check`` runs the same headless and exits 0 once the demo offender's match
arrives on Home Assistant's event bus (printing the end-to-end latency), or non-zero with the
reason after 180 s.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
import json
import os
from pathlib import Path
import secrets
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

import aiohttp
import yaml

from .bridge_process import (
    REPO,
    BridgeStartError,
    RunningBridge,
    demo_clip,
    start_bridge,
    write_config,
)

WORK = Path(os.environ.get("SMARTSHOP_DEMO_DIR") or REPO / ".demo")
FACES = REPO / "tests" / "fixtures" / "faces"
HA_URL = "http://127.0.0.1:8123"
CLIENT_ID = f"{HA_URL}/"
BRIDGE_ID = "demo-bridge"
BRIDGE_API_PORT = 8765
ENGINE_PORT = 8766
USERNAME = "demo"
PASSWORD = "smartshop-demo"  # noqa: S105 - the published demo login, loopback only
STORE = "Demo shop"
CHECK_TIMEOUT_S = 180.0
HA_START_TIMEOUT_S = 240.0


class DemoError(Exception):
    """The demo cannot go on; the message says why."""


def log(message: str) -> None:
    """Progress for the person running the demo."""
    print(f"[demo {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ----------------------------------------------------------------------------- processes


def _demo_key() -> str:
    """The demo bridge's pairing key: made once, kept in .demo/ (so re-runs pair the same way)."""
    path = WORK / "bridge-pairing-key"
    if not path.is_file():
        WORK.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def _ha_config_dir() -> Path:
    """A Home Assistant config folder with only what the demo needs."""
    config = WORK / "homeassistant"
    (config / "custom_components").mkdir(parents=True, exist_ok=True)
    link = config / "custom_components" / "smartshop"
    if not link.exists():
        link.symlink_to(REPO / "custom_components" / "smartshop")
    blueprints = config / "blueprints" / "automation"
    blueprints.mkdir(parents=True, exist_ok=True)
    if not (blueprints / "smartshop").exists():
        (blueprints / "smartshop").symlink_to(REPO / "blueprints" / "automation" / "smartshop")
    settings = {
        "homeassistant": {
            "name": "SmartShop demo",
            "time_zone": "Europe/London",
            "country": "GB",
            "unit_system": "metric",
            "currency": "GBP",
            "allowlist_external_dirs": [str(FACES)],
        },
        "http": {"server_host": "127.0.0.1", "server_port": 8123},
        "frontend": None,
        "config": None,
        "onboarding": None,
        "repairs": None,
        "history": None,
        "logbook": None,
        "notify": None,
        # Blueprint (a): staff alert with the snapshot and Confirm / Not them buttons. The demo has
        # no phone, so it notifies Home Assistant's own notification panel; the buttons are the
        # companion app's notification actions, which `--check` presses through the event API.
        "automation": [
            {
                "id": "smartshop_demo_notify_staff",
                "alias": "SmartShop demo: notify staff",
                "use_blueprint": {
                    "path": "smartshop/notify_staff.yaml",
                    "input": {"notify_service": "notify.persistent_notification"},
                },
            }
        ],
        "logger": {"default": "warning", "logs": {"custom_components.smartshop": "info"}},
    }
    (config / "configuration.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return config


def _start_home_assistant(config: Path) -> subprocess.Popen[bytes]:
    log_file = (WORK / "homeassistant.log").open("wb")
    return subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "homeassistant", "-c", str(config)],
        cwd=REPO,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _stop(proc: subprocess.Popen[bytes], name: str) -> None:
    if proc.poll() is None:
        log(f"stopping {name}")
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# ----------------------------------------------------------------------------- Home Assistant API


class HomeAssistantApi:
    """Just enough of Home Assistant's HTTP and WebSocket APIs to set the demo up."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.token = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def wait_until_up(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + HA_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise DemoError(
                    f"Home Assistant exited with code {proc.returncode}; "
                    f"see {WORK / 'homeassistant.log'}"
                )
            try:
                async with self.session.get(f"{HA_URL}/api/onboarding") as response:
                    if response.status in (200, 401, 404):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(1)
        raise DemoError(f"Home Assistant did not answer within {HA_START_TIMEOUT_S:.0f} s")

    async def log_in(self) -> None:
        """Onboard on the first run; afterwards log in with the demo user."""
        async with self.session.get(f"{HA_URL}/api/onboarding") as response:
            steps = await response.json() if response.status == 200 else []
        done = {step["step"] for step in steps if step.get("done")}
        if steps and "user" not in done:
            log("onboarding: creating the demo owner account")
            code = await self._post_json(
                "/api/onboarding/users",
                {
                    "client_id": CLIENT_ID,
                    "name": "Demo owner",
                    "username": USERNAME,
                    "password": PASSWORD,
                    "language": "en",
                },
                auth=False,
            )
            await self._token(code["auth_code"])
        else:
            await self._password_login()
        for step, payload in (
            ("core_config", {}),
            ("analytics", {}),
            ("integration", {"client_id": CLIENT_ID, "redirect_uri": f"{HA_URL}/?auth_callback=1"}),
        ):
            if steps and step not in done:
                await self._post_json(f"/api/onboarding/{step}", payload)

    async def _password_login(self) -> None:
        flow = await self._post_json(
            "/auth/login_flow",
            {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID},
            auth=False,
        )
        result = await self._post_json(
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": CLIENT_ID, "username": USERNAME, "password": PASSWORD},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise DemoError("the demo login was refused; delete .demo/ to start the demo afresh")
        await self._token(result["result"])

    async def _token(self, code: str) -> None:
        async with self.session.post(
            f"{HA_URL}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID},
        ) as response:
            self.token = (await response.json())["access_token"]

    async def _post_json(self, path: str, payload: Any, *, auth: bool = True) -> Any:
        async with self.session.post(
            f"{HA_URL}{path}", json=payload, headers=self.headers if auth else {}
        ) as response:
            text = await response.text()
            if response.status >= 400:
                raise DemoError(f"{path}: HTTP {response.status}: {text[:300]}")
            try:
                return json.loads(text)
            except json.JSONDecodeError as err:
                raise DemoError(f"{path}: not JSON: {text[:300]}") from err

    async def _get_json(self, path: str) -> Any:
        async with self.session.get(f"{HA_URL}{path}", headers=self.headers) as response:
            return await response.json()

    async def ensure_store(self, key: str) -> str:
        """Pair the demo bridge (engine backend) and add the "Demo" watchlist, once."""
        entries = await self._get_json("/api/config/config_entries/entry?domain=smartshop")
        if entries:
            return str(entries[0]["entry_id"])
        log("pairing the demo bridge in the SmartShop config flow")
        flow = await self._post_json("/api/config/config_entries/flow", {"handler": "smartshop"})
        steps: list[dict[str, Any]] = [
            {"next_step_id": "pair_bridge"},
            {"host": "127.0.0.1", "port": BRIDGE_API_PORT, "pairing_key": key},
            {"store_name": STORE, "backend": "engine"},
            {"dpia_done": True, "signage_up": True},
        ]
        for step in steps:
            flow = await self._post_json(f"/api/config/config_entries/flow/{flow['flow_id']}", step)
            if flow.get("errors"):
                raise DemoError(f"config flow step {flow.get('step_id')}: {flow['errors']}")
        if flow.get("type") != "create_entry":
            raise DemoError(f"the config flow ended with {flow}")
        entry_id = str(flow["result"]["entry_id"])
        sub = await self._post_json(
            "/api/config/config_entries/subentries/flow", {"handler": [entry_id, "watchlist"]}
        )
        sub = await self._post_json(
            f"/api/config/config_entries/subentries/flow/{sub['flow_id']}",
            {"name": "Demo", "category": "theft"},
        )
        if sub.get("type") != "create_entry":
            raise DemoError(f"adding the demo watchlist failed: {sub}")
        return entry_id

    async def ensure_offender(self) -> None:
        """Enrol the demo offender (the NASA astronaut photo) with full metadata, once."""
        people: list[dict[str, Any]] | None = None
        for _ in range(90):  # the store (re)loads after set-up and after the watchlist is added
            try:
                listed = await self._post_json(
                    "/api/services/smartshop/list_people?return_response", {}
                )
            except DemoError:
                await asyncio.sleep(1)
                continue
            people = listed["service_response"]["people"]
            break
        if people is None:
            raise DemoError(
                "the SmartShop store did not load; see the demo folder's homeassistant.log"
            )
        if people:
            return
        log("enrolling the demo offender on the Demo watchlist")
        await self._post_json(
            "/api/services/smartshop/enroll_person?return_response",
            {
                "watchlist": "Demo",
                "name": "Demo offender (NASA astronaut photo)",
                "category": "theft",
                "reason": "Demo entry: not a real person of interest",
                "incident_reference": "DEMO-0001",
                "added_by": "SmartShop demo",
                "image_path": str(FACES / "astronaut.jpg"),
            },
        )

    async def wait_for_match(
        self, within: float, prepare: Callable[[], Awaitable[None]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Subscribe, run ``prepare`` (set-up and enrolment), then wait for the first
        ``smartshop_match``; press its notification's Confirm button and return the
        ``smartshop_match_confirmed`` that the blueprint's review produces.

        Subscribing first matters: the first match starts the person's alert cooldown, so a
        match missed before subscribing would not be announced again for minutes."""
        async with self.session.ws_connect(f"{HA_URL}/api/websocket") as ws:
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": self.token})
            if (await ws.receive_json()).get("type") != "auth_ok":
                raise DemoError("the WebSocket API refused the demo token")
            for number, event_type in enumerate(("smartshop_match", "smartshop_match_confirmed")):
                await ws.send_json(
                    {"id": number + 1, "type": "subscribe_events", "event_type": event_type}
                )
            await prepare()
            log("waiting for the demo offender's match on Home Assistant's event bus")
            async with asyncio.timeout(within):
                match = await _next_event(ws, "smartshop_match")
                await self._check_snapshot(match["data"]["snapshot_url"])
                await asyncio.sleep(1)  # the blueprint is now waiting for a button
                await self._post_json(
                    "/api/events/mobile_app_notification_action",
                    {"action": f"SMARTSHOP_CONFIRM_{match['data']['incident_id']}"},
                )
                confirmed = await _next_event(ws, "smartshop_match_confirmed")
                return match, confirmed

    async def _check_snapshot(self, url: str | None) -> None:
        """The alert's signed snapshot link must serve the face without a token."""
        if not url:
            raise DemoError("the match event carried no snapshot link")
        async with self.session.get(f"{HA_URL}{url}") as response:
            body = await response.read()
        if response.status != 200 or body[:2] != b"\xff\xd8":
            raise DemoError(f"the snapshot link answered HTTP {response.status}")


async def _next_event(ws: aiohttp.ClientWebSocketResponse, event_type: str) -> dict[str, Any]:
    while True:
        message = await ws.receive_json()
        if message.get("type") == "event" and message["event"]["event_type"] == event_type:
            event: dict[str, Any] = message["event"]
            return event


# ----------------------------------------------------------------------------- main


async def _run(check: bool) -> int:
    started = time.monotonic()
    log("preparing the demo clip (public-domain faces)")
    clip = demo_clip(WORK / "clip")
    key = _demo_key()
    bridge_config = write_config(
        WORK / "bridge",
        bridge_id=BRIDGE_ID,
        api_key=key,
        clip=clip,
        api_port=BRIDGE_API_PORT,
        engine_port=ENGINE_PORT,
        camera_name="Front door",
        location="Entrance",
    )
    log("starting the edge bridge and its recognition engine")
    try:
        bridge: RunningBridge = start_bridge(bridge_config, bridge_id=BRIDGE_ID, api_key=key)
    except BridgeStartError as err:
        raise DemoError(str(err)) from err
    log(
        f"bridge API on http://127.0.0.1:{bridge.api_port}, engine on http://127.0.0.1:{bridge.engine_port}"
    )
    ha = _start_home_assistant(_ha_config_dir())
    try:
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session)
            log("starting Home Assistant (the first start takes a minute)")
            await api.wait_until_up(ha)
            await api.log_in()

            async def prepare() -> None:
                await api.ensure_store(key)
                await api.ensure_offender()

            if check:
                remaining = CHECK_TIMEOUT_S - (time.monotonic() - started)
                try:
                    event, confirmed = await api.wait_for_match(max(remaining, 10), prepare)
                except TimeoutError as err:
                    raise DemoError(
                        f"no match confirmed through the alert within {CHECK_TIMEOUT_S:.0f} s"
                    ) from err
                data = event["data"]
                fired = datetime.fromisoformat(event["time_fired"])
                seen = datetime.fromisoformat(data["seen_at"])
                latency_ms = (fired - seen).total_seconds() * 1000
                log(
                    f"match: person {data['person_id']} on {data['watchlist']} "
                    f"at {data['location']}, similarity {data['similarity']}"
                )
                print(
                    "end-to-end latency (face first seen at the bridge -> event on HA's bus): "
                    f"{latency_ms:.0f} ms"
                )
                log(
                    "the alert's snapshot link served the face; its Confirm button confirmed the "
                    f"match (reviewer: {confirmed['data']['reviewer']})"
                )
                print(f"demo check passed in {time.monotonic() - started:.0f} s")
                return 0
            await prepare()
            print(
                f"\nSmartShop demo is running.\n"
                f"  Home Assistant: {HA_URL}\n"
                f"  Log in as:      {USERNAME} / {PASSWORD}\n"
                f"  Then open Settings -> Devices & services -> SmartShop, or Developer tools ->\n"
                f"  Events and listen to smartshop_match: the astronaut is the demo offender.\n"
                f"Ctrl-C stops everything.\n",
                flush=True,
            )
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            while not stop.is_set() and ha.poll() is None and bridge.proc.poll() is None:
                try:
                    await asyncio.wait_for(stop.wait(), 1)
                except TimeoutError:
                    continue
            return 0
    finally:
        _stop(ha, "Home Assistant")
        log("stopping the bridge")
        bridge.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="run headless; exit 0 on the first match"
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="forget the demo's Home Assistant and bridge data first",
    )
    args = parser.parse_args(argv)
    if args.reset and WORK.exists():
        shutil.rmtree(WORK)
    try:
        return asyncio.run(_run(args.check))
    except DemoError as err:
        print(f"demo failed: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
