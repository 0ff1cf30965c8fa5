"""The automation blueprints, loaded by Home Assistant's blueprint component and run as real
automations on real matches from the integration.

Matches come from a scan of the still camera with the Rekognition stub, and reviews go through
the integration's own ``smartshop.review_match`` action; only the actuators at the end (phone
notifications, the lock, the lights) are captured instead of performed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
import shutil
from typing import Any
from unittest.mock import patch
from urllib.parse import unquote

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import (
    AUTOMATION_BLUEPRINT_SCHEMA,
    async_validate_config_item,
)
from homeassistant.components.blueprint import importer
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.light.const import LIGHT_TURN_ON_SCHEMA
from homeassistant.components.notify.const import NOTIFY_SERVICE_SCHEMA
from homeassistant.const import MATCH_ALL
from homeassistant.core import Context, Event, HomeAssistant, ServiceCall, callback
from homeassistant.helpers import config_validation as cv, selector
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, yaml as yaml_util
import probatio
import pytest
from pytest_homeassistant_custom_component.common import (
    MockUser,
    async_capture_events,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartshop.alert_rules import CONF_ALERT_RULES
from custom_components.smartshop.const import DOMAIN, EVENT_MATCH, Category
from custom_components.smartshop.sighting import Evidence

from .conftest import Rekognition, StillCamera, setup_store, store_entry
from .test_image_processing import ENTITY, ONE_FACE, _person

REPO = Path(__file__).parents[2]
BLUEPRINTS = REPO / "blueprints" / "automation" / "smartshop"
NAMES = ("notify_staff", "lock_door", "flash_lights", "forward_confirmed", "weekly_report")
SOURCE = (
    "https://github.com/smartshop-dev/smartshop/blob/main/blueprints/automation/smartshop/{}.yaml"
)
SECRET_NAME = "Secret Name"  # the display name _person() gives every watchlist entry
EVENT_CONFIRMED = "smartshop_match_confirmed"
EVENT_DISMISSED = "smartshop_match_dismissed"
PHONE_ACTION = "mobile_app_notification_action"
SNS_TOPIC = "arn:aws:sns:eu-west-2:123456789012:smartshop-head-office"


def _is_waiting_run(task: asyncio.Future[Any]) -> bool:
    """An automation run (started by its event trigger) or a nested sequence of one (if/then);
    either may be waiting for a trigger or a delay."""
    if not isinstance(task, asyncio.Task):
        return False  # an executor job
    coro = task.get_coro()
    return task.get_name().startswith("event trigger") or (
        getattr(coro, "__qualname__", "") == "Script.async_run"
    )


async def _settle(hass: HomeAssistant) -> None:
    """hass.async_block_till_done, except that automation runs do not block it: a run waiting
    for a phone button or a delay never finishes on its own. Everything such a run starts (service
    calls, executor jobs) is its own task and is waited for."""
    quiet_rounds = 0
    for _ in range(1000):
        await asyncio.sleep(0)
        busy = [task for task in hass._tasks if not task.done() and not _is_waiting_run(task)]
        if busy:
            quiet_rounds = 0
            # A guard against a hang on a loaded machine, not a time the test measures.
            _, pending = await asyncio.wait(busy, timeout=120)
            assert not pending, f"still running after 120 s: {pending}"
        else:
            quiet_rounds += 1
            if quiet_rounds == 20:  # nothing to do for 20 turns of the loop: settled
                return
    pytest.fail("Home Assistant kept starting new tasks")


async def _scan(hass: HomeAssistant) -> None:
    await hass.services.async_call("image_processing", "scan", {"entity_id": ENTITY}, blocking=True)
    await _settle(hass)


class Recorder:
    """Every event on the bus and every captured actuator call, for the privacy check."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.events: list[Event] = []
        self.calls: list[list[ServiceCall]] = []
        hass.bus.async_listen(MATCH_ALL, self._record)

    @callback
    def _record(self, event: Event) -> None:
        self.events.append(event)

    def mock(
        self, hass: HomeAssistant, domain: str, service: str, schema: Any = None
    ) -> list[ServiceCall]:
        calls = async_mock_service(hass, domain, service, schema)
        self.calls.append(calls)
        return calls

    def assert_no_name(self) -> None:
        text = repr([event.as_dict() for event in self.events])
        text += repr([[call.data for call in calls] for calls in self.calls])
        assert SECRET_NAME not in text


@pytest.fixture(autouse=True)
def fast_searches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several scans per test: lift the client-side rate limit (5 calls/s) so none has to wait."""
    monkeypatch.setattr("custom_components.smartshop.SEARCH_RATE_PER_SECOND", 1000.0)


@pytest.fixture
def recorder(hass: HomeAssistant) -> Iterator[Recorder]:
    """Records everything; after each test, the person's name must appear nowhere in it."""
    record = Recorder(hass)
    yield record
    record.assert_no_name()


@pytest.fixture
def blueprint_folder(hass: HomeAssistant, private_config_dir: None) -> Path:
    """The repository's blueprints, installed where Home Assistant looks for them."""
    folder = Path(hass.config.config_dir) / "blueprints" / "automation" / "smartshop"
    folder.mkdir(parents=True)
    for name in NAMES:
        shutil.copy(BLUEPRINTS / f"{name}.yaml", folder)
    return folder


def _instance(name: str, inputs: dict[str, Any], alias: str | None = None) -> dict[str, Any]:
    return {
        "alias": alias or name,
        "use_blueprint": {"path": f"smartshop/{name}.yaml", "input": inputs},
    }


async def _automate(hass: HomeAssistant, *instances: dict[str, Any]) -> None:
    """Set up automations from blueprints; each must come up enabled (not failed)."""
    assert await async_setup_component(hass, "automation", {"automation": list(instances)})
    await hass.async_block_till_done()
    for instance in instances:
        entity_id = f"automation.{instance['alias']}"
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert state.state == "on", (entity_id, state.state)


async def _store(
    hass: HomeAssistant, rekognition: Rekognition, rules: dict[str, dict[str, Any]] | None = None
):
    entry = store_entry(options={CONF_ALERT_RULES: rules} if rules else None)
    await setup_store(hass, rekognition, entry)
    return entry


def _rule(
    *, needs_confirmation: bool = True, quiet: bool = False, cooldown: float = 10
) -> dict[str, Any]:
    """An alert rule; quiet=True makes the quiet hours cover the present moment."""
    now = dt_util.now()
    return {
        "min_similarity": 95.0,
        "cooldown_minutes": cooldown,
        "needs_confirmation": needs_confirmation,
        "quiet_start": (now - timedelta(hours=1)).strftime("%H:%M") if quiet else None,
        "quiet_end": (now + timedelta(hours=1)).strftime("%H:%M") if quiet else None,
    }


async def _match(
    hass: HomeAssistant,
    rekognition: Rekognition,
    entry,
    category: str = "banned",
    person_id: str = "0f7c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5",
) -> dict[str, Any]:
    """A real match of an enrolled person of that category; returns the smartshop_match data."""
    person = _person(entry, person_id)
    person.category = Category(category)
    events = async_capture_events(hass, EVENT_MATCH)
    rekognition.detect(ONE_FACE)
    rekognition.search([(person_id, 99.1)])
    await _scan(hass)
    rekognition.assert_done()
    assert len(events) == 1
    return dict(events[0].data)


async def _review(hass: HomeAssistant, incident_id: str, decision: str) -> None:
    await hass.services.async_call(
        DOMAIN,
        "review_match",
        {
            "incident_id": incident_id,
            "decision": decision,
            "reason": "Checked the snapshot against the customer",
            "reviewer": "Alex",
        },
        blocking=True,
    )
    await _settle(hass)


async def _incident(hass: HomeAssistant, entry, incident_id: str):
    incident = await hass.async_add_executor_job(entry.runtime_data.incidents.get, incident_id)
    assert incident is not None
    return incident


async def _later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: float) -> None:
    freezer.tick(timedelta(minutes=minutes))
    async_fire_time_changed(hass)
    await _settle(hass)


def _person_id(number: int) -> str:
    return f"0f7c1d2e-3b4a-4c5d-8e9f-{number:012d}"


# --- Loading and validation -------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
async def test_blueprint_is_valid_and_importable(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, name: str
) -> None:
    """Each blueprint passes Home Assistant's automation blueprint schema, runs on this version,
    has working defaults for its selectors, says that a match must be verified, and imports
    from its source_url (the docs' import link points at the same file)."""
    raw = (BLUEPRINTS / f"{name}.yaml").read_text(encoding="utf-8")
    blueprint = Blueprint(
        yaml_util.parse_yaml(raw),
        path=f"smartshop/{name}.yaml",
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.validate() is None  # min_version satisfied
    metadata = blueprint.metadata
    assert metadata["homeassistant"]["min_version"] == "2026.10.0"
    assert metadata["source_url"] == SOURCE.format(name)
    description = metadata["description"].lower()
    assert "verify" in description
    assert "legal effect" in description
    for key, spec in blueprint.inputs.items():
        assert spec.get("name"), key
        if "default" in spec:
            selector.selector(spec["selector"])(spec["default"])

    raw_url = importer._get_github_import_url(metadata["source_url"])
    assert raw_url.endswith(f"/main/blueprints/automation/smartshop/{name}.yaml")
    aioclient_mock.get(raw_url, text=raw)
    imported = await importer.fetch_blueprint_from_url(hass, metadata["source_url"])
    assert imported.blueprint.name == blueprint.name
    Blueprint(
        imported.blueprint.data, expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    docs = (REPO / "docs" / "automations.md").read_text(encoding="utf-8")
    link = "https://my.home-assistant.io/redirect/blueprint_import/?blueprint_url="
    links = [unquote(part.split(")")[0]) for part in docs.split(link)[1:]]
    assert raw_url in links


@pytest.mark.parametrize(
    ("name", "inputs"),
    [
        ("notify_staff", {"notify_service": "notify.mobile_app_test"}),
        ("lock_door", {"lock": "lock.front_door"}),
        ("flash_lights", {"lights": {"entity_id": "light.till"}}),
        ("forward_confirmed", {"notify_service": "notify.head_office"}),
        ("weekly_report", {"notify_service": "notify.manager_email"}),
    ],
)
async def test_blueprint_generates_valid_automation(
    hass: HomeAssistant, blueprint_folder: Path, name: str, inputs: dict[str, Any]
) -> None:
    """With only the required inputs, each blueprint makes an automation that passes full
    validation (triggers, conditions, actions); a missing required input is refused."""
    config = await async_validate_config_item(hass, name, _instance(name, inputs))
    assert config is not None
    assert config.validation_status == "ok"
    if name == "weekly_report":
        assert "at" in config["triggers"][0]  # a time trigger
    else:
        expected = EVENT_CONFIRMED if name == "forward_confirmed" else EVENT_MATCH
        assert [t.template for t in config["triggers"][0]["event_type"]] == [expected]

    with pytest.raises(Exception, match="Missing input"):
        await async_validate_config_item(hass, name, _instance(name, {}))


# --- (a) notify_staff -------------------------------------------------------------------------


@pytest.fixture
async def sam(hass: HomeAssistant, hass_admin_user: MockUser) -> MockUser:
    """person.sam, linked to the Home Assistant user whose phone presses the buttons."""
    assert await async_setup_component(
        hass, "person", {"person": [{"id": "sam", "name": "Sam", "user_id": hass_admin_user.id}]}
    )
    await _settle(hass)
    return hass_admin_user


async def test_notify_staff_confirm_from_phone(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
    sam: MockUser,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A match sends "Possible match — verify" with the snapshot and Confirm / Not them buttons;
    Confirm on Sam's phone marks the incident confirmed by Sam and fires
    smartshop_match_confirmed. A button of another incident changes nothing."""
    entry = await _store(hass, rekognition)
    phone = recorder.mock(hass, "notify", "mobile_app_test", NOTIFY_SERVICE_SCHEMA)
    await _automate(hass, _instance("notify_staff", {"notify_service": "notify.mobile_app_test"}))
    confirmed = async_capture_events(hass, EVENT_CONFIRMED)

    match = await _match(hass, rekognition, entry)
    incident_id = match["incident_id"]
    assert len(phone) == 1
    call = phone[0].data
    assert call["title"] == "Possible match — verify"
    for text in ("Theft", "banned", "Front door", "High Street", "99.1", "Check before acting"):
        assert text in call["message"]
    push = call["data"]
    snapshot = match["snapshot_url"]
    assert snapshot.startswith(f"/api/smartshop/snapshot/incident/{incident_id}?authSig=")
    assert push["image"] == push["url"] == push["clickAction"] == snapshot
    assert push["tag"] == incident_id
    assert push["actions"] == [
        {"action": f"SMARTSHOP_CONFIRM_{incident_id}", "title": "Confirm"},
        {"action": f"SMARTSHOP_DISMISS_{incident_id}", "title": "Not them"},
    ]
    # The phone can show the image from the link alone (signed, no token).
    client = await hass_client_no_auth()
    response = await client.get(push["image"])
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    assert await response.read()

    hass.bus.async_fire(
        PHONE_ACTION, {"action": "SMARTSHOP_CONFIRM_someone-else"}, context=Context(user_id=sam.id)
    )
    await _settle(hass)
    assert (await _incident(hass, entry, incident_id)).review_status == "pending"

    hass.bus.async_fire(
        PHONE_ACTION,
        {"action": f"SMARTSHOP_CONFIRM_{incident_id}", "tag": incident_id},
        context=Context(user_id=sam.id),
    )
    await _settle(hass)
    incident = await _incident(hass, entry, incident_id)
    assert incident.review_status == "confirmed"
    assert incident.reviewed_by == "Sam (named by an automation)"
    assert incident.review_reason == "Reviewed from a phone notification"
    assert len(confirmed) == 1
    assert confirmed[0].data["incident_id"] == incident_id
    assert confirmed[0].data["reviewer"] == "Sam (named by an automation)"
    assert len(phone) == 1
    assert hass.states.get("automation.notify_staff").attributes["current"] == 0


async def test_notify_staff_not_them_dismisses(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
    sam: MockUser,
) -> None:
    """ "Not them" dismisses the incident; a press from a phone whose user is not a person in
    Home Assistant is recorded as "Phone user"."""
    entry = await _store(hass, rekognition)
    phone = recorder.mock(hass, "notify", "mobile_app_test", NOTIFY_SERVICE_SCHEMA)
    await _automate(hass, _instance("notify_staff", {"notify_service": "notify.mobile_app_test"}))
    confirmed = async_capture_events(hass, EVENT_CONFIRMED)
    dismissed = async_capture_events(hass, EVENT_DISMISSED)

    incident_id = (await _match(hass, rekognition, entry))["incident_id"]
    assert len(phone) == 1
    hass.bus.async_fire(
        PHONE_ACTION, {"action": f"SMARTSHOP_DISMISS_{incident_id}"}, context=Context()
    )
    await _settle(hass)
    incident = await _incident(hass, entry, incident_id)
    assert incident.review_status == "dismissed"
    assert incident.reviewed_by == "Phone user (named by an automation)"
    assert [event.data["incident_id"] for event in dismissed] == [incident_id]
    assert dismissed[0].data["reason"] == "Reviewed from a phone notification"
    assert confirmed == []


async def test_notify_staff_first_answer_counts(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
    sam: MockUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two phones alerted for the same match: Sam's Confirm is recorded once, a later "Not them"
    from the other phone changes nothing, and neither automation fails."""
    entry = await _store(hass, rekognition)
    first = recorder.mock(hass, "notify", "mobile_app_sam", NOTIFY_SERVICE_SCHEMA)
    second = recorder.mock(hass, "notify", "mobile_app_manager", NOTIFY_SERVICE_SCHEMA)
    await _automate(
        hass,
        _instance("notify_staff", {"notify_service": "notify.mobile_app_sam"}, "sam_phone"),
        _instance("notify_staff", {"notify_service": "notify.mobile_app_manager"}, "manager"),
    )
    confirmed = async_capture_events(hass, EVENT_CONFIRMED)
    dismissed = async_capture_events(hass, EVENT_DISMISSED)
    incident_id = (await _match(hass, rekognition, entry))["incident_id"]
    assert len(first) == len(second) == 1

    hass.bus.async_fire(
        PHONE_ACTION,
        {"action": f"SMARTSHOP_CONFIRM_{incident_id}"},
        context=Context(user_id=sam.id),
    )
    await _settle(hass)
    hass.bus.async_fire(
        PHONE_ACTION, {"action": f"SMARTSHOP_DISMISS_{incident_id}"}, context=Context()
    )
    await _settle(hass)
    incident = await _incident(hass, entry, incident_id)
    assert (incident.review_status, incident.reviewed_by) == (
        "confirmed",
        "Sam (named by an automation)",
    )
    assert len(confirmed) == 1
    assert dismissed == []
    for automation in ("automation.sam_phone", "automation.manager"):
        assert hass.states.get(automation).attributes["current"] == 0
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_notify_staff_timeout_leaves_incident_pending(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
    sam: MockUser,
    freezer: FrozenDateTimeFactory,
) -> None:
    """After the review time the buttons are no longer listened to: a late press does nothing
    and the incident stays pending (staff can still review it with the action)."""
    entry = await _store(hass, rekognition)
    recorder.mock(hass, "notify", "mobile_app_test", NOTIFY_SERVICE_SCHEMA)
    await _automate(
        hass,
        _instance(
            "notify_staff", {"notify_service": "notify.mobile_app_test", "review_timeout": 5}
        ),
    )
    incident_id = (await _match(hass, rekognition, entry))["incident_id"]
    await _later(hass, freezer, 4)
    assert hass.states.get("automation.notify_staff").attributes["current"] == 1
    await _later(hass, freezer, 2)
    assert hass.states.get("automation.notify_staff").attributes["current"] == 0
    hass.bus.async_fire(
        PHONE_ACTION,
        {"action": f"SMARTSHOP_CONFIRM_{incident_id}"},
        context=Context(user_id=sam.id),
    )
    await _settle(hass)
    assert (await _incident(hass, entry, incident_id)).review_status == "pending"


async def test_notify_staff_categories_and_quiet_hours(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
) -> None:
    """Only the chosen categories alert; a match in its category's quiet hours alerts only the
    phone whose automation includes quiet hours."""
    entry = await _store(hass, rekognition, {"banned": _rule(quiet=True)})
    day = recorder.mock(hass, "notify", "mobile_app_day", NOTIFY_SERVICE_SCHEMA)
    night = recorder.mock(hass, "notify", "mobile_app_night", NOTIFY_SERVICE_SCHEMA)
    violence_only = recorder.mock(hass, "notify", "mobile_app_violence", NOTIFY_SERVICE_SCHEMA)
    await _automate(
        hass,
        _instance("notify_staff", {"notify_service": "notify.mobile_app_day"}, "day"),
        _instance(
            "notify_staff",
            {"notify_service": "notify.mobile_app_night", "include_quiet_hours": True},
            "night",
        ),
        _instance(
            "notify_staff",
            {"notify_service": "notify.mobile_app_violence", "categories": ["violence"]},
            "violence",
        ),
    )

    quiet = await _match(hass, rekognition, entry, "banned", _person_id(1))
    assert quiet["quiet"] is True
    assert day == []
    assert [call.data["data"]["tag"] for call in night] == [quiet["incident_id"]]

    loud = await _match(hass, rekognition, entry, "theft", _person_id(2))
    assert loud["quiet"] is False
    assert [call.data["data"]["tag"] for call in day] == [loud["incident_id"]]
    assert len(night) == 2
    assert violence_only == []

    violent = await _match(hass, rekognition, entry, "violence", _person_id(3))
    assert [call.data["data"]["tag"] for call in violence_only] == [violent["incident_id"]]


async def test_notify_staff_without_snapshot_sends_no_image(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
) -> None:
    """When a match has no snapshot (the face crop could not be made), the notification still
    goes out with its buttons but without an image or link."""
    entry = await _store(hass, rekognition)
    phone = recorder.mock(hass, "notify", "mobile_app_test", NOTIFY_SERVICE_SCHEMA)
    await _automate(hass, _instance("notify_staff", {"notify_service": "notify.mobile_app_test"}))
    # The crop of the matched face cannot be made, so the incident has no snapshot.
    with patch.object(Evidence, "face_jpeg", return_value=None):
        match = await _match(hass, rekognition, entry)
    assert match["snapshot_url"] is None
    assert len(phone) == 1
    push = phone[0].data["data"]
    assert not {"image", "url", "clickAction"} & push.keys()
    assert len(push["actions"]) == 2


# --- (b) lock_door ----------------------------------------------------------------------------


def _lock_mocks(recorder: Recorder, hass: HomeAssistant) -> tuple[list, list]:
    schema = cv.make_entity_service_schema({probatio.Optional("code"): cv.string})
    return (
        recorder.mock(hass, "lock", "lock", schema),
        recorder.mock(hass, "lock", "unlock", schema),
    )


async def test_lock_waits_for_confirmation_then_unlocks(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A banned person's match locks nothing until staff confirm it with smartshop.review_match;
    then the door locks, and unlocks again after the chosen minutes."""
    entry = await _store(hass, rekognition)
    locks, unlocks = _lock_mocks(recorder, hass)
    await _automate(hass, _instance("lock_door", {"lock": "lock.front_door"}))

    incident_id = (await _match(hass, rekognition, entry))["incident_id"]
    await _later(hass, freezer, 2)
    assert locks == []
    await _review(hass, incident_id, "confirm")
    assert (await _incident(hass, entry, incident_id)).review_status == "confirmed"
    assert [call.data["entity_id"] for call in locks] == [["lock.front_door"]]
    await _later(hass, freezer, 4)
    assert unlocks == []
    await _later(hass, freezer, 1.5)
    assert [call.data["entity_id"] for call in unlocks] == [["lock.front_door"]]
    assert hass.states.get("automation.lock_door").attributes["current"] == 0


async def test_lock_immediately_when_no_confirmation_is_asked(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Owner's choice: with waiting off and a banned rule that does not ask for confirmation,
    the door locks on the match; unlock_after 0 keeps it locked."""
    entry = await _store(hass, rekognition, {"banned": _rule(needs_confirmation=False)})
    locks, unlocks = _lock_mocks(recorder, hass)
    await _automate(
        hass,
        _instance(
            "lock_door",
            {"lock": "lock.front_door", "wait_for_confirmation": False, "unlock_after": 0},
        ),
    )
    match = await _match(hass, rekognition, entry)
    assert match["needs_confirmation"] is False
    assert len(locks) == 1
    await _later(hass, freezer, 120)
    assert unlocks == []


async def test_lock_rule_needing_confirmation_overrides_the_automation(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
) -> None:
    """Waiting off in the automation, but the category's rule asks for confirmation (the
    default): the door still waits for staff."""
    entry = await _store(hass, rekognition)
    locks, _ = _lock_mocks(recorder, hass)
    await _automate(
        hass, _instance("lock_door", {"lock": "lock.front_door", "wait_for_confirmation": False})
    )
    match = await _match(hass, rekognition, entry)
    assert match["needs_confirmation"] is True
    assert locks == []
    await _review(hass, match["incident_id"], "confirm")
    assert len(locks) == 1


async def test_lock_never_on_dismissal_timeout_or_other_category(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Dismissed ("Not them"): the run ends and nothing locks. Unreviewed within the time: a late
    confirmation locks nothing. A theft match with only "banned" chosen: ignored."""
    entry = await _store(hass, rekognition)
    locks, unlocks = _lock_mocks(recorder, hass)
    await _automate(hass, _instance("lock_door", {"lock": "lock.front_door"}))
    automation = "automation.lock_door"

    dismissed = (await _match(hass, rekognition, entry, "banned", _person_id(1)))["incident_id"]
    assert hass.states.get(automation).attributes["current"] == 1
    await _review(hass, dismissed, "dismiss")
    assert (await _incident(hass, entry, dismissed)).review_status == "dismissed"
    assert hass.states.get(automation).attributes["current"] == 0

    late = (await _match(hass, rekognition, entry, "banned", _person_id(2)))["incident_id"]
    await _later(hass, freezer, 11)
    assert hass.states.get(automation).attributes["current"] == 0
    await _review(hass, late, "confirm")

    theft = (await _match(hass, rekognition, entry, "theft", _person_id(3)))["incident_id"]
    assert hass.states.get(automation).attributes["current"] == 0
    await _review(hass, theft, "confirm")
    await _later(hass, freezer, 30)
    assert locks == []
    assert unlocks == []


# --- (c) flash_lights -------------------------------------------------------------------------


async def test_flash_colour_per_category(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
) -> None:
    """Each category flashes the lights in its colour (defaults, and a chosen one for theft);
    a quiet-hours match flashes only when quiet hours are included."""
    entry = await _store(hass, rekognition, {"other": _rule(quiet=True)})
    turn_on = recorder.mock(
        hass, "light", "turn_on", cv.make_entity_service_schema(LIGHT_TURN_ON_SCHEMA)
    )
    await _automate(
        hass,
        _instance(
            "flash_lights",
            {"lights": {"entity_id": ["light.till", "light.door"]}, "theft_colour": [0, 255, 0]},
        ),
    )
    expected = {
        "theft": (0, 255, 0),
        "banned": (255, 0, 0),
        "violence": (160, 0, 255),
    }
    for number, (category, colour) in enumerate(expected.items()):
        await _match(hass, rekognition, entry, category, _person_id(number))
        assert len(turn_on) == number + 1
        data = turn_on[-1].data
        assert data["rgb_color"] == colour, category
        assert data["flash"] == "long"
        assert data["entity_id"] == ["light.till", "light.door"]

    quiet = await _match(hass, rekognition, entry, "other", _person_id(9))
    assert quiet["quiet"] is True
    assert len(turn_on) == 3


async def test_flash_selected_categories_and_quiet_hours_included(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
) -> None:
    """Only the chosen categories flash; with quiet hours included, a quiet match flashes too,
    in the default colour for "other"."""
    entry = await _store(hass, rekognition, {"other": _rule(quiet=True)})
    turn_on = recorder.mock(
        hass, "light", "turn_on", cv.make_entity_service_schema(LIGHT_TURN_ON_SCHEMA)
    )
    await _automate(
        hass,
        _instance(
            "flash_lights",
            {
                "lights": {"entity_id": "light.till"},
                "categories": ["other"],
                "include_quiet_hours": True,
            },
        ),
    )
    await _match(hass, rekognition, entry, "theft", _person_id(1))
    assert turn_on == []
    await _match(hass, rekognition, entry, "other", _person_id(2))
    assert len(turn_on) == 1
    assert turn_on[0].data["rgb_color"] == (0, 80, 255)
    assert turn_on[0].data["flash"] == "long"


# --- (d) forward_confirmed --------------------------------------------------------------------


async def test_forward_confirmed_match(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
) -> None:
    """A confirmed match is forwarded (here to an SNS topic through a notify target) with where,
    what, when, who confirmed it, why and the incident id; never a name. A match alone, a
    dismissed match and an unselected category forward nothing."""
    entry = await _store(hass, rekognition)
    head_office = recorder.mock(hass, "notify", "head_office", NOTIFY_SERVICE_SCHEMA)
    await _automate(
        hass,
        _instance(
            "forward_confirmed",
            {
                "notify_service": "notify.head_office",
                "target": SNS_TOPIC,
                "categories": ["banned", "violence"],
                "message_prefix": "[SmartShop]",
            },
        ),
    )
    confirmed = async_capture_events(hass, EVENT_CONFIRMED)

    incident_id = (await _match(hass, rekognition, entry, "banned", _person_id(1)))["incident_id"]
    assert head_office == []
    await _review(hass, incident_id, "confirm")
    assert len(head_office) == 1
    call = head_office[0].data
    assert call["target"] == [SNS_TOPIC]
    assert "High Street" in call["title"]
    message = call["message"]
    assert message.startswith("[SmartShop] Confirmed match at High Street")
    for text in (
        incident_id,
        "Front door",
        "Theft",
        "banned",
        "Alex",
        "Checked the snapshot against the customer",
        "Confirmed by Alex (named by an automation) at "
        + dt_util.as_local(dt_util.parse_datetime(confirmed[0].data["time"])).strftime(
            "%Y-%m-%d %H:%M %Z"
        ),
    ):
        assert text in message
    assert SECRET_NAME not in message

    dismissed = (await _match(hass, rekognition, entry, "banned", _person_id(2)))["incident_id"]
    await _review(hass, dismissed, "dismiss")
    theft = (await _match(hass, rekognition, entry, "theft", _person_id(3)))["incident_id"]
    await _review(hass, theft, "confirm")
    assert len(head_office) == 1


async def test_forward_without_target_or_prefix(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
) -> None:
    """Defaults: every category, no target key (e-mail or SMS actions with fixed recipients),
    no prefix."""
    entry = await _store(hass, rekognition)
    email = recorder.mock(hass, "notify", "head_office_email", NOTIFY_SERVICE_SCHEMA)
    await _automate(
        hass, _instance("forward_confirmed", {"notify_service": "notify.head_office_email"})
    )
    incident_id = (await _match(hass, rekognition, entry, "theft"))["incident_id"]
    await _review(hass, incident_id, "confirm")
    assert len(email) == 1
    assert "target" not in email[0].data
    assert email[0].data["message"].startswith("Confirmed match at High Street")
    assert incident_id in email[0].data["message"]


# --- All together -----------------------------------------------------------------------------


async def test_phone_confirmation_locks_and_forwards(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    blueprint_folder: Path,
    recorder: Recorder,
    sam: MockUser,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The documented chain: a banned person's match alerts Sam's phone and flashes the lights;
    nothing locks or leaves the shop until Sam presses Confirm; then the door locks and head
    office is told. No captured call or event carries the person's name."""
    entry = await _store(hass, rekognition)
    phone = recorder.mock(hass, "notify", "mobile_app_test", NOTIFY_SERVICE_SCHEMA)
    head_office = recorder.mock(hass, "notify", "head_office", NOTIFY_SERVICE_SCHEMA)
    turn_on = recorder.mock(
        hass, "light", "turn_on", cv.make_entity_service_schema(LIGHT_TURN_ON_SCHEMA)
    )
    locks, unlocks = _lock_mocks(recorder, hass)
    await _automate(
        hass,
        _instance("notify_staff", {"notify_service": "notify.mobile_app_test"}),
        _instance("lock_door", {"lock": "lock.front_door"}),
        _instance("flash_lights", {"lights": {"entity_id": "light.till"}}),
        _instance("forward_confirmed", {"notify_service": "notify.head_office"}),
    )

    incident_id = (await _match(hass, rekognition, entry))["incident_id"]
    assert len(phone) == 1
    assert len(turn_on) == 1
    assert locks == head_office == []

    hass.bus.async_fire(
        PHONE_ACTION,
        {"action": f"SMARTSHOP_CONFIRM_{incident_id}"},
        context=Context(user_id=sam.id),
    )
    await _settle(hass)
    assert len(locks) == 1
    assert len(head_office) == 1
    assert "Confirmed by Sam" in head_office[0].data["message"]
    await _later(hass, freezer, 6)
    assert len(unlocks) == 1
    assert any(event.event_type == EVENT_CONFIRMED for event in recorder.events)
    recorder.assert_no_name()


# --- (e) weekly_report ------------------------------------------------------------------------


async def test_weekly_report_sent_on_its_day(
    hass: HomeAssistant,
    blueprint_folder: Path,
    recorder: Recorder,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """On the chosen day and time the report of the seven days before is made and its figures
    and signed PDF link are sent; on other days nothing is sent."""
    from custom_components.smartshop.database import incident_store
    from custom_components.smartshop.incidents import Incident

    assert await async_setup_component(hass, DOMAIN, {})
    zone = dt_util.get_default_time_zone()
    monday = datetime(2026, 11, 30, 7, 59, 50, tzinfo=zone)  # a Monday, just before 08:00
    freezer.move_to(monday)
    incident = Incident(
        incident_id="00000001-aaaa-4bbb-8ccc-000000000000",
        dedup_key="k1",
        occurred_at=dt_util.as_utc(monday - timedelta(days=3)),
        store_id="s1",
        store_name="High Street",
        camera="Front door",
        location="Entrance",
        watchlist_id="w-theft",
        watchlist="Theft",
        category="theft",
        person_id=_person_id(1),
        similarity=97.0,
    )
    await hass.async_add_executor_job(incident_store(hass).add, incident)
    manager = recorder.mock(hass, "notify", "manager_email", NOTIFY_SERVICE_SCHEMA)
    await _automate(
        hass,
        _instance(
            "weekly_report",
            {
                "notify_service": "notify.manager_email",
                "weekday": "mon",
                "time": "08:00:00",
                "base_url": "https://shop.example.com:8123/",
            },
        ),
    )
    freezer.move_to(monday + timedelta(seconds=15))
    async_fire_time_changed(hass, monday + timedelta(seconds=15))
    await hass.async_block_till_done()
    assert len(manager) == 1
    call = manager[0].data
    assert call["title"] == "SmartShop weekly report, 2026-11-23 to 2026-11-29"
    message = call["message"]
    assert message.startswith(
        "1 possible matches: 0 confirmed by staff, 0 dismissed as not them, 1 not reviewed."
    )
    link = message.split("Report (PDF): ")[1].strip()
    assert link.startswith("https://shop.example.com:8123/api/smartshop/exports/report-")
    client = await hass_client_no_auth()
    response = await client.get(link.removeprefix("https://shop.example.com:8123"))
    assert response.status == 200
    assert (await response.read()).startswith(b"%PDF")

    # Tuesday at 08:00: not the report's day.
    tuesday = monday + timedelta(days=1, seconds=15)
    freezer.move_to(tuesday)
    async_fire_time_changed(hass, tuesday)
    await hass.async_block_till_done()
    assert len(manager) == 1
    # Off: its time trigger is unscheduled (no timer outlives the test).
    await hass.services.async_call(
        "automation", "turn_off", {"entity_id": "automation.weekly_report"}, blocking=True
    )
