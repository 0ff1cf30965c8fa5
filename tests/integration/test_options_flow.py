"""Options flow and the compliance repair flow."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartshop.const import (
    CONF_AI_OPT_OUT,
    CONF_ALERT_COOLDOWN,
    CONF_ANONYMOUS_RETENTION_DAYS,
    CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS,
    CONF_CONFIRMED_RETENTION_DAYS,
    CONF_DAILY_BUDGET,
    CONF_DEFAULT_EXPIRY_DAYS,
    CONF_DPIA_DONE,
    CONF_EVIDENCE_RETENTION_DAYS,
    CONF_INCIDENT_RETENTION_DAYS,
    CONF_MATCH_THRESHOLD,
    CONF_MAX_EXPIRY_DAYS,
    CONF_MAX_FACES,
    CONF_PRICE_PER_1000,
    CONF_REQUIRE_APPROVAL,
    CONF_SCAN_INTERVAL,
    CONF_SIGNAGE_UP,
    DOMAIN,
)
from custom_components.smartshop.cost import polling_cost_per_day, polling_scans_per_day
from custom_components.smartshop.database import audit_log
from custom_components.smartshop.retention import policy_from_options
from custom_components.smartshop.settings_audit import settings_changes

from .conftest import Rekognition, setup_store, store_entry


async def start_repair_fix_flow(client, handler: str, issue_id: str) -> dict[str, Any]:
    """Start a repair's fix flow through the HTTP API, as the frontend does."""
    resp = await client.post(
        "/api/repairs/issues/fix", json={"handler": handler, "issue_id": issue_id}
    )
    assert resp.status == 200
    return await resp.json()


async def process_repair_fix_flow(client, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Submit a step of a fix flow through the HTTP API."""
    resp = await client.post(f"/api/repairs/issues/fix/{flow_id}", json=data)
    assert resp.status == 200
    return await resp.json()


SETTINGS = {
    CONF_MATCH_THRESHOLD: 97.5,
    CONF_ALERT_COOLDOWN: 5.0,
    CONF_DEFAULT_EXPIRY_DAYS: 180.0,
    CONF_MAX_EXPIRY_DAYS: 365.0,
    CONF_INCIDENT_RETENTION_DAYS: 30.0,
    CONF_CONFIRMED_RETENTION_DAYS: 365.0,
    CONF_MAX_FACES: 3.0,
    CONF_SCAN_INTERVAL: 0.0,
    CONF_DAILY_BUDGET: 500.0,
    "presence_minutes": 15.0,
    CONF_PRICE_PER_1000: 1.25,
    CONF_DPIA_DONE: True,
    CONF_SIGNAGE_UP: True,
    CONF_AI_OPT_OUT: True,
}


async def test_options_errors_then_saved(
    hass: HomeAssistant, rekognition: Rekognition, still_camera
) -> None:
    """Impossible settings are refused; good ones are saved as numbers and reload the store."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    assert result["step_id"] == "settings"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], SETTINGS | {CONF_DEFAULT_EXPIRY_DAYS: 400.0}
    )
    assert result["errors"] == {CONF_DEFAULT_EXPIRY_DAYS: "expiry_above_maximum"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], SETTINGS | {CONF_SCAN_INTERVAL: 5.0}
    )
    assert result["errors"] == {CONF_SCAN_INTERVAL: "interval_too_short"}

    rekognition.credentials_ok()
    rekognition.collection_exists()
    result = await hass.config_entries.options.async_configure(result["flow_id"], SETTINGS)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_MATCH_THRESHOLD] == 97.5
    assert entry.options[CONF_MAX_FACES] == 3
    assert isinstance(entry.options[CONF_MAX_FACES], int)
    assert entry.runtime_data.match_threshold == 97.5
    assert entry.runtime_data.rules["theft"].cooldown_minutes == 5
    assert entry.runtime_data.usage.daily_budget == 500
    assert entry.runtime_data.usage.price_per_1000 == 1.25


async def test_polling_shows_cost_first(
    hass: HomeAssistant, rekognition: Rekognition, still_camera
) -> None:
    """Turning on polling shows scans and cost per day before it is saved."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], SETTINGS | {CONF_SCAN_INTERVAL: 60.0}
    )
    assert result["step_id"] == "confirm_cost"
    assert result["description_placeholders"] == {
        "interval": "60",
        "cameras": "1",
        "scans": "1,440",
        "cost": "2.88",
    }
    rekognition.credentials_ok()
    rekognition.collection_exists()
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_SCAN_INTERVAL] == 60


async def test_retention_and_approval_options(
    hass: HomeAssistant, rekognition: Rekognition, still_camera
) -> None:
    """Retention per kind of data: evidence may not outlive the person link, nor the link the
    anonymous row. The form shows the retention in effect; the change is audited with old and
    new values."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "settings"}
    )
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested[CONF_EVIDENCE_RETENTION_DAYS] == 30
    assert suggested[CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS] == 365
    assert suggested[CONF_ANONYMOUS_RETENTION_DAYS] == 730

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], SETTINGS | {CONF_EVIDENCE_RETENTION_DAYS: 31.0}
    )
    assert result["errors"] == {CONF_EVIDENCE_RETENTION_DAYS: "evidence_outlives_link"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], SETTINGS | {CONF_ANONYMOUS_RETENTION_DAYS: 364.0}
    )
    assert result["errors"] == {CONF_ANONYMOUS_RETENTION_DAYS: "link_outlives_row"}

    rekognition.credentials_ok()
    rekognition.collection_exists()
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        SETTINGS
        | {
            CONF_EVIDENCE_RETENTION_DAYS: 7.0,
            CONF_ANONYMOUS_RETENTION_DAYS: 1000.0,
            CONF_REQUIRE_APPROVAL: True,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_EVIDENCE_RETENTION_DAYS] == 7
    assert isinstance(entry.options[CONF_EVIDENCE_RETENTION_DAYS], int)
    assert entry.options[CONF_REQUIRE_APPROVAL] is True
    assert CONF_CONFIRMED_EVIDENCE_RETENTION_DAYS not in entry.options  # left to its default
    settings = [
        row
        for row in await hass.async_add_executor_job(audit_log(hass).entries)
        if row.action == "settings"
    ]
    assert len(settings) == 1
    assert settings[0].actor == "administrator"
    assert settings[0].store_id == entry.entry_id
    assert CONF_REQUIRE_APPROVAL in settings[0].details["changed"]
    assert settings[0].details["values"][CONF_EVIDENCE_RETENTION_DAYS] == {"old": None, "new": 7}
    assert settings[0].details["values"][CONF_MATCH_THRESHOLD] == {"old": None, "new": 97.5}


def test_retention_keeps_what_the_owner_set() -> None:
    """The options from before anonymisation keep their meaning (the link to the person); the
    new kinds take their defaults without outliving them."""
    policy = policy_from_options(
        {CONF_INCIDENT_RETENTION_DAYS: 14, CONF_CONFIRMED_RETENTION_DAYS: 2000}
    )
    assert (policy.link_unconfirmed, policy.link_confirmed) == (14, 2000)
    assert (policy.evidence_unconfirmed, policy.evidence_confirmed) == (14, 365)
    assert policy.anonymous_rows == 2000
    defaults = policy_from_options({})
    assert (
        defaults.evidence_unconfirmed,
        defaults.evidence_confirmed,
        defaults.link_unconfirmed,
        defaults.link_confirmed,
        defaults.anonymous_rows,
    ) == (30, 365, 30, 365, 730)


def test_settings_audit_names_unknown_settings_only() -> None:
    """Values are recorded only for settings known to hold nothing personal."""
    details = settings_changes(
        {CONF_MATCH_THRESHOLD: 95.0, "note": "about someone", CONF_MAX_FACES: 5},
        {CONF_MATCH_THRESHOLD: 96.0, "note": "about someone else", CONF_MAX_FACES: 5},
    )
    assert details == {
        "changed": [CONF_MATCH_THRESHOLD, "note"],
        "values": {CONF_MATCH_THRESHOLD: {"old": 95.0, "new": 96.0}},
    }


def test_cost_arithmetic() -> None:
    """2 calls per scan at 1 USD per 1,000 images."""
    assert polling_scans_per_day(10, 3) == 25920
    assert polling_cost_per_day(25920) == 51.84


async def test_recognition_off_until_confirmed(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, rekognition: Rekognition, still_camera
) -> None:
    """Without the confirmations a repair issue says what is missing; its fix flow turns recognition on."""
    entry = store_entry(confirmed=False)
    await setup_store(hass, rekognition, entry)
    issue_id = f"recognition_disabled_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "store": "High Street",
        "missing": "dpia_done, signage_up, aws_ai_opt_out",
    }
    assert entry.runtime_data.recognition_enabled is False
    assert (
        hass.states.get("image_processing.high_street_front_door_face_watch").state == "unavailable"
    )

    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    result = await start_repair_fix_flow(client, DOMAIN, issue_id)
    assert result["step_id"] == "confirm"
    result = await process_repair_fix_flow(
        client,
        result["flow_id"],
        {CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True, CONF_AI_OPT_OUT: False},
    )
    assert result["errors"] == {"base": "all_required"}

    rekognition.credentials_ok()
    rekognition.collection_exists()
    result = await process_repair_fix_flow(
        client,
        result["flow_id"],
        {CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True, CONF_AI_OPT_OUT: True},
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert entry.runtime_data.recognition_enabled is True
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert hass.states.get("image_processing.high_street_front_door_face_watch").state == "0"
