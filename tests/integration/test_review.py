"""Alert rules, staff review, signed snapshot links, event entities and the presence sensor."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartshop.const import (
    DOMAIN,
    EVENT_CONFIRMED,
    EVENT_DISMISSED,
    EVENT_ENTRY_THRESHOLD_CHANGED,
    EVENT_MATCH,
)
from custom_components.smartshop.database import audit_log
from custom_components.smartshop.incidents import ReviewStatus
from custom_components.smartshop.review import (
    async_review,
    raised_threshold,
    threshold_after_dismissal,
)
from custom_components.smartshop.snapshots import SnapshotKind

from .conftest import Rekognition, StillCamera, setup_store, store_entry
from .helpers import as_admin
from .test_image_processing import ONE_FACE, _person, _scan

EVENT_ENTITY = "event.high_street_front_door_watchlist_match"
PRESENCE = "binary_sensor.high_street_person_of_interest_on_premises"


async def _match(
    hass: HomeAssistant, rekognition: Rekognition, person_id: str, similarity: float = 99.0
) -> dict:
    events = async_capture_events(hass, EVENT_MATCH)
    rekognition.detect(ONE_FACE)
    rekognition.search([(person_id, similarity)])
    await _scan(hass)
    assert len(events) == 1
    return dict(events[0].data)


async def test_match_review_confirm(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera, hass_admin_user
) -> None:
    """A match turns on presence and the event entity; confirming records who, when and why."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    data = await _match(hass, rekognition, person.person_id)
    assert data["needs_confirmation"] is True
    assert data["quiet"] is False
    assert data["snapshot_url"].startswith(
        f"/api/smartshop/snapshot/incident/{data['incident_id']}?authSig="
    )
    assert hass.states.get(PRESENCE).state == "on"
    event_state = hass.states.get(EVENT_ENTITY)
    assert event_state.attributes["event_type"] == "match"
    assert event_state.attributes["person_id"] == person.person_id
    assert "Secret Name" not in str(event_state.as_dict())

    confirmed = async_capture_events(hass, EVENT_CONFIRMED)
    response = await hass.services.async_call(
        DOMAIN,
        "review_match",
        {
            "incident_id": data["incident_id"],
            "decision": "confirm",
            "reason": "Seen taking goods on CCTV",
        },
        blocking=True,
        return_response=True,
        context=Context(user_id=hass_admin_user.id),
    )
    assert response["incident"]["review_status"] == "confirmed"
    assert response["incident"]["reviewed_by"] == hass_admin_user.name
    assert confirmed[0].data["reviewer"] == hass_admin_user.name
    assert confirmed[0].data["incident_id"] == data["incident_id"]
    assert hass.states.get(EVENT_ENTITY).attributes["event_type"] == "confirmed"
    incident = await hass.async_add_executor_job(
        entry.runtime_data.incidents.get, data["incident_id"]
    )
    assert incident.review_status == "confirmed"
    assert incident.review_reason == "Seen taking goods on CCTV"

    # A second "confirm" (another phone answering the same alert) changes nothing.
    again = await hass.services.async_call(
        DOMAIN,
        "review_match",
        {
            "incident_id": data["incident_id"],
            "decision": "confirm",
            "reason": "me too",
            "reviewer": "Kim",
        },
        blocking=True,
        return_response=True,
    )
    assert again["changed"] is False
    assert again["incident"]["reviewed_by"] == hass_admin_user.name
    assert len(confirmed) == 1

    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "review_match",
            {
                "incident_id": data["incident_id"],
                "decision": "dismiss",
                "reason": "x",
                "reviewer": "Sam",
            },
            blocking=True,
        )
    assert err.value.translation_key == "already_reviewed"


async def test_review_errors(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """Unknown incidents, blank reasons and anonymous reviewers are refused."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    data = await _match(hass, rekognition, person.person_id)
    for call, key in (
        (
            {"incident_id": "nope", "decision": "confirm", "reason": "x", "reviewer": "Sam"},
            "incident_not_found",
        ),
        (
            {
                "incident_id": data["incident_id"],
                "decision": "confirm",
                "reason": "  ",
                "reviewer": "Sam",
            },
            "missing_field",
        ),
        (
            {"incident_id": data["incident_id"], "decision": "confirm", "reason": "x"},
            "reviewer_required",
        ),
        (
            {
                "incident_id": data["incident_id"],
                "decision": "confirm",
                "reason": "x",
                "reviewer": "S",
                "config_entry_id": entry.entry_id,
            },
            None,
        ),
    ):
        # As an automation (no user): a reviewer must be named.
        if key is None:
            await hass.services.async_call(DOMAIN, "review_match", call, blocking=True)
            continue
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(DOMAIN, "review_match", call, blocking=True)
        assert err.value.translation_key == key


async def test_dismissals_raise_a_review_issue(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """Three dismissed matches of one entry suggest reviewing it; updating the entry clears it;
    a dismissal turns the presence sensor off."""
    entry = store_entry(options={"alert_cooldown_minutes": 0})
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    dismissed = async_capture_events(hass, EVENT_DISMISSED)
    for similarity in (97.0, 98.0, 99.0):  # each dismissal raises the entry's threshold
        data = await _match(hass, rekognition, person.person_id, similarity)
        await hass.services.async_call(
            DOMAIN,
            "review_match",
            {
                "incident_id": data["incident_id"],
                "decision": "dismiss",
                "reason": "Not them",
                "reviewer": "Sam",
            },
            blocking=True,
        )
        assert hass.states.get(PRESENCE).state == "off"
    assert len(dismissed) == 3
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"review_entry_{person.person_id}")
    assert issue is not None
    assert issue.translation_placeholders["count"] == "3"
    assert "Secret Name" not in str(issue.translation_placeholders)
    await hass.services.async_call(
        DOMAIN,
        "update_person",
        {"person_id": person.person_id, "reason": "Re-checked"},
        blocking=True,
        context=await as_admin(hass),
    )
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"review_entry_{person.person_id}") is None


async def test_presence_turns_off_by_itself(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The presence sensor goes off after the configured minutes."""
    entry = store_entry(options={"presence_minutes": 5})
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    await _match(hass, rekognition, person.person_id)
    assert hass.states.get(PRESENCE).state == "on"
    freezer.tick(timedelta(minutes=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(PRESENCE).state == "off"


async def test_alert_rules(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A category's rule sets its minimum similarity, quiet hours and confirmation; set in options."""
    # The clock is frozen here, so the rate limiter's bucket would never refill.
    monkeypatch.setattr("custom_components.smartshop.SEARCH_RATE_PER_SECOND", 1000.0)
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "alert_rules"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"category": "banned"}
    )
    assert result["step_id"] == "alert_rule"
    rule = {"min_similarity": 98.0, "alert_cooldown_minutes": 1.0, "needs_confirmation": False}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], rule | {"min_similarity": 90.0}
    )
    assert result["errors"] == {"min_similarity": "below_store_threshold"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], rule | {"quiet_start": "22:00:00"}
    )
    assert result["errors"] == {"base": "quiet_hours_incomplete"}
    rekognition.credentials_ok()
    rekognition.collection_exists()
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], rule | {"quiet_start": "22:00:00", "quiet_end": "06:00:00"}
    )
    await hass.async_block_till_done()
    rules = entry.runtime_data.rules
    assert rules["banned"].min_similarity == 98.0
    assert rules["theft"].min_similarity == 95.0

    person = _person(entry)  # category banned
    events = async_capture_events(hass, EVENT_MATCH)
    rekognition.detect(ONE_FACE)
    rekognition.search([(person.person_id, 97.0)])  # above the store's 95, below banned's 98
    await _scan(hass)
    assert events == []
    late = dt_util.start_of_local_day() + timedelta(hours=23)
    freezer.move_to(late if late > dt_util.now() else late + timedelta(days=1))  # only forward
    data = await _match(hass, rekognition, person.person_id, 99.5)
    assert data["quiet"] is True
    assert data["needs_confirmation"] is False


async def test_snapshot_links(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The match crop is stored encrypted; its signed link works until it expires; without a
    signature, or for a bad id, nothing is served."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    data = await _match(hass, rekognition, person.person_id)
    client = await hass_client_no_auth()
    response = await client.get(data["snapshot_url"])
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    body = await response.read()
    assert body[:2] == b"\xff\xd8"
    stored = next(Path(hass.config.path(DOMAIN, "snapshots", "incident")).iterdir())
    assert b"\xff\xd8" not in stored.read_bytes()[:16]  # encrypted at rest

    unsigned = data["snapshot_url"].split("?")[0]
    assert (await client.get(unsigned)).status == 401
    tampered = data["snapshot_url"].replace("incident/", "reference/")
    assert (await client.get(tampered)).status == 401
    freezer.tick(timedelta(hours=2))
    assert (await client.get(data["snapshot_url"])).status == 401


async def test_snapshot_view_for_signed_in_staff(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    hass_client: ClientSessionGenerator,
) -> None:
    """An administrator can fetch by path; a user without the store's console is refused;
    unknown kinds and ids (and images no store holds) are 404."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    snapshots = entry.runtime_data.snapshots
    await hass.async_add_executor_job(
        snapshots.save, SnapshotKind.REFERENCE, person.person_id, b"\xff\xd8jpeg"
    )
    await hass.async_add_executor_job(
        snapshots.save, SnapshotKind.REFERENCE, "abc-123", b"\xff\xd8jpeg"
    )
    client = await hass_client()
    path = f"/api/smartshop/snapshot/reference/{person.person_id}"
    assert (await client.get(path)).status == 200
    assert (await client.get("/api/smartshop/snapshot/reference/abc-123")).status == 404
    assert (await client.get("/api/smartshop/snapshot/reference/missing")).status == 404
    assert (await client.get(f"/api/smartshop/snapshot/other/{person.person_id}")).status == 404
    assert (await client.get("/api/smartshop/snapshot/reference/..%2Fx")).status in (400, 404)
    kim = await hass.auth.async_create_user("Kim", group_ids=["system-users"])
    token = await hass.auth.async_create_refresh_token(kim, "https://console.test/")
    kim_client = await hass_client(hass.auth.async_create_access_token(token))
    assert (await kim_client.get(path)).status == 403
    with pytest.raises(ValueError):
        snapshots.save(SnapshotKind.REFERENCE, "../escape", b"x")


async def _review(hass: HomeAssistant, incident_id: str, decision: str = "dismiss") -> None:
    await hass.services.async_call(
        DOMAIN,
        "review_match",
        {"incident_id": incident_id, "decision": decision, "reason": "Not them", "reviewer": "Sam"},
        blocking=True,
    )
    await hass.async_block_till_done()


def _snapshot_file(hass: HomeAssistant, incident_id: str) -> Path:
    return Path(hass.config.path(DOMAIN, "snapshots", "incident", f"{incident_id}.jpg.enc"))


async def _listed(hass: HomeAssistant) -> dict:
    response = await hass.services.async_call(
        DOMAIN, "list_people", {}, blocking=True, return_response=True, context=await as_admin(hass)
    )
    return response["people"][0]


async def _no_alert(
    hass: HomeAssistant, rekognition: Rekognition, person_id: str, similarity: float
) -> None:
    events = async_capture_events(hass, EVENT_MATCH)
    rekognition.detect(ONE_FACE)
    rekognition.search([(person_id, similarity)])
    await _scan(hass)
    rekognition.assert_done()
    assert events == []


def test_threshold_steps() -> None:
    """Just above the dismissed similarity, capped, never lowered, never the store's own."""
    assert threshold_after_dismissal(96.2) == 96.3
    assert threshold_after_dismissal(96.23) == 96.3
    assert threshold_after_dismissal(96.29) == 96.3
    assert threshold_after_dismissal(96.3) == 96.4
    assert raised_threshold(None, 96.2, 95.0) == 96.3
    assert raised_threshold(96.3, 97.05, 95.0) == 97.1
    assert raised_threshold(98.1, 96.0, 95.0) == 98.1  # a lower dismissal does not lower it
    assert raised_threshold(None, 99.8, 95.0) == 99.5  # the cap
    assert raised_threshold(99.5, 99.9, 95.0) == 99.5
    assert raised_threshold(None, 94.0, 95.0) is None  # the store's threshold already decides


async def test_dismissal_raises_the_entry_threshold(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    hass_storage: dict,
) -> None:
    """ "Not them" deletes the match crop at once and lifts the entry's threshold just above the
    dismissed similarity: the same similarity no longer alerts, a higher one does."""
    entry = store_entry(options={"alert_cooldown_minutes": 0})
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    changes = async_capture_events(hass, EVENT_ENTRY_THRESHOLD_CHANGED)
    logbook = async_capture_events(hass, "logbook_entry")
    data = await _match(hass, rekognition, person.person_id, 96.2)
    snapshot = _snapshot_file(hass, data["incident_id"])
    assert snapshot.exists()

    await _review(hass, data["incident_id"])

    assert not snapshot.exists()
    incident = await hass.async_add_executor_job(
        entry.runtime_data.incidents.get, data["incident_id"]
    )
    # The fact stays: when, where, how similar, who dismissed it and why.
    assert incident.review_status == "dismissed"
    assert incident.similarity == 96.2
    assert incident.camera == "camera.front_door"
    assert incident.reviewed_by == "Sam (named by an automation)"
    assert person.dismissal_threshold == 96.3
    assert (await _listed(hass))["dismissal_threshold"] == 96.3
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.people"]["data"]["people"][0]
    assert stored["dismissal_threshold"] == 96.3
    assert len(changes) == 1
    assert changes[0].data == {
        "person_id": person.person_id,
        "watchlist_id": person.watchlist_id,
        "old_threshold": None,
        "new_threshold": 96.3,
        "store_threshold": 95.0,
        "cause": "dismissal",
        "incident_id": data["incident_id"],
        "user_id": None,
        "config_entry_id": entry.entry_id,
    }
    assert len(logbook) == 1
    assert person.person_id in logbook[0].data["message"]
    assert "96.3" in logbook[0].data["message"]
    assert "Secret Name" not in str(logbook[0].data) + str(changes[0].data)
    # Nothing of the dismissed face is kept: no incident image is left anywhere.
    assert list(snapshot.parent.iterdir()) == []
    # The dismissed incident no longer names the entry; the audit log has the review (by
    # incident) and the threshold change (by entry), with no name or reason.
    assert (incident.person_id, incident.snapshot_ref) == ("", None)
    assert person.dismissals == 1
    log = await hass.async_add_executor_job(audit_log(hass).entries)
    (review,) = [row for row in log if row.action == "review"]
    assert (review.subject, review.details) == (
        data["incident_id"],
        {
            "incident_id": data["incident_id"],
            "outcome": "dismissed",
            "reviewer": "Sam (named by an automation)",
        },
    )
    (threshold,) = [row for row in log if row.action == "threshold"]
    assert (threshold.subject, threshold.details) == (
        person.person_id,
        {"old_threshold": None, "new_threshold": 96.3, "cause": "dismissal"},
    )
    assert "Secret Name" not in str(log)
    assert "Not them" not in str(log)

    await _no_alert(hass, rekognition, person.person_id, 96.2)
    await _match(hass, rekognition, person.person_id, 96.3)


async def test_several_dismissals(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """Each dismissal lifts the threshold above the highest dismissed similarity, up to the cap;
    a lower dismissal (an alert from before the raise) leaves it where it is."""
    entry = store_entry(options={"alert_cooldown_minutes": 0})
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    changes = async_capture_events(hass, EVENT_ENTRY_THRESHOLD_CHANGED)
    high = await _match(hass, rekognition, person.person_id, 98.04)
    low = await _match(hass, rekognition, person.person_id, 96.0)  # before anyone reviewed

    await _review(hass, high["incident_id"])
    assert person.dismissal_threshold == 98.1
    await _review(hass, low["incident_id"])
    assert person.dismissal_threshold == 98.1
    assert not _snapshot_file(hass, low["incident_id"]).exists()
    assert [event.data["new_threshold"] for event in changes] == [98.1]

    await _no_alert(hass, rekognition, person.person_id, 98.0)
    near = await _match(hass, rekognition, person.person_id, 99.2)
    await _review(hass, near["incident_id"])
    assert person.dismissal_threshold == 99.3
    top = await _match(hass, rekognition, person.person_id, 99.8)
    await _review(hass, top["incident_id"])
    assert person.dismissal_threshold == 99.5  # the cap: a stronger match still alerts
    assert [event.data["old_threshold"] for event in changes] == [None, 98.1, 99.3]
    await _no_alert(hass, rekognition, person.person_id, 99.4)
    await _match(hass, rekognition, person.person_id, 99.6)


async def test_confirmation_keeps_evidence_and_threshold(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """A confirmed match keeps its crop as evidence and changes no threshold."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    changes = async_capture_events(hass, EVENT_ENTRY_THRESHOLD_CHANGED)
    data = await _match(hass, rekognition, person.person_id, 96.2)
    await _review(hass, data["incident_id"], "confirm")
    assert _snapshot_file(hass, data["incident_id"]).exists()
    assert person.dismissal_threshold is None
    assert (await _listed(hass))["dismissal_threshold"] is None
    assert changes == []


async def test_entry_threshold_resets_on_update(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    hass_storage: dict,
) -> None:
    """Staff updating the entry give it the store's threshold again (and say so)."""
    entry = store_entry(options={"alert_cooldown_minutes": 0})
    await setup_store(hass, rekognition, entry)
    person_id = _person(entry).person_id
    changes = async_capture_events(hass, EVENT_ENTRY_THRESHOLD_CHANGED)
    data = await _match(hass, rekognition, person_id, 96.2)
    await _review(hass, data["incident_id"])
    await _no_alert(hass, rekognition, person_id, 96.2)

    response = await hass.services.async_call(
        DOMAIN,
        "update_person",
        {"person_id": person_id, "reason": "Re-checked the footage"},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    await hass.async_block_till_done()
    assert response["person"]["dismissal_threshold"] is None
    assert (await _listed(hass))["dismissal_threshold"] is None
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.people"]["data"]["people"][0]
    assert stored["dismissal_threshold"] is None
    assert [
        (e.data["cause"], e.data["old_threshold"], e.data["new_threshold"]) for e in changes
    ] == [
        ("dismissal", None, 96.3),
        ("entry_updated", 96.3, None),
    ]
    await _match(hass, rekognition, person_id, 96.2)

    # An update of an entry at the store's threshold changes nothing more.
    await hass.services.async_call(
        DOMAIN,
        "update_person",
        {"person_id": person_id, "reason": "Again"},
        blocking=True,
        context=await as_admin(hass),
    )
    await hass.async_block_till_done()
    assert len(changes) == 2


async def test_threshold_change_names_the_reviewer(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera, hass_admin_user
) -> None:
    """The reviewer's user id goes with the change, in the event and its context."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    changes = async_capture_events(hass, EVENT_ENTRY_THRESHOLD_CHANGED)
    data = await _match(hass, rekognition, person.person_id, 97.0)
    incident = await hass.async_add_executor_job(
        entry.runtime_data.incidents.get, data["incident_id"]
    )
    await async_review(
        hass,
        entry,
        incident,
        ReviewStatus.DISMISSED,
        reviewer=hass_admin_user.name,
        reason="Not them",
        user_id=hass_admin_user.id,
    )
    assert changes[0].data["user_id"] == hass_admin_user.id
    assert changes[0].context.user_id == hass_admin_user.id
    assert person.dismissal_threshold == 97.1


async def test_dismissal_of_a_face_enrolled_elsewhere(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: StillCamera
) -> None:
    """A shared watchlist's face enrolled by another store has no entry here to raise; its crop
    is deleted all the same."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    _person(entry)  # an entry of this store's own, not the one that matches
    changes = async_capture_events(hass, EVENT_ENTRY_THRESHOLD_CHANGED)
    data = await _match(hass, rekognition, "9a8b7c6d-0000-4000-8000-000000000001", 97.0)
    assert data["known_here"] is False
    await _review(hass, data["incident_id"])
    assert not _snapshot_file(hass, data["incident_id"]).exists()
    assert changes == []
