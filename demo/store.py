"""Set up the demo store through Home Assistant's own APIs, as an owner would in the UI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from .bridge_process import RunningBridge
from .home_assistant import FACES, DemoError, HomeAssistantApi, WebSocket

STORE = "Demo shop"
WATCHLIST = "Demo"
OFFENDER = "Demo offender (NASA astronaut photo)"
STORE_LOAD_TIMEOUT_S = 180.0


async def _states(ws: WebSocket, entry_id: str) -> AsyncIterator[str]:
    """The store entry's states, from now on (the first one is its current state)."""
    updates = await ws.subscribe("config_entries/subscribe", type_filter=["hub"])
    while True:
        for change in await updates.get():
            entry = change["entry"]
            if entry["entry_id"] != entry_id:
                continue
            if entry["state"] in ("setup_error", "migration_error"):
                raise DemoError(
                    f"the SmartShop store failed to load ({entry['state']}): "
                    f"{entry.get('reason')}; see the demo folder's homeassistant.log"
                )
            yield entry["state"]


async def ensure_store(api: HomeAssistantApi, ws: WebSocket, bridge: RunningBridge) -> str:
    """Pair the demo bridge (engine backend) with a pairing code from its command line, as an
    owner would, and add the "Demo" watchlist, once; return when the store is loaded with its
    watchlist."""
    entries = await api.get("/api/config/config_entries/entry?domain=smartshop")
    if entries:
        entry_id = str(entries[0]["entry_id"])
        async with asyncio.timeout(STORE_LOAD_TIMEOUT_S):
            async for state in _states(ws, entry_id):
                if state == "loaded":
                    return entry_id
    code = await asyncio.to_thread(lambda: bridge.pairing_code)
    flow = await api.post("/api/config/config_entries/flow", {"handler": "smartshop"})
    steps: list[dict[str, Any]] = [
        {"next_step_id": "pair_bridge"},
        {"host": bridge.host, "port": bridge.api_port, "pairing_key": code},
        {"store_name": STORE, "backend": "engine"},
        {"dpia_done": True, "signage_up": True},
    ]
    for step in steps:
        flow = await api.post(f"/api/config/config_entries/flow/{flow['flow_id']}", step)
        if flow.get("errors"):
            raise DemoError(f"config flow step {flow.get('step_id')}: {flow['errors']}")
    if flow.get("type") != "create_entry":
        raise DemoError(f"the config flow ended with {flow}")
    entry_id = str(flow["result"]["entry_id"])
    async with asyncio.timeout(STORE_LOAD_TIMEOUT_S):
        states = _states(ws, entry_id)
        # Watched from before the watchlist is added: adding it reloads the store, and the
        # store is ready once it is loaded again after that.
        if await anext(states) != "loaded":
            async for state in states:
                if state == "loaded":
                    break
        sub = await api.post(
            "/api/config/config_entries/subentries/flow", {"handler": [entry_id, "watchlist"]}
        )
        sub = await api.post(
            f"/api/config/config_entries/subentries/flow/{sub['flow_id']}",
            {"name": WATCHLIST, "category": "theft"},
        )
        if sub.get("type") != "create_entry":
            raise DemoError(f"adding the demo watchlist failed: {sub}")
        reloading = False
        async for state in states:
            reloading = reloading or state != "loaded"
            if reloading and state == "loaded":
                break
    return entry_id


async def ensure_offender(api: HomeAssistantApi) -> None:
    """Enrol the demo offender (the NASA astronaut photo) with full metadata, once."""
    listed = await api.post("/api/services/smartshop/list_people?return_response", {})
    if listed["service_response"]["people"]:
        return
    await api.post(
        "/api/services/smartshop/enroll_person?return_response",
        {
            "watchlist": WATCHLIST,
            "name": OFFENDER,
            "category": "theft",
            "reason": "Demo entry: not a real person of interest",
            "incident_reference": "DEMO-0001",
            "image_path": str(FACES / "astronaut.jpg"),
            "justification": "repeat_offender",
            "attest_adult": True,
            "attest_not_vulnerable": True,
        },
    )
