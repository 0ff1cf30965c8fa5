"""``scripts/demo --check``: the demo offender's visit followed through every stage of an alert.

Each stage waits for a fact that Home Assistant or the bridge reports, never for a time:
a face event at the bridge, the ``smartshop_match`` event, the staff-alert automation's run
waiting for a button (its trace and the bus listeners of its ``wait_for_trigger``), then the
Confirm press and the ``smartshop_match_confirmed`` it causes. One deadline covers the whole
check; when it passes, the error names the stage that did not happen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
import re
from typing import Any

import aiohttp

from .home_assistant import ALERT_AUTOMATION_ID, DemoError, HomeAssistantApi, WebSocket

BUTTON_EVENT = "mobile_app_notification_action"
# The notify_staff blueprint waits for two buttons (Confirm, Not them): two bus listeners.
BUTTONS = 2
ACTION_STEP_RE = re.compile(r"action/(\d+)")
FACE_EVENT_LINE_RE = re.compile(r"\] camera \S+: face event ", re.M)


@dataclass
class CheckResult:
    """What the check saw, for the summary it prints."""

    match: dict[str, Any]
    confirmed: dict[str, Any]
    stages: list[str] = field(default_factory=list)

    @property
    def latency_ms(self) -> float:
        fired = datetime.fromisoformat(self.match["time_fired"])
        seen = datetime.fromisoformat(self.match["data"]["seen_at"])
        return (fired - seen).total_seconds() * 1000


class StageFailed(DemoError):
    """A stage of the check did not happen before the deadline."""


@dataclass
class Bridge:
    """The demo bridge's log, to tell "no face event" from "no match" (the bridge logs each
    face event it sends; its API would need credentials of its own)."""

    log_path: Path

    async def face_events(self) -> int | None:
        """Face events the bridge has sent so far, or None when its log cannot be read."""
        try:
            text = await asyncio.to_thread(self.log_path.read_text, errors="replace")
        except OSError:
            return None
        return len(FACE_EVENT_LINE_RE.findall(text))


class AlertCheck:
    """Follows one match through the staff alert; ``stage`` says how far it got."""

    def __init__(self, api: HomeAssistantApi, ws: WebSocket, bridge: Bridge) -> None:
        self.api = api
        self.ws = ws
        self.bridge = bridge
        self.stage = "no face event"
        self.stages: list[str] = []
        self.face_events_before = 0

    def _reached(self, stage: str, next_stage: str) -> None:
        self.stages.append(stage)
        self.stage = next_stage

    async def run(self, prepare: Callable[[], Awaitable[None]]) -> CheckResult:
        """Subscribe, run ``prepare`` (set-up and enrolment), then follow the first match.

        Subscribing first matters: the first match starts the person's alert cooldown, so a
        match missed before subscribing would not be announced again for minutes."""
        matches = await self.ws.subscribe("subscribe_events", event_type="smartshop_match")
        confirmations = await self.ws.subscribe(
            "subscribe_events", event_type="smartshop_match_confirmed"
        )
        listeners_before = await self.api.listener_count(BUTTON_EVENT)
        self.face_events_before = await self.bridge.face_events() or 0
        self.stage = "set-up"
        await prepare()
        self._reached("store set up and offender enrolled", "no match")
        match = await matches.get()
        self._reached("smartshop_match", "no notification")
        await self._check_snapshot(match["data"].get("snapshot_url"))
        run_id = await self._wait_for_alert_run(match)
        self._reached("notification sent", "alert not waiting for a button")
        await self._wait_until_waiting(run_id, listeners_before + BUTTONS)
        self._reached("alert waiting for Confirm / Not them", "confirm not applied")
        await self.api.post(
            f"/api/events/{BUTTON_EVENT}",
            {"action": f"SMARTSHOP_CONFIRM_{match['data']['incident_id']}"},
        )
        confirmed = await confirmations.get()
        self._reached("Confirm pressed and the match confirmed", "done")
        return CheckResult(match=match, confirmed=confirmed, stages=self.stages)

    async def _check_snapshot(self, url: str | None) -> None:
        """The alert's signed snapshot link must serve the face without a token."""
        if not url:
            raise DemoError("the match event carried no snapshot link")
        async with self.api.session.get(f"{self.api.url}{url}") as response:
            body = await response.read()
        if response.status != 200 or body[:2] != b"\xff\xd8":
            raise DemoError(f"the snapshot link answered HTTP {response.status}")

    async def _traces(self) -> list[dict[str, Any]]:
        traces: list[dict[str, Any]] = await self.ws.call(
            "trace/list", domain="automation", item_id=ALERT_AUTOMATION_ID
        )
        return traces

    async def _wait_for_alert_run(self, match: dict[str, Any]) -> str:
        """The staff-alert automation's run that this match triggered, once it has notified."""
        seen: set[str] = set()
        while True:
            for trace in await self._traces():
                run_id = str(trace["run_id"])
                if run_id in seen:
                    continue
                detail = await self.ws.call(
                    "trace/get", domain="automation", item_id=ALERT_AUTOMATION_ID, run_id=run_id
                )
                if detail["context"].get("parent_id") != match["context"]["id"]:
                    seen.add(run_id)
                    continue
                if detail.get("error"):
                    raise StageFailed(f"the staff alert failed: {detail['error']}")
                step = ACTION_STEP_RE.match(trace.get("last_step") or "")
                if step and int(step[1]) >= 1:  # past action 0, the notification
                    return run_id
                if detail.get("state") == "stopped":
                    raise StageFailed(
                        "the staff alert stopped before notifying (a condition did not pass: "
                        "check the blueprint's categories and quiet hours)"
                    )
            await self._next_change()

    async def _wait_until_waiting(self, run_id: str, listeners: int) -> None:
        """Until the run is at its ``wait_for_trigger`` with both buttons listened to."""
        while True:
            trace = next((t for t in await self._traces() if t["run_id"] == run_id), None)
            if trace is None or trace.get("state") == "stopped":
                raise StageFailed(
                    f"the staff alert ended before waiting for a button: {trace or 'no trace'}"
                )
            if (
                trace.get("last_step") == "action/1"
                and await self.api.listener_count(BUTTON_EVENT) >= listeners
            ):
                return
            await self._next_change()

    async def _next_change(self) -> None:
        """Let Home Assistant run before asking again (a poll of facts, not a timed wait)."""
        await asyncio.sleep(0.1)

    async def explain(self, session: aiohttp.ClientSession) -> str:
        """Which stage did not happen, with what the bridge says when that is the question."""
        if self.stage in ("no face event", "no match", "set-up"):
            events = await self.bridge.face_events()
            if events is None:
                return f"{self.stage}: the bridge did not answer"
            new = events - self.face_events_before
            if self.stage == "set-up":
                return "set-up: the store or the demo offender could not be set up"
            if new <= 0:
                return "no face event: the bridge sent no face event since the check started"
            return f"no match: the bridge sent {new} face event(s), none matched the offender"
        return self.stage


async def owner_greeting_problems(ws: WebSocket) -> list[str]:
    """What would greet the owner at the first login: repairs, or an HTTP configuration
    waiting to be confirmed (the dialog that reverts by itself)."""
    problems = [
        f"repair {issue['domain']}.{issue['issue_id']}"
        for issue in (await ws.call("repairs/list_issues"))["issues"]
        if not issue.get("dismissed_version")
    ]
    http = await ws.call("http/config")
    if http.get("pending") or http.get("revert_at"):
        problems.append("an HTTP server configuration waiting to be confirmed")
    return problems
