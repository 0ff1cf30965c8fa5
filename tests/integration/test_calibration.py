"""Calibration the shop can see: the share of reviewed alerts staff confirmed, per camera and per
watchlist, as a diagnostic sensor refreshed by each review and in diagnostics."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartshop.const import DOMAIN, EVENT_CONFIRMED, signal_match
from custom_components.smartshop.incidents import Incident, IncidentStoreError

from .conftest import Rekognition, setup_store, store_entry

SENSOR = "sensor.high_street_alert_confirmation_rate"

# (camera, watchlist id, watchlist name, decision or None for pending)
PLAN = (
    ("camera.front_door", "w-theft", "Theft", "confirm"),
    ("camera.front_door", "w-theft", "Theft", "confirm"),
    ("camera.front_door", "w-banned", "Banned", "dismiss"),
    ("bridge-1/till", "w-theft", "Theft", "dismiss"),
    ("bridge-1/till", "w-banned", "Banned", "confirm"),
    ("bridge-1/till", "w-banned", "Banned", "dismiss"),
    ("bridge-1/stockroom", "w-theft", "Theft", None),
)


def _incident(entry_id: str, n: int) -> Incident:
    camera, watchlist_id, watchlist, _ = PLAN[n]
    return Incident(
        incident_id=f"0000000{n}-aaaa-4bbb-8ccc-000000000000",
        dedup_key=f"k{n}",
        occurred_at=dt_util.utcnow() - timedelta(minutes=len(PLAN) - n),
        store_id=entry_id,
        store_name="High Street",
        camera=camera,
        location="Shop floor",
        watchlist_id=watchlist_id,
        watchlist=watchlist,
        category="theft",
        person_id="0f7c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5",
        similarity=97.0,
    )


async def test_confirmation_rate_per_camera_and_watchlist(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    rekognition: Rekognition,
) -> None:
    """The sensor counts reviewed alerts only, follows each review without polling, and gives
    the figures per camera and per watchlist; diagnostics give the same."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    await hass.async_block_till_done()
    registry_entry = er.async_get(hass).async_get(SENSOR)
    assert registry_entry is not None
    assert registry_entry.entity_category == "diagnostic"
    state = hass.states.get(SENSOR)
    assert state.state == "unknown"  # nothing reviewed yet
    assert state.attributes["unit_of_measurement"] == "%"
    assert state.attributes["cameras"] == {}

    incidents = entry.runtime_data.incidents
    for n in range(len(PLAN)):
        await hass.async_add_executor_job(incidents.add, _incident(entry.entry_id, n))
    # Another store's reviewed alert does not count here.
    other = replace(_incident("another-store", 0), incident_id="other", dedup_key="other")
    await hass.async_add_executor_job(incidents.add, other)
    assert hass.states.get(SENSOR).state == "unknown"  # recorded, not reviewed

    for n, (*_, decision) in enumerate(PLAN):
        if decision is None:
            continue
        await hass.services.async_call(
            DOMAIN,
            "review_match",
            {
                "incident_id": _incident(entry.entry_id, n).incident_id,
                "decision": decision,
                "reason": "Checked the footage",
                "reviewer": "Sam",
            },
            blocking=True,
        )
        await hass.async_block_till_done()
        if n == 0:
            assert hass.states.get(SENSOR).state == "100.0"

    state = hass.states.get(SENSOR)
    assert float(state.state) == 50.0
    assert state.attributes["confirmed"] == 3
    assert state.attributes["dismissed"] == 3
    assert state.attributes["cameras"] == {
        "bridge-1/till": {"confirmed": 1, "dismissed": 2, "share": 33.3},
        "camera.front_door": {"confirmed": 2, "dismissed": 1, "share": 66.7},
    }
    assert state.attributes["watchlists"] == {
        "Banned": {"confirmed": 1, "dismissed": 2, "share": 33.3},
        "Theft": {"confirmed": 2, "dismissed": 1, "share": 66.7},
    }

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["calibration"] == {
        "total": {"confirmed": 3, "dismissed": 3, "share": 50.0},
        "cameras": state.attributes["cameras"],
        "watchlists": state.attributes["watchlists"],
    }


async def test_confirmation_rate_without_the_database(
    hass: HomeAssistant,
    rekognition: Rekognition,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unreadable incident database makes the sensor unavailable (logged once), not wrong."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == "unknown"

    def broken(store_id: str) -> None:
        raise IncidentStoreError("smartshop.db: database disk image is malformed")

    monkeypatch.setattr(entry.runtime_data.incidents, "calibration", broken)
    for _ in range(2):
        async_dispatcher_send(hass, signal_match(entry.entry_id), EVENT_CONFIRMED, {})
        await hass.async_block_till_done()
        assert hass.states.get(SENSOR).state == "unavailable"
    assert caplog.text.count("Alert confirmation rate of High Street not counted") == 1

    monkeypatch.undo()
    async_dispatcher_send(hass, signal_match(entry.entry_id), EVENT_CONFIRMED, {})
    await hass.async_block_till_done()
    assert hass.states.get(SENSOR).state == "unknown"
