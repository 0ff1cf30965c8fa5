"""Usage sensors and the daily search budget."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from custom_components.smartshop.const import CONF_DAILY_BUDGET, DOMAIN
from custom_components.smartshop.usage import UsageMeter, billable_total

from .conftest import Rekognition, StillCamera, setup_store, store_entry
from .test_image_processing import ENTITY, ONE_FACE, _person, _scan

CALLS = "sensor.high_street_billable_calls_today"
COST = "sensor.high_street_estimated_cost_today"
LATENCY = "sensor.high_street_last_match_latency"


def test_meter_counts_deltas_and_days() -> None:
    """Only billable operations count; a new day starts from zero; restore keeps today's count."""
    meter = UsageMeter(price_per_1000=1.0, daily_budget=3, day=date(2026, 11, 26))
    calls: Counter[str] = Counter({"DescribeCollection": 4, "DetectFaces": 1})
    meter.sync(calls, date(2026, 11, 26))
    assert meter.searches_today == 1
    calls["SearchFacesByImage"] += 2
    meter.sync(calls, date(2026, 11, 26))
    meter.sync(calls, date(2026, 11, 26))
    assert meter.searches_today == 3
    assert meter.budget_reached
    assert meter.cost_today == 0.003
    calls["DetectFaces"] += 1
    meter.sync(calls, date(2026, 11, 27))
    assert meter.searches_today == 1
    assert not meter.budget_reached
    meter.restore(date(2026, 11, 27), 40)
    assert meter.searches_today == 40
    meter.restore(date(2026, 11, 20), 7)
    assert meter.searches_today == 40
    assert billable_total({"CreateCollection": 9}) == 0
    # A store whose entries are users searches per person: those searches count too.
    assert billable_total({"SearchUsersByImage": 2, "CreateUser": 1, "ListUsers": 3}) == 2


async def test_sensors_follow_searches(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """Calls, cost and the latency of the last match show on the store's sensors."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    assert hass.states.get(CALLS).state == "0"
    assert hass.states.get(LATENCY).state == "unknown"
    person = _person(entry)
    rekognition.detect(ONE_FACE)
    rekognition.search([(person.person_id, 99.0)])
    await _scan(hass)
    assert hass.states.get(CALLS).state == "2"
    assert float(hass.states.get(COST).state) == 0.002
    assert float(hass.states.get(LATENCY).state) >= 0


async def test_budget_pauses_loudly_and_resumes_next_day(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    freezer: FrozenDateTimeFactory,
) -> None:
    """At the budget scans stop with a repair issue; at midnight they resume and the issue goes."""
    entry = store_entry(options={CONF_DAILY_BUDGET: 2})
    await setup_store(hass, rekognition, entry)
    rekognition.detect(ONE_FACE)
    rekognition.search([])
    await _scan(hass)
    await _scan(hass)  # paused: nothing stubbed is consumed, nothing fails
    rekognition.assert_done()
    issue_id = f"budget_reached_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"store": "High Street", "budget": "2"}

    freezer.move_to(dt_util.start_of_local_day() + timedelta(days=1, minutes=1))
    rekognition.detect()
    await _scan(hass)
    rekognition.assert_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert hass.states.get(ENTITY).state == "0"


async def test_count_survives_restart(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A reload (or restart) keeps today's count, so the budget cannot be dodged."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    rekognition.detect(ONE_FACE)
    rekognition.search([])
    await _scan(hass)
    freezer.tick(timedelta(seconds=11))  # past the coalesced save delay
    from pytest_homeassistant_custom_component.common import async_fire_time_changed

    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    rekognition.credentials_ok()
    rekognition.collection_exists()
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.usage.searches_today == 2
    assert hass.states.get(CALLS).state == "2"
