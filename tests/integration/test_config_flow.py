"""Config flow: every step and every error, each recovering to a created entry."""

from __future__ import annotations

import re
from typing import Any
from unittest.mock import patch

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.smartshop.const import (
    CONF_ACCESS_KEY_ID,
    CONF_AI_OPT_OUT,
    CONF_ALLOW_INSECURE_HTTP,
    CONF_BACKEND,
    CONF_CATEGORY,
    CONF_COLLECTION_ID,
    CONF_DPIA_DONE,
    CONF_ENDPOINT_URL,
    CONF_MATCH_THRESHOLD,
    CONF_NAME,
    CONF_REGION,
    CONF_SECRET_ACCESS_KEY,
    CONF_SIGNAGE_UP,
    CONF_STORE_ID,
    CONF_STORE_NAME,
    DEFAULT_MATCH_THRESHOLD,
    DOMAIN,
    SUBENTRY_WATCHLIST,
)

from .conftest import ACCESS_KEY, SECRET_KEY, STORE_ID, Rekognition, setup_store, store_entry

AWS_KEYS = {
    CONF_ACCESS_KEY_ID: ACCESS_KEY,
    CONF_SECRET_ACCESS_KEY: SECRET_KEY,
    CONF_REGION: "eu-west-2",
}


async def _start(hass: HomeAssistant, backend: str = "aws") -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "store"}
    )
    assert result["step_id"] == "store"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: "High Street", CONF_BACKEND: backend}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == f"credentials_{backend}"
    return result


@pytest.mark.parametrize(
    ("code", "message", "error"),
    [
        (
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            {"base": "invalid_auth"},
        ),
        (
            "InvalidSignatureException",
            "The request signature we calculated does not match",
            {"base": "invalid_auth"},
        ),
        (
            "AccessDeniedException",
            "User: arn:aws:iam::1:user/shop is not authorized to perform: rekognition:DescribeCollection",
            {"base": "access_denied"},
        ),
        ("ServiceUnavailableException", "Service unavailable", {"base": "cannot_connect"}),
        ("InvalidParameterException", "Something unexpected", {"base": "unknown"}),
    ],
)
async def test_aws_errors_then_success(
    hass: HomeAssistant, rekognition: Rekognition, code: str, message: str, error: dict[str, str]
) -> None:
    """Each credential failure shows its own message; fixing it goes on to compliance."""
    result = await _start(hass)
    rekognition.error("describe_collection", code, message, status=403 if "Denied" in code else 400)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], AWS_KEYS)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == error
    if error["base"] == "access_denied":
        assert result["description_placeholders"]["action"] == "rekognition:DescribeCollection"

    rekognition.credentials_ok()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], AWS_KEYS)
    assert result["step_id"] == "compliance"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True, CONF_AI_OPT_OUT: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "High Street"
    store_id = result["result"].unique_id
    assert re.fullmatch(r"[0-9a-f]{32}", store_id)
    assert (
        result["data"]
        == {CONF_STORE_NAME: "High Street", CONF_STORE_ID: store_id, CONF_BACKEND: "aws"} | AWS_KEYS
    )
    assert result["options"][CONF_MATCH_THRESHOLD] == DEFAULT_MATCH_THRESHOLD


async def test_wrong_region(hass: HomeAssistant, rekognition: Rekognition) -> None:
    """A region without Rekognition is caught before any call, on the region field."""
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], AWS_KEYS | {CONF_REGION: "xx-nowhere-9"}
    )
    assert result["errors"] == {CONF_REGION: "wrong_region"}
    rekognition.credentials_ok()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], AWS_KEYS)
    assert result["step_id"] == "compliance"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DPIA_DONE: False, CONF_SIGNAGE_UP: False, CONF_AI_OPT_OUT: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_DPIA_DONE] is False


async def test_engine_backend(hass: HomeAssistant, rekognition: Rekognition) -> None:
    """The on-prem engine needs a URL; a bad one is refused before any call."""
    result = await _start(hass, "engine")
    keys = {CONF_ACCESS_KEY_ID: "engine-key", CONF_SECRET_ACCESS_KEY: "engine-secret"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], keys | {CONF_ENDPOINT_URL: "not a url"}
    )
    assert result["errors"] == {CONF_ENDPOINT_URL: "invalid_url"}
    rekognition.error("describe_collection", "ServiceUnavailableException", status=503)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], keys | {CONF_ENDPOINT_URL: "http://127.0.0.1:8766/"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    rekognition.credentials_ok()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], keys | {CONF_ENDPOINT_URL: "http://127.0.0.1:8766/"}
    )
    assert result["step_id"] == "compliance"
    assert set(result["data_schema"].schema) == {CONF_DPIA_DONE, CONF_SIGNAGE_UP}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_ENDPOINT_URL] == "http://127.0.0.1:8766"
    assert result["data"][CONF_BACKEND] == "engine"
    assert result["data"][CONF_ALLOW_INSECURE_HTTP] is False  # loopback needs no say-so


async def test_engine_over_plain_http_needs_consent_and_warns(
    hass: HomeAssistant, rekognition: Rekognition
) -> None:
    """An http engine on another machine is refused until the owner allows it; the store then
    shows a warning repair issue for as long as it exists."""
    result = await _start(hass, "engine")
    keys = {CONF_ACCESS_KEY_ID: "engine-key", CONF_SECRET_ACCESS_KEY: "engine-secret"}
    url = {CONF_ENDPOINT_URL: "http://192.168.1.20:8766"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], keys | url)
    assert result["errors"] == {CONF_ENDPOINT_URL: "insecure_url"}
    rekognition.credentials_ok()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], keys | url | {CONF_ALLOW_INSECURE_HTTP: True}
    )
    assert result["step_id"] == "compliance"
    rekognition.credentials_ok()  # the new store's set-up
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DPIA_DONE: True, CONF_SIGNAGE_UP: True}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = result["result"]
    issue_id = f"insecure_engine_connection_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.WARNING
    assert await hass.config_entries.async_remove(entry.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_store_name_error_then_same_name_as_another_store(
    hass: HomeAssistant, rekognition: Rekognition
) -> None:
    """A blank name is refused; a name another store has is fine: each store has its own id."""
    existing = store_entry()
    existing.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "store"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: "  !! ", CONF_BACKEND: "aws"}
    )
    assert result["errors"] == {CONF_STORE_NAME: "invalid_store_name"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_STORE_NAME: "High Street", CONF_BACKEND: "aws"}
    )
    assert result["step_id"] == "credentials_aws"
    rekognition.credentials_ok()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], AWS_KEYS)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DPIA_DONE: False, CONF_SIGNAGE_UP: False, CONF_AI_OPT_OUT: False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    second = result["result"]
    assert second.title == existing.title == "High Street"
    assert second.unique_id not in (None, existing.unique_id)
    assert second.data[CONF_STORE_ID] == second.unique_id
    assert len(hass.config_entries.async_entries(DOMAIN)) == 2


async def test_renamed_store_keeps_its_id(
    hass: HomeAssistant, rekognition: Rekognition, still_camera
) -> None:
    """Renaming a store and reconfiguring it keep its unique id; its next watchlist's collection
    is named after the id, so no other store (whatever its name) can claim it."""
    entry = store_entry(watchlist=False)
    await setup_store(hass, rekognition, entry)
    rekognition.credentials_ok()  # the reload after the rename
    hass.config_entries.async_update_entry(entry, title="Market Street")
    await hass.async_block_till_done()
    assert entry.state is config_entries.ConfigEntryState.LOADED
    assert entry.unique_id == STORE_ID

    result = await entry.start_reconfigure_flow(hass)
    rekognition.credentials_ok()  # the flow's check
    rekognition.credentials_ok()  # the reload
    result = await hass.config_entries.flow.async_configure(result["flow_id"], AWS_KEYS)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.unique_id == STORE_ID
    assert entry.data[CONF_STORE_ID] == STORE_ID

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_WATCHLIST), context={"source": config_entries.SOURCE_USER}
    )
    collection = f"smartshop-{STORE_ID}-theft"
    rekognition.error("describe_collection", "ResourceNotFoundException")
    rekognition.collection_exists(collection)
    rekognition.credentials_ok()  # the reload after the new watchlist
    rekognition.collection_exists(collection)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Theft", CONF_CATEGORY: "theft"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    (watchlist,) = (
        sub for sub in entry.subentries.values() if sub.subentry_type == SUBENTRY_WATCHLIST
    )
    assert watchlist.data[CONF_COLLECTION_ID] == collection
    assert entry.state is config_entries.ConfigEntryState.LOADED
    rekognition.assert_done()


async def test_reauth(hass: HomeAssistant, rekognition: Rekognition, still_camera) -> None:
    """Refused keys at set-up start reauth; new keys that work reload the store."""
    entry = store_entry()
    entry.add_to_hass(hass)
    rekognition.error("describe_collection", "UnrecognizedClientException")
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == config_entries.SOURCE_REAUTH
    flow_id = flows[0]["flow_id"]

    rekognition.error("describe_collection", "InvalidSignatureException")
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_ACCESS_KEY_ID: "AKIANEW", CONF_SECRET_ACCESS_KEY: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    rekognition.credentials_ok()  # the flow's check
    rekognition.credentials_ok()  # the reload's set-up
    rekognition.collection_exists()
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_ACCESS_KEY_ID: "AKIANEW", CONF_SECRET_ACCESS_KEY: "right"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_ACCESS_KEY_ID] == "AKIANEW"
    assert entry.data[CONF_SECRET_ACCESS_KEY] == "right"
    assert entry.state is config_entries.ConfigEntryState.LOADED


async def test_reconfigure(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera,
) -> None:
    """The region and keys can change; they are tested first. The store's update listener
    reloads it, once: Home Assistant has no double reload to warn about."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    rekognition.error(
        "describe_collection",
        "AccessDeniedException",
        "not authorized to perform: rekognition:DescribeCollection",
        403,
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], AWS_KEYS | {CONF_REGION: "eu-west-1"}
    )
    assert result["errors"] == {"base": "access_denied"}
    rekognition.credentials_ok()
    rekognition.credentials_ok()
    rekognition.collection_exists()
    with patch("homeassistant.config_entries.report_usage") as report_usage:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], AWS_KEYS | {CONF_REGION: "eu-west-1"}
        )
    assert not report_usage.called, report_usage.call_args
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data[CONF_REGION] == "eu-west-1"


async def test_reconfigure_engine(hass: HomeAssistant, rekognition: Rekognition) -> None:
    """An engine's address can change; a malformed one is refused."""
    entry = store_entry(watchlist=False, camera=None)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        data=dict(entry.data) | {CONF_BACKEND: "engine", CONF_ENDPOINT_URL: "http://127.0.0.1:1"},
    )
    result = await entry.start_reconfigure_flow(hass)
    keys = {CONF_ACCESS_KEY_ID: "k", CONF_SECRET_ACCESS_KEY: "s"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], keys | {CONF_ENDPOINT_URL: "ftp://x"}
    )
    assert result["errors"] == {CONF_ENDPOINT_URL: "invalid_url"}
    # Plain http to another machine only when the owner ticks the box.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], keys | {CONF_ENDPOINT_URL: "http://10.0.0.5:8766"}
    )
    assert result["errors"] == {CONF_ENDPOINT_URL: "insecure_url"}
    rekognition.credentials_ok()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        keys | {CONF_ENDPOINT_URL: "http://10.0.0.5:8766", CONF_ALLOW_INSECURE_HTTP: True},
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_ENDPOINT_URL] == "http://10.0.0.5:8766"
    assert entry.data[CONF_ALLOW_INSECURE_HTTP] is True
