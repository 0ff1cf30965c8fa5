"""The demo's Home Assistant: its config folder, its process, and the APIs the demo drives.

Home Assistant is configured the way 2026.10 expects: integrations in ``configuration.yaml``, the
HTTP server's settings in its own storage (the ``http:`` YAML block is deprecated and would greet
the owner with a repair and a "confirm new HTTP server configuration" dialog).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
import itertools
import json
import os
from pathlib import Path
import subprocess
import time
from typing import Any

import aiohttp
import yaml

from .bridge_process import REPO

FACES = REPO / "tests" / "fixtures" / "faces"
HA_PORT = 8123  # the demo's documented port; tests give it a free one (``--ha-port``)
USERNAME = "demo"
PASSWORD = "smartshop-demo"  # noqa: S105 - the published demo login, loopback only
HA_START_TIMEOUT_S = 300.0
ALERT_AUTOMATION_ID = "smartshop_demo_notify_staff"


class DemoError(Exception):
    """The demo cannot go on; the message says why."""


def ha_url(port: int = HA_PORT) -> str:
    """Where the demo's Home Assistant answers (loopback only)."""
    return f"http://127.0.0.1:{port}"


def write_config_dir(config: Path, port: int = HA_PORT) -> Path:
    """A Home Assistant config folder with only what the demo needs (written on every start),
    its HTTP server on ``127.0.0.1:port``."""
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
        "frontend": None,
        "config": None,
        "onboarding": None,
        "repairs": None,
        "history": None,
        "logbook": None,
        "notify": None,
        # Blueprint (a): staff alert with the snapshot and Confirm / Not them buttons. The demo has
        # no phone, so it notifies Home Assistant's own notification panel (which shows the
        # snapshot inline); the buttons are the companion app's notification actions, which
        # `--check` presses through the event API.
        "automation": [
            {
                "id": ALERT_AUTOMATION_ID,
                "alias": "SmartShop demo: notify staff",
                "use_blueprint": {
                    "path": "smartshop/notify_staff.yaml",
                    "input": {
                        "notify_service": "notify.persistent_notification",
                        "snapshot_in_message": True,
                    },
                },
            }
        ],
        "logger": {"default": "warning", "logs": {"custom_components.smartshop": "info"}},
    }
    (config / "configuration.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    _write_http_settings(config, port)
    _skip_default_integrations(config)
    return config


def _write_storage(config: Path, key: str, version: int, minor_version: int, data: Any) -> None:
    """Seed one of Home Assistant's storage files before its first start (never overwrites)."""
    path = config / ".storage" / key
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    stored = {"version": version, "minor_version": minor_version, "key": key, "data": data}
    path.write_text(json.dumps(stored, indent=2))
    path.chmod(0o600)


def _skip_default_integrations(config: Path) -> None:
    """Mark onboarding's location step done (the YAML above sets the location): that step also
    adds weather, radio and text-to-speech integrations, which need the internet and have no
    part in the demo. The owner account is still created through onboarding."""
    _write_storage(config, "onboarding", 4, 1, {"done": ["core_config"]})


def _write_http_settings(config: Path, port: int) -> None:
    """Bind the demo to loopback through Home Assistant's stored HTTP settings.

    Written once, before the first start, in the format Home Assistant 2026.10 saves itself
    (newer releases migrate it); from then on the settings are the owner's to change in the UI,
    except the port, which follows the demo's (``--ha-port``) so the demo finds its Home
    Assistant where it expects it.
    """
    _follow_port(config / ".storage" / "http", port)
    stable = {
        "server_host": ["127.0.0.1"],
        "server_port": port,
        "cors_allowed_origins": ["https://cast.home-assistant.io"],
        "login_attempts_threshold": -1,
        "ip_ban_enabled": True,
        "ssl_profile": "modern",
        "use_x_frame_options": True,
        "created_at": datetime.now(UTC).isoformat(),
        "error": None,
        "error_message": None,
    }
    data = {"stable": stable, "pending": None, "yaml_migration_done": True}
    _write_storage(config, "http", 2, 2, data)


def _follow_port(path: Path, port: int) -> None:
    """Set the port in stored HTTP settings written by an earlier run (any format version)."""
    if not path.is_file():
        return
    stored = json.loads(path.read_text())
    changed = False
    for key in ("stable", "pending"):
        settings = stored.get("data", {}).get(key)
        if isinstance(settings, dict) and settings.get("server_port", HA_PORT) != port:
            settings["server_port"] = port
            changed = True
    if changed:
        path.write_text(json.dumps(stored, indent=2))


def start_process(python: str, config: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """``python -m homeassistant -c config``, logging to ``log_path`` (truncated)."""
    log_file = log_path.open("wb")
    return subprocess.Popen(  # noqa: S603 - a Python interpreter chosen by the person running the demo
        [python, "-m", "homeassistant", "-c", str(config)],
        cwd=REPO,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def error_lines(log_path: Path) -> list[str]:
    """The ``ERROR`` (and ``CRITICAL``) records of a Home Assistant log."""
    if not log_path.is_file():
        return []
    return [
        line
        for line in log_path.read_text(errors="replace").splitlines()
        if " ERROR (" in line or " CRITICAL (" in line
    ]


class WebSocket:
    """Home Assistant's WebSocket API: commands with results, subscriptions with queues."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._results: dict[int, asyncio.Future[Any]] = {}
        self._subscriptions: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, token: str, url: str) -> WebSocket:
        """Log in to the WebSocket API of the Home Assistant at ``url``."""
        ws = await session.ws_connect(f"{url}/api/websocket", max_msg_size=0)
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        if (await ws.receive_json()).get("type") != "auth_ok":
            await ws.close()
            raise DemoError("the WebSocket API refused the demo token")
        client = cls(ws)
        client._reader = asyncio.create_task(client._read())
        return client

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self._ws.close()

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            for item in data if isinstance(data, list) else [data]:
                number = item.get("id")
                if item.get("type") == "event" and number in self._subscriptions:
                    self._subscriptions[number].put_nowait(item["event"])
                elif number in self._results and not self._results[number].done():
                    self._results[number].set_result(item)
        for future in self._results.values():
            if not future.done():
                future.set_exception(DemoError("Home Assistant closed the WebSocket"))

    async def call(self, command: str, **fields: Any) -> Any:
        """Send a command; return its result or raise with Home Assistant's error."""
        number = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._results[number] = future
        await self._ws.send_json({"id": number, "type": command, **fields})
        reply = await future
        del self._results[number]
        if not reply.get("success"):
            raise DemoError(f"{command}: {reply.get('error')}")
        return reply.get("result")

    async def subscribe(self, command: str, **fields: Any) -> asyncio.Queue[dict[str, Any]]:
        """Subscribe (``subscribe_events`` or any subscription command); events land in a queue."""
        number = next(self._ids)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._subscriptions[number] = queue
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._results[number] = future
        await self._ws.send_json({"id": number, "type": command, **fields})
        reply = await future
        if not reply.get("success"):
            raise DemoError(f"{command}: {reply.get('error')}")
        return queue


class HomeAssistantApi:
    """Just enough of Home Assistant's HTTP API to onboard, log in and set the demo up."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.client_id = f"{url}/"
        self.token = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def wait_until_up(self, proc: subprocess.Popen[bytes], log_path: Path) -> None:
        deadline = time.monotonic() + HA_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise DemoError(
                    f"Home Assistant exited with code {proc.returncode}; see {log_path}"
                )
            try:
                async with self.session.get(f"{self.url}/api/onboarding") as response:
                    if response.status in (200, 401, 404):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(1)
        raise DemoError(f"Home Assistant did not answer within {HA_START_TIMEOUT_S:.0f} s")

    async def log_in(self) -> None:
        """Onboard on the first run; afterwards log in with the demo user."""
        async with self.session.get(f"{self.url}/api/onboarding") as response:
            steps = await response.json() if response.status == 200 else []
        done = {step["step"] for step in steps if step.get("done")}
        if steps and "user" not in done:
            code = await self.post(
                "/api/onboarding/users",
                {
                    "client_id": self.client_id,
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
            (
                "integration",
                {"client_id": self.client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
            ),
        ):
            if steps and step not in done:
                await self.post(f"/api/onboarding/{step}", payload)

    async def _password_login(self) -> None:
        flow = await self.post(
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
            auth=False,
        )
        result = await self.post(
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": USERNAME, "password": PASSWORD},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise DemoError("the demo login was refused; `scripts/demo --reset` starts afresh")
        await self._token(result["result"])

    async def _token(self, code: str) -> None:
        async with self.session.post(
            f"{self.url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
        ) as response:
            self.token = (await response.json())["access_token"]

    async def post(self, path: str, payload: Mapping[str, Any], *, auth: bool = True) -> Any:
        async with self.session.post(
            f"{self.url}{path}", json=payload, headers=self.headers if auth else {}
        ) as response:
            text = await response.text()
            if response.status >= 400:
                raise DemoError(f"{path}: HTTP {response.status}: {text[:300]}")
            try:
                return json.loads(text)
            except json.JSONDecodeError as err:
                raise DemoError(f"{path}: not JSON: {text[:300]}") from err

    async def get(self, path: str) -> Any:
        async with self.session.get(f"{self.url}{path}", headers=self.headers) as response:
            if response.status >= 400:
                raise DemoError(f"{path}: HTTP {response.status}")
            return await response.json()

    async def wait_until_running(self, ws: WebSocket) -> None:
        """Until Home Assistant has finished starting: automations are armed only then, so a
        match before it would alert nobody."""
        started = await ws.subscribe("subscribe_events", event_type="homeassistant_started")
        if (await self.get("/api/config"))["state"] != "RUNNING":
            await started.get()

    async def automation_state(self, automation_id: str) -> str | None:
        """The state of the automation whose configured ``id`` is ``automation_id``."""
        for state in await self.get("/api/states"):
            if (
                state["entity_id"].startswith("automation.")
                and state["attributes"].get("id") == automation_id
            ):
                return str(state["state"])
        return None

    async def listener_count(self, event_type: str) -> int:
        """How many listeners Home Assistant's bus has for ``event_type`` right now."""
        for item in await self.get("/api/events"):
            if item["event"] == event_type:
                return int(item["listener_count"])
        return 0
