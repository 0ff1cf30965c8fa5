"""The manager's console over Home Assistant's WebSocket API: answers, paging, rights, live
matches."""

from __future__ import annotations

import base64
from datetime import timedelta
import io
import os
from pathlib import Path
from typing import Any
import zipfile

from homeassistant.components.websocket_api import ERR_INVALID_FORMAT, ERR_UNAUTHORIZED
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MockHAClientWebSocket,
    WebSocketGenerator,
)

from custom_components.smartshop.audit import AuditAction
from custom_components.smartshop.console_api import ERR_ALREADY_REVIEWED, MAX_UPLOAD_BYTES
from custom_components.smartshop.const import (
    CONF_CONSOLE_FOR_STAFF,
    EVENT_DISMISSED,
    EVENT_MATCH,
    Category,
)
from custom_components.smartshop.database import audit_log, incident_store
from custom_components.smartshop.incidents import Incident, ReviewStatus
from custom_components.smartshop.people import Person
from custom_components.smartshop.retention import async_privacy_purge
from custom_components.smartshop.snapshots import SnapshotKind

from .conftest import COLLECTION, Rekognition, StillCamera, setup_store, store_entry
from .test_image_processing import ONE_FACE, _scan
from .test_services import FACE_ID, expect_enrolment

NAME = "Secret Name"
PERSON = "0f7c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5"
FACE = "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
OTHER_STORE = "another-store-not-loaded-here"
CAMERAS = ("camera.front_door", "camera.till")
JPEG = b"\xff\xd8\xff\xe0 a stored image \xff\xd9"


def _put_person(
    entry: MockConfigEntry,
    person_id: str = PERSON,
    *,
    name: str = NAME,
    expires_in: timedelta = timedelta(days=30),
    review_in: timedelta = timedelta(days=10),
    user_created: bool = True,
) -> Person:
    now = dt_util.utcnow()
    person = Person(
        person_id=person_id,
        watchlist_id=next(iter(entry.subentries)),
        display_name=name,
        category=Category.BANNED,
        reason="Assaulted staff",
        incident_reference="INC-9",
        added_by="Sam",
        added_at=now - timedelta(days=5),
        expires_at=now + expires_in,
        review_at=now + review_in,
        updated_at=now,
        face_ids=[FACE],
        user_created=user_created,
    )
    entry.runtime_data.watchlists.store.put(person)
    return person


def _incident(
    entry: MockConfigEntry,
    n: int,
    *,
    minutes_ago: int,
    camera: str = CAMERAS[0],
    person_id: str = PERSON,
    status: ReviewStatus = ReviewStatus.PENDING,
    store_id: str | None = None,
) -> Incident:
    at = dt_util.utcnow() - timedelta(minutes=minutes_ago)
    reviewed = status is not ReviewStatus.PENDING
    return Incident(
        incident_id=f"00000000-0000-4000-8000-{n:012d}",
        dedup_key=f"seed-{n}",
        occurred_at=at,
        store_id=store_id or entry.entry_id,
        store_name=entry.title if store_id is None else "Elsewhere",
        camera=camera,
        location="Front door",
        watchlist_id=next(iter(entry.subentries)),
        watchlist="Theft",
        category="theft",
        person_id=person_id,
        similarity=97.5,
        review_status=status,
        reviewed_by="Sam" if reviewed else None,
        reviewed_at=at + timedelta(minutes=3) if reviewed else None,
        review_reason="seen on CCTV" if reviewed else None,
    )


async def _seed(hass: HomeAssistant, incidents: list[Incident]) -> None:
    def add_all() -> None:
        store = incident_store(hass)
        for incident in incidents:
            assert store.add(incident)

    await hass.async_add_executor_job(add_all)


async def _save_image(
    hass: HomeAssistant, entry: MockConfigEntry, kind: SnapshotKind, ident: str
) -> None:
    await hass.async_add_executor_job(entry.runtime_data.snapshots.save, kind, ident, JPEG)


async def _store(
    hass: HomeAssistant, rekognition: Rekognition, *, staff: bool = False
) -> MockConfigEntry:
    entry = store_entry(options={CONF_CONSOLE_FOR_STAFF: True} if staff else None)
    await setup_store(hass, rekognition, entry)
    return entry


async def _call(client: MockHAClientWebSocket, command: str, **fields: Any) -> dict[str, Any]:
    await client.send_json_auto_id({"type": f"smartshop/{command}", **fields})
    return await client.receive_json()


async def _ok(client: MockHAClientWebSocket, command: str, **fields: Any) -> Any:
    answer = await _call(client, command, **fields)
    assert answer["success"], answer
    return answer["result"]


async def _staff_client(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, name: str = "Kim Staff"
) -> MockHAClientWebSocket:
    """A signed-in user who is not an administrator."""
    user = await hass.auth.async_create_user(name, group_ids=["system-users"])
    assert not user.is_admin
    refresh_token = await hass.auth.async_create_refresh_token(user, "https://console.test/")
    return await hass_ws_client(hass, hass.auth.async_create_access_token(refresh_token))


async def test_stores_with_totals(
    hass: HomeAssistant, rekognition: Rekognition, hass_ws_client: WebSocketGenerator
) -> None:
    """An administrator sees every loaded store, its totals and watchlists; incidents of a
    store not loaded here are not counted."""
    entry = await _store(hass, rekognition)
    await _seed(
        hass,
        [
            _incident(entry, 1, minutes_ago=30),
            _incident(entry, 2, minutes_ago=20, status=ReviewStatus.CONFIRMED),
            _incident(entry, 3, minutes_ago=10, status=ReviewStatus.DISMISSED),
            _incident(entry, 4, minutes_ago=5, store_id=OTHER_STORE),
        ],
    )
    client = await hass_ws_client(hass)
    result = await _ok(client, "stores")
    assert result["is_admin"] is True
    assert result["can_edit_watchlists"] is True
    (store,) = result["stores"]
    assert store["store_id"] == entry.entry_id
    assert store["name"] == "High Street"
    assert store["console_for_staff"] is False
    totals = store["totals"]
    assert (totals["total"], totals["pending"], totals["confirmed"], totals["dismissed"]) == (
        3,
        1,
        1,
        1,
    )
    assert store["watchlists"] == [
        {"watchlist_id": next(iter(entry.subentries)), "name": "Theft", "category": "theft"}
    ]
    assert store["cameras"] == [{"entity_id": "camera.front_door", "name": "Front door"}]


async def test_paging_through_filtered_incidents(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """More than two pages of one camera's pending incidents, newest first, none twice; the
    crop and the reference photo come as links signed for this user, only when held."""
    entry = await _store(hass, rekognition)
    _put_person(entry)
    incidents = [
        _incident(
            entry,
            n,
            minutes_ago=n,
            camera=CAMERAS[n % 2],
            status=ReviewStatus.CONFIRMED if n % 5 == 0 else ReviewStatus.PENDING,
        )
        for n in range(1, 131)
    ]
    incidents.append(_incident(entry, 999, minutes_ago=0, store_id=OTHER_STORE))
    await _seed(hass, incidents)
    expected = [
        incident.incident_id
        for incident in incidents
        if incident.store_id == entry.entry_id
        and incident.camera == CAMERAS[1]
        and incident.review_status is ReviewStatus.PENDING
    ]
    assert len(expected) == 52
    with_crop = expected[25]
    await _save_image(hass, entry, SnapshotKind.INCIDENT, with_crop)
    await _save_image(hass, entry, SnapshotKind.REFERENCE, PERSON)

    client = await hass_ws_client(hass)
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        fields: dict[str, Any] = {
            "camera": CAMERAS[1],
            "review_status": "pending",
            "store_ids": [entry.entry_id],
            "limit": 20,
        }
        if cursor:
            fields["cursor"] = cursor
        result = await _ok(client, "incidents/list", **fields)
        seen += result["incidents"]
        pages += 1
        cursor = result["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert [row["incident_id"] for row in seen] == expected
    rows = {row["incident_id"]: row for row in seen}
    assert rows[with_crop]["snapshot_url"].startswith(
        f"/api/smartshop/snapshot/incident/{with_crop}?authSig="
    )
    assert all(row["snapshot_url"] is None for key, row in rows.items() if key != with_crop)
    assert all(
        row["reference_url"].startswith(f"/api/smartshop/snapshot/reference/{PERSON}?authSig=")
        for row in seen
    )
    # The signed link serves the image without a token.
    web = await hass_client_no_auth()
    response = await web.get(rows[with_crop]["snapshot_url"])
    assert response.status == 200
    assert await response.read() == JPEG

    # Unfiltered, the store not loaded here stays out.
    everything = await _ok(client, "incidents/list", limit=200)
    assert len(everything["incidents"]) == 130
    assert everything["next_cursor"] is None

    bad_cursor = await _call(client, "incidents/list", cursor="nonsense")
    assert bad_cursor["error"]["code"] == ERR_INVALID_FORMAT
    elsewhere = await _call(client, "incidents/list", store_ids=[OTHER_STORE])
    assert elsewhere["error"]["code"] == ERR_UNAUTHORIZED


async def test_paging_through_anonymised_incidents(
    hass: HomeAssistant, rekognition: Rekognition, hass_ws_client: WebSocketGenerator
) -> None:
    """After the privacy purge anonymised the old unconfirmed incidents (day 31 on with the
    default retention), every page of the list still answers, anonymised rows included (no
    person, similarity or reference photo; when they were anonymised), and the detail of an
    anonymised incident shows it without an entry."""
    entry = await _store(hass, rekognition)
    _put_person(entry)
    day = 60 * 24
    incidents = [
        _incident(
            entry,
            n,
            minutes_ago=n * day - 60,  # n days ago, less an hour
            camera=CAMERAS[n % 2],
            status=ReviewStatus.CONFIRMED if n % 4 == 0 else ReviewStatus.PENDING,
        )
        for n in range(1, 61)
    ]
    await _seed(hass, incidents)
    await _save_image(hass, entry, SnapshotKind.REFERENCE, PERSON)
    purged_at = dt_util.utcnow()
    report = await async_privacy_purge(hass, entry, purged_at)
    assert report is not None
    anonymised = {
        incident.incident_id
        for n, incident in enumerate(incidents, start=1)
        if n > 30 and incident.review_status is not ReviewStatus.CONFIRMED
    }
    assert report.counts["anonymised_unconfirmed"] == len(anonymised) == 22

    client = await hass_ws_client(hass)
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        fields: dict[str, Any] = {"limit": 20} | ({"cursor": cursor} if cursor else {})
        result = await _ok(client, "incidents/list", **fields)
        seen += result["incidents"]
        pages += 1
        if (cursor := result["next_cursor"]) is None:
            break
    assert pages == 3
    assert [row["incident_id"] for row in seen] == [i.incident_id for i in incidents]
    for row in seen:
        if row["incident_id"] in anonymised:
            assert (row["person_id"], row["similarity"], row["reference_url"]) == ("", None, None)
            assert dt_util.parse_datetime(row["anonymised_at"]) == purged_at
        else:
            assert (row["person_id"], row["similarity"], row["anonymised_at"]) == (
                PERSON,
                97.5,
                None,
            )
            assert row["reference_url"].startswith(f"/api/smartshop/snapshot/reference/{PERSON}")
    # Only the anonymised rows of one camera, through the filters.
    filtered = await _ok(
        client, "incidents/list", camera=CAMERAS[1], review_status="pending", limit=200
    )
    till_pending = [
        i.incident_id
        for i in incidents
        if i.camera == CAMERAS[1] and i.review_status is ReviewStatus.PENDING
    ]
    assert [row["incident_id"] for row in filtered["incidents"]] == till_pending
    assert len(anonymised.intersection(till_pending)) == 15

    oldest = incidents[-2]
    assert oldest.incident_id in anonymised
    await hass.async_add_executor_job(
        lambda: audit_log(hass).append(
            AuditAction.REVIEW,
            actor="Sam (u1)",
            store_id=entry.entry_id,
            subject=oldest.incident_id,
            details={"decision": "dismiss"},
        )
    )
    detail = await _ok(client, "incidents/get", incident_id=oldest.incident_id)
    assert detail["person"] is None
    assert detail["incident"]["incident_id"] == oldest.incident_id
    assert detail["incident"]["person_id"] == ""
    assert detail["incident"]["similarity"] is None
    assert detail["incident"]["review_reason"] is None
    assert dt_util.parse_datetime(detail["incident"]["anonymised_at"]) == purged_at
    assert [row["actor"] for row in detail["review_history"]] == ["Sam (u1)"]


async def test_incident_detail_with_the_entry_and_review_history(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user,
) -> None:
    """The detail shows the entry (with its name), the review rows of the audit log about
    the incident or its person, and records that names were shown."""
    entry = await _store(hass, rekognition)
    _put_person(entry)
    incident = _incident(entry, 1, minutes_ago=5)
    other = _incident(entry, 2, minutes_ago=50)
    await _seed(hass, [incident, other])
    log = audit_log(hass)
    await hass.async_add_executor_job(
        lambda: log.append(
            AuditAction.REVIEW,
            actor="Sam (u1)",
            store_id=entry.entry_id,
            subject=incident.incident_id,
            details={"decision": "confirm"},
        )
    )
    await hass.async_add_executor_job(
        lambda: log.append(
            AuditAction.REVIEW,
            actor="Ali (u2)",
            store_id=entry.entry_id,
            subject=PERSON,
            details={"incident_id": other.incident_id},
        )
    )
    client = await hass_ws_client(hass)
    result = await _ok(client, "incidents/get", incident_id=incident.incident_id)
    assert result["incident"]["incident_id"] == incident.incident_id
    assert result["incident"]["snapshot_url"] is None
    person = result["person"]
    assert person["name"] == NAME
    assert person["reason"] == "Assaulted staff"
    assert (person["review_due"], person["expires_soon"]) == (False, False)
    assert [(row["actor"], row["details"]) for row in result["review_history"]] == [
        ("Sam (u1)", {"decision": "confirm"})
    ]
    shown = [
        row
        for row in await hass.async_add_executor_job(log.entries)
        if row.action == AuditAction.LIST_PEOPLE
    ]
    assert len(shown) == 1
    assert shown[0].subject == PERSON
    assert shown[0].actor == f"{hass_admin_user.name} ({hass_admin_user.id})"

    missing = await _call(client, "incidents/get", incident_id="nope")
    assert missing["error"]["translation_key"] == "incident_not_found"


async def test_review_from_the_console(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user,
) -> None:
    """A dismissal needs a reason; it goes the one review path (event, crop deleted) in the
    user's name; the same answer again changes nothing, a different one is refused."""
    entry = await _store(hass, rekognition)
    _put_person(entry)
    incident = _incident(entry, 1, minutes_ago=5)
    await _seed(hass, [incident])
    await _save_image(hass, entry, SnapshotKind.INCIDENT, incident.incident_id)
    dismissed = async_capture_events(hass, EVENT_DISMISSED)
    client = await hass_ws_client(hass)

    no_reason = await _call(
        client, "incidents/review", incident_id=incident.incident_id, decision="dismiss"
    )
    assert no_reason["error"]["code"] == ERR_INVALID_FORMAT
    blank = await _call(
        client,
        "incidents/review",
        incident_id=incident.incident_id,
        decision="dismiss",
        reason="   ",
    )
    assert blank["error"]["code"] == ERR_INVALID_FORMAT

    result = await _ok(
        client,
        "incidents/review",
        incident_id=incident.incident_id,
        decision="dismiss",
        reason="Not them: different coat",
    )
    assert result["changed"] is True
    assert result["incident"]["review_status"] == "dismissed"
    assert result["incident"]["reviewed_by"] == hass_admin_user.name
    assert result["incident"]["review_reason"] == "Not them: different coat"
    await hass.async_block_till_done()
    assert len(dismissed) == 1
    assert dismissed[0].data["reviewer"] == hass_admin_user.name
    assert (
        await hass.async_add_executor_job(
            entry.runtime_data.snapshots.load, SnapshotKind.INCIDENT, incident.incident_id
        )
        is None
    )
    # The entry's own threshold rose above the dismissed similarity, as for the action.
    assert entry.runtime_data.watchlists.store.get(PERSON).dismissal_threshold == 97.6

    again = await _ok(
        client,
        "incidents/review",
        incident_id=incident.incident_id,
        decision="dismiss",
        reason="me too",
    )
    assert again["changed"] is False
    other = await _call(
        client, "incidents/review", incident_id=incident.incident_id, decision="confirm"
    )
    assert other["error"]["code"] == ERR_ALREADY_REVIEWED


async def test_trends(
    hass: HomeAssistant, rekognition: Rekognition, hass_ws_client: WebSocketGenerator
) -> None:
    """Every trend in one answer, in the zone asked for."""
    entry = await _store(hass, rekognition)
    await _seed(
        hass,
        [
            _incident(entry, 1, minutes_ago=60 * 24 * 3, status=ReviewStatus.CONFIRMED),
            _incident(entry, 2, minutes_ago=60 * 24, camera=CAMERAS[1]),
            _incident(entry, 3, minutes_ago=10, status=ReviewStatus.DISMISSED),
            _incident(entry, 4, minutes_ago=5, person_id=""),
        ],
    )
    client = await hass_ws_client(hass)
    result = await _ok(client, "trends", time_zone="Europe/London")
    assert result["time_zone"] == "Europe/London"
    assert sum(cell["count"] for cell in result["heatmap"]) == 4
    assert sum(week["count"] for week in result["weekly"]["store"]) == 4
    assert {week["label"] for week in result["weekly"]["store"]} == {"High Street"}
    assert {week["key"] for week in result["weekly"]["camera"]} == set(CAMERAS)
    (visitor,) = result["repeat_visitors"]
    assert (visitor["person_id"], visitor["visits"], visitor["days"], visitor["cameras"]) == (
        PERSON,
        3,
        3,
        2,
    )
    (watchlist,) = result["outcomes"]["watchlist"]
    assert (watchlist["label"], watchlist["pending"], watchlist["confirmed"]) == ("Theft", 2, 1)
    assert watchlist["dismissed"] == 1
    assert result["review_times"] == {"count": 2, "median_seconds": 180.0, "p90_seconds": 180.0}
    assert [store["total"] for store in result["outcomes"]["store"]] == [4]

    only_till = await _ok(client, "trends", camera=CAMERAS[1])
    assert sum(cell["count"] for cell in only_till["heatmap"]) == 1
    assert only_till["time_zone"] == hass.config.time_zone


async def test_watchlist_list_with_flags_and_links(
    hass: HomeAssistant, rekognition: Rekognition, hass_ws_client: WebSocketGenerator
) -> None:
    """Entries with name, category, reason, dates, flags and a signed reference photo; showing
    names is audited."""
    entry = await _store(hass, rekognition)
    _put_person(entry, expires_in=timedelta(days=10), review_in=timedelta(days=5))
    later = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    _put_person(
        entry,
        later,
        name="Other Name",
        expires_in=timedelta(days=100),
        review_in=-timedelta(days=1),
    )
    await _save_image(hass, entry, SnapshotKind.REFERENCE, PERSON)
    client = await hass_ws_client(hass)
    people = {row["person_id"]: row for row in (await _ok(client, "watchlist/list"))["people"]}
    assert set(people) == {PERSON, later}
    first = people[PERSON]
    assert (first["name"], first["category"], first["reason"]) == (
        NAME,
        "banned",
        "Assaulted staff",
    )
    assert first["watchlist"] == "Theft"
    assert first["store_id"] == entry.entry_id
    assert (first["expires_soon"], first["review_due"]) == (True, False)
    assert first["reference_url"].startswith(f"/api/smartshop/snapshot/reference/{PERSON}?authSig=")
    second = people[later]
    assert (second["expires_soon"], second["review_due"]) == (False, True)
    assert second["reference_url"] is None
    shown = [
        row
        for row in await hass.async_add_executor_job(audit_log(hass).entries)
        if row.action == AuditAction.LIST_PEOPLE
    ]
    assert [row.details for row in shown] == [{"people": 2, "via": "console"}]


async def test_watchlist_update_and_remove_through_the_actions(
    hass: HomeAssistant, rekognition: Rekognition, hass_ws_client: WebSocketGenerator
) -> None:
    """An administrator changes and removes an entry; the actions' own checks apply and their
    answers come back (the removal's erasure receipt)."""
    entry = await _store(hass, rekognition)
    _put_person(entry)
    await _seed(hass, [_incident(entry, 1, minutes_ago=5)])
    client = await hass_ws_client(hass)
    updated = await _ok(
        client, "watchlist/update", person_id=PERSON, category="theft", reason="Took goods"
    )
    assert updated["person"]["category"] == "theft"
    assert updated["person"]["reason"] == "Took goods"
    refused = await _call(client, "watchlist/update", person_id=PERSON, review_date="2001-01-01")
    assert refused["error"]["translation_key"] == "review_in_past"

    rekognition.ok("delete_user", {}, {"CollectionId": COLLECTION, "UserId": PERSON})
    rekognition.ok(
        "delete_faces", {"DeletedFaces": [FACE]}, {"CollectionId": COLLECTION, "FaceIds": [FACE]}
    )
    # A legal claim that names the person is refused by the action, and nothing is erased.
    named = await _call(
        client, "watchlist/remove", person_id=PERSON, keep_evidence_for=f"Case against {NAME}"
    )
    assert named["error"]["translation_key"] == "keep_evidence_for_names_person"
    assert entry.runtime_data.watchlists.store.get(PERSON) is not None
    receipt = await _ok(client, "watchlist/remove", person_id=PERSON, keep_evidence_for="CRN 42")
    assert receipt["person_id"] == PERSON
    assert receipt["faces_deleted"] == [FACE]
    assert receipt["exports_kept"] == []  # no evidence pack was made of this entry
    rekognition.assert_done()
    assert entry.runtime_data.watchlists.store.get(PERSON) is None
    assert await hass.async_add_executor_job(incident_store(hass).count) == 0
    gone = await _call(client, "watchlist/remove", person_id=PERSON)
    assert gone["error"]["translation_key"] == "person_not_found"


def _enrolment(entry: MockConfigEntry, **fields: Any) -> dict[str, Any]:
    """The console's enrolment form, filled in."""
    return {
        "store_id": entry.entry_id,
        "watchlist": "Theft",
        "name": "Till snatcher",
        "reason": "Took the float from till 2",
        "incident_reference": "CRN 01/99999/26",
        "justification": "repeat_offender",
        "attest_adult": True,
        "attest_not_vulnerable": True,
    } | fields


def _files(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


async def test_enrol_from_an_uploaded_photo(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    hass_admin_user: MockUser,
    face_jpeg: bytes,
) -> None:
    """An administrator enrols from an upload through enroll_person (its audit row is
    written); the photo is never written as it came, only the action's encrypted copies."""
    entry = await _store(hass, rekognition)
    config_dir = Path(hass.config.config_dir)
    before = await hass.async_add_executor_job(_files, config_dir)
    expect_enrolment(rekognition)
    client = await hass_ws_client(hass)
    result = await _ok(
        client,
        "watchlist/enroll",
        **_enrolment(entry, image=base64.b64encode(face_jpeg).decode(), category="banned"),
    )
    rekognition.assert_done()
    assert result["face_ids"] == [FACE_ID]
    assert result["watchlist"] == "Theft"
    person = entry.runtime_data.watchlists.store.get(result["person_id"])
    assert person is not None
    assert (person.display_name, person.category) == ("Till snatcher", Category.BANNED)
    assert person.added_by == hass_admin_user.name
    listed = await _ok(client, "watchlist/list")
    assert [p["name"] for p in listed["people"]] == ["Till snatcher"]
    enrolled = [
        row
        for row in await hass.async_add_executor_job(audit_log(hass).entries)
        if row.action == AuditAction.ENROL
    ]
    assert [row.subject for row in enrolled] == [person.person_id]
    assert enrolled[0].actor == f"{hass_admin_user.name} ({hass_admin_user.id})"

    after = await hass.async_add_executor_job(_files, config_dir)
    snapshots = entry.runtime_data.snapshots.root
    new = {path for path in after if path not in before}
    assert {
        path.relative_to(snapshots).as_posix() for path in new if snapshots in path.parents
    } == {
        f"reference/{person.person_id}.jpg.enc",
        f"photo/{FACE_ID}.jpg.enc",
    }
    assert not [path for path, content in after.items() if face_jpeg in content]


async def test_enrol_from_a_camera_snapshot(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    still_camera: StillCamera,
) -> None:
    """The photo may come from one of the store's cameras instead."""
    entry = await _store(hass, rekognition)
    expect_enrolment(rekognition)
    client = await hass_ws_client(hass)
    result = await _ok(
        client, "watchlist/enroll", **_enrolment(entry, camera_entity_id="camera.front_door")
    )
    rekognition.assert_done()
    assert entry.runtime_data.watchlists.store.get(result["person_id"]) is not None


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"attest_not_vulnerable": False}, "attestation_required"),
        ({"attest_adult": None}, "attestation_required"),
        ({"justification": None}, "justification_required"),
    ],
    ids=["not_vulnerable_unconfirmed", "adult_missing", "justification_missing"],
)
async def test_enrol_refused_without_the_safeguards(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    face_jpeg: bytes,
    fields: dict[str, Any],
    key: str,
) -> None:
    """The action's own refusal, with its message, before the photo goes anywhere."""
    entry = await _store(hass, rekognition)
    form = {name: value for name, value in _enrolment(entry, **fields).items() if value is not None}
    client = await hass_ws_client(hass)
    answer = await _call(
        client, "watchlist/enroll", **form, image=base64.b64encode(face_jpeg).decode()
    )
    assert answer["success"] is False
    assert answer["error"]["translation_key"] == key
    assert "attest" in answer["error"]["message"] or "justification" in answer["error"]["message"]
    rekognition.assert_done()
    assert list(entry.runtime_data.watchlists.store.people()) == []


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (base64.b64encode(b"\xff\xd8\xff" + bytes(MAX_UPLOAD_BYTES)).decode(), "larger than"),
        (base64.b64encode(b"GIF89a not a jpeg").decode(), "JPEG or PNG"),
        ("not base64!", "not valid base64"),
    ],
    ids=["too_large", "not_an_image", "not_base64"],
)
async def test_enrol_refuses_a_bad_upload(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    image: str,
    message: str,
) -> None:
    """An upload over the limit (checked before decoding), or not a photo, is refused."""
    entry = await _store(hass, rekognition)
    client = await hass_ws_client(hass)
    answer = await _call(client, "watchlist/enroll", **_enrolment(entry, image=image))
    assert answer["success"] is False
    assert answer["error"]["code"] == ERR_INVALID_FORMAT
    assert message in answer["error"]["message"]
    rekognition.assert_done()
    assert list(entry.runtime_data.watchlists.store.people()) == []


async def test_enrol_needs_a_photo(
    hass: HomeAssistant, rekognition: Rekognition, hass_ws_client: WebSocketGenerator
) -> None:
    entry = await _store(hass, rekognition)
    client = await hass_ws_client(hass)
    answer = await _call(client, "watchlist/enroll", **_enrolment(entry))
    assert answer["error"]["message"] == "Choose a camera or upload a photo"


async def test_staff_cannot_enrol(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    face_jpeg: bytes,
) -> None:
    """Not even where staff may use the console: enrolment is for administrators."""
    entry = await _store(hass, rekognition, staff=True)
    client = await _staff_client(hass, hass_ws_client)
    answer = await _call(
        client,
        "watchlist/enroll",
        **_enrolment(entry, image=base64.b64encode(face_jpeg).decode()),
    )
    assert answer["error"]["code"] == ERR_UNAUTHORIZED
    rekognition.assert_done()
    assert list(entry.runtime_data.watchlists.store.people()) == []


TODAY = dt_util.now().date().isoformat()
ADMIN_ONLY_EXPORTS: list[tuple[str, dict[str, Any]]] = [
    ("reports/generate", {"start": TODAY, "end": TODAY}),
    ("incidents/evidence_pack", {"incident_id": "00000000-0000-4000-8000-000000000001"}),
    ("watchlist/export", {"person_id": PERSON}),
    ("exports/list", {}),
]
ALL_COMMANDS: list[tuple[str, dict[str, Any]]] = [
    ("stores", {}),
    ("incidents/list", {}),
    ("incidents/get", {"incident_id": "00000000-0000-4000-8000-000000000001"}),
    (
        "incidents/review",
        {"incident_id": "00000000-0000-4000-8000-000000000001", "decision": "confirm"},
    ),
    ("trends", {}),
    ("watchlist/list", {}),
    ("watchlist/update", {"person_id": PERSON, "reason": "x"}),
    ("watchlist/remove", {"person_id": PERSON}),
    ("subscribe_matches", {}),
    *ADMIN_ONLY_EXPORTS,
]


@pytest.mark.parametrize(("command", "fields"), ALL_COMMANDS, ids=[c for c, _ in ALL_COMMANDS])
async def test_staff_refused_without_the_option(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    command: str,
    fields: dict[str, Any],
) -> None:
    """Without a store that opens the console to staff, a user who is not an administrator
    gets nothing, and nothing changes."""
    entry = await _store(hass, rekognition)
    _put_person(entry)
    await _seed(hass, [_incident(entry, 1, minutes_ago=5)])
    client = await _staff_client(hass, hass_ws_client)
    answer = await _call(client, command, **fields)
    assert answer["success"] is False
    assert answer["error"]["code"] == ERR_UNAUTHORIZED
    incident = await hass.async_add_executor_job(
        incident_store(hass).get, "00000000-0000-4000-8000-000000000001"
    )
    assert incident.review_status is ReviewStatus.PENDING
    assert entry.runtime_data.watchlists.store.get(PERSON).reason == "Assaulted staff"


async def test_staff_with_the_option_look_and_review_only(
    hass: HomeAssistant, rekognition: Rekognition, hass_ws_client: WebSocketGenerator
) -> None:
    """With console_for_staff on, staff see the store, its incidents, trends and entries and
    review in their own name; changing or removing an entry stays refused."""
    entry = await _store(hass, rekognition, staff=True)
    _put_person(entry)
    incident = _incident(entry, 1, minutes_ago=5)
    await _seed(hass, [incident])
    client = await _staff_client(hass, hass_ws_client, "Kim Staff")
    stores = await _ok(client, "stores")
    assert (stores["is_admin"], stores["can_edit_watchlists"]) == (False, False)
    assert [store["console_for_staff"] for store in stores["stores"]] == [True]
    assert len((await _ok(client, "incidents/list"))["incidents"]) == 1
    assert (await _ok(client, "incidents/get", incident_id=incident.incident_id))["person"][
        "name"
    ] == NAME
    assert (await _ok(client, "trends"))["outcomes"]["store"][0]["total"] == 1
    assert [p["person_id"] for p in (await _ok(client, "watchlist/list"))["people"]] == [PERSON]
    reviewed = await _ok(
        client, "incidents/review", incident_id=incident.incident_id, decision="confirm"
    )
    assert reviewed["incident"]["reviewed_by"] == "Kim Staff"
    for command, fields in (
        ("watchlist/update", {"person_id": PERSON, "reason": "changed"}),
        ("watchlist/remove", {"person_id": PERSON}),
    ):
        answer = await _call(client, command, **fields)
        assert answer["error"]["code"] == ERR_UNAUTHORIZED
    assert entry.runtime_data.watchlists.store.get(PERSON).reason == "Assaulted staff"


async def test_live_matches_through_the_sighting_path(
    hass: HomeAssistant,
    rekognition: Rekognition,
    still_camera: StillCamera,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A real match (camera scan, search, incident, crop) reaches the subscription with links
    signed for this connection and no name; after unsubscribing nothing more arrives."""
    entry = await _store(hass, rekognition)
    _put_person(entry, user_created=False)  # searched by face, as the stub answers
    await _save_image(hass, entry, SnapshotKind.REFERENCE, PERSON)
    client = await hass_ws_client(hass)
    bus_events = async_capture_events(hass, EVENT_MATCH)
    listeners = hass.bus.async_listeners()[EVENT_MATCH]
    await client.send_json_auto_id({"type": "smartshop/subscribe_matches"})
    subscribed = await client.receive_json()
    assert subscribed["success"]
    subscription_id = subscribed["id"]
    assert hass.bus.async_listeners()[EVENT_MATCH] == listeners + 1

    rekognition.detect(ONE_FACE)
    rekognition.search([(PERSON, 99.0)])
    await _scan(hass)
    rekognition.assert_done()
    (fired,) = bus_events

    forwarded = await client.receive_json()
    assert forwarded["type"] == "event"
    assert forwarded["id"] == subscription_id
    data = forwarded["event"]
    assert data["incident_id"] == fired.data["incident_id"]
    assert data["person_id"] == PERSON
    assert data["snapshot_url"].startswith(
        f"/api/smartshop/snapshot/incident/{fired.data['incident_id']}?authSig="
    )
    assert data["snapshot_url"] != fired.data["snapshot_url"]  # signed for this user
    assert data["reference_url"].startswith(f"/api/smartshop/snapshot/reference/{PERSON}?authSig=")
    assert NAME not in str(forwarded)

    # Another store's match is not forwarded; after unsubscribing, nothing is.
    hass.bus.async_fire(EVENT_MATCH, dict(fired.data) | {"config_entry_id": OTHER_STORE})
    await client.send_json_auto_id({"type": "unsubscribe_events", "subscription": subscription_id})
    assert (await client.receive_json())["success"]
    assert hass.bus.async_listeners().get(EVENT_MATCH, 0) == listeners
    hass.bus.async_fire(EVENT_MATCH, dict(fired.data))
    await client.send_json_auto_id({"type": "ping"})
    assert (await client.receive_json())["type"] == "pong"


async def test_subscription_ends_with_the_connection(
    hass: HomeAssistant, rekognition: Rekognition, hass_ws_client: WebSocketGenerator
) -> None:
    """Closing the WebSocket removes the subscription's bus listener."""
    await _store(hass, rekognition)
    listeners = hass.bus.async_listeners().get(EVENT_MATCH, 0)
    client = await hass_ws_client(hass)
    await _ok(client, "subscribe_matches")
    assert hass.bus.async_listeners()[EVENT_MATCH] == listeners + 1
    await client.close()
    await hass.async_block_till_done()
    assert hass.bus.async_listeners().get(EVENT_MATCH, 0) == listeners


async def test_staff_subscription_follows_the_option(
    hass: HomeAssistant, rekognition: Rekognition, hass_ws_client: WebSocketGenerator
) -> None:
    """Staff receive matches while their store keeps the option; once it is off, no more."""
    entry = await _store(hass, rekognition, staff=True)
    client = await _staff_client(hass, hass_ws_client)
    await _ok(client, "subscribe_matches")
    match = {
        "incident_id": "00000000-0000-4000-8000-000000000007",
        "person_id": PERSON,
        "config_entry_id": entry.entry_id,
        "snapshot_url": None,
        "reference_url": None,
    }
    hass.bus.async_fire(EVENT_MATCH, match)
    forwarded = await client.receive_json()
    assert forwarded["event"]["incident_id"] == match["incident_id"]
    assert forwarded["event"]["snapshot_url"] is None

    # Changing the options reloads the store (the set-up calls again).
    rekognition.credentials_ok()
    rekognition.collection_exists()
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_CONSOLE_FOR_STAFF: False}
    )
    await hass.async_block_till_done()
    rekognition.assert_done()
    hass.bus.async_fire(EVENT_MATCH, match)
    await client.send_json_auto_id({"type": "ping"})
    assert (await client.receive_json())["type"] == "pong"


# --- reports, evidence packs, subject-access exports --------------------------------------------


async def _download(client_factory: ClientSessionGenerator, url: str) -> bytes:
    """The file behind a signed link, fetched with no sign-in."""
    response = await (await client_factory()).get(url)
    assert response.status == 200, url
    return await response.read()


def _today() -> str:
    return dt_util.now().date().isoformat()


async def test_report_from_the_console_with_signed_links(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """An administrator makes a period report through the action (audited) and downloads its
    PDF and CSV through links signed for the connection; the exports list shows both."""
    entry = await _store(hass, rekognition)
    await _seed(
        hass,
        [
            _incident(entry, 1, minutes_ago=1, status=ReviewStatus.CONFIRMED),
            _incident(entry, 2, minutes_ago=1),
        ],
    )
    client = await hass_ws_client(hass)
    today = _today()
    result = await _ok(client, "reports/generate", start=today, end=today, store_id=entry.entry_id)
    assert (result["start"], result["end"], result["incidents"]) == (today, today, 2)
    assert (result["confirmed"], result["pending"]) == (1, 1)
    assert result["pdf_url"].startswith(f"/api/smartshop/exports/{result['pdf']}?authSig=")
    assert (await _download(hass_client_no_auth, result["pdf_url"])).startswith(b"%PDF")
    csv = (await _download(hass_client_no_auth, result["csv_url"])).decode()
    assert "00000000-0000-4000-8000-000000000001" in csv
    assert NAME not in csv
    exports = [
        row
        for row in await hass.async_add_executor_job(audit_log(hass).entries)
        if row.action == AuditAction.EXPORT
    ]
    assert [row.details["kind"] for row in exports] == ["report"]

    files = (await _ok(client, "exports/list"))["files"]
    assert {file["name"] for file in files} == {result["pdf"], result["csv"]}
    assert {file["kind"] for file in files} == {"report"}
    for file in files:
        assert file["size"] > 0
        assert file["url"].startswith(f"/api/smartshop/exports/{file['name']}?authSig=")
        assert dt_util.parse_datetime(file["modified"]) is not None

    reversed_period = await _call(client, "reports/generate", start=today, end="2001-01-01")
    assert reversed_period["success"] is False
    assert reversed_period["error"]["translation_key"] == "report_period_reversed"
    unknown = await _call(client, "reports/generate", start=today, end=today, store_id="nope")
    assert unknown["error"]["code"] == ERR_UNAUTHORIZED


async def test_exports_list_newest_first_by_kind(
    hass: HomeAssistant, rekognition: Rekognition, hass_ws_client: WebSocketGenerator
) -> None:
    """Every file of the exports folder, newest first, its kind told by its name; temporary
    files are left out."""
    await _store(hass, rekognition)
    client = await hass_ws_client(hass)
    assert (await _ok(client, "exports/list"))["files"] == []
    folder = Path(hass.config.path("smartshop", "exports"))

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for age, name in enumerate(
            (
                "subject-access-0f7c1d2e-20261201T000000Z.zip",
                "evidence-00000000-20261130T000000Z.pdf",
                "audit-log-20261129T000000Z.csv",
                "report-20261128T000000Z.pdf",
                ".report-20261202T000000Z.pdf.tmp",
            )
        ):
            path = folder / name
            path.write_bytes(b"x" * (age + 1))
            os.utime(path, (1_800_000_000 - age * 60, 1_800_000_000 - age * 60))

    await hass.async_add_executor_job(write)
    files = (await _ok(client, "exports/list"))["files"]
    assert [(file["kind"], file["size"]) for file in files] == [
        ("subject_access", 1),
        ("evidence_pack", 2),
        ("audit_log", 3),
        ("report", 4),
    ]


async def test_evidence_pack_from_the_console(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A confirmed incident's evidence pack, made through the action and downloaded through the
    signed link; a pending incident has none (the action's own check)."""
    entry = await _store(hass, rekognition)
    confirmed = _incident(entry, 1, minutes_ago=5, status=ReviewStatus.CONFIRMED)
    pending = _incident(entry, 2, minutes_ago=4)
    await _seed(hass, [confirmed, pending])
    await _save_image(hass, entry, SnapshotKind.INCIDENT, confirmed.incident_id)
    client = await hass_ws_client(hass)
    pack = await _ok(client, "incidents/evidence_pack", incident_id=confirmed.incident_id)
    assert pack["file"].startswith("evidence-00000000-")
    assert pack["url"].startswith(f"/api/smartshop/exports/{pack['file']}?authSig=")
    assert (await _download(hass_client_no_auth, pack["url"])).startswith(b"%PDF")

    refused = await _call(client, "incidents/evidence_pack", incident_id=pending.incident_id)
    assert refused["success"] is False
    assert refused["error"]["translation_key"] == "evidence_needs_confirmation"
    assert refused["error"]["message"]
    missing = await _call(
        client, "incidents/evidence_pack", incident_id="00000000-0000-4000-8000-000000000099"
    )
    assert missing["error"]["translation_key"] == "incident_not_found"


async def test_subject_access_export_from_the_console(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """An entry's subject-access archive, through the action (audited), downloaded through
    the signed link."""
    entry = await _store(hass, rekognition)
    _put_person(entry)
    await _seed(hass, [_incident(entry, 1, minutes_ago=5)])
    client = await hass_ws_client(hass)
    result = await _ok(client, "watchlist/export", person_id=PERSON)
    assert result["person_id"] == PERSON
    assert result["file"].startswith("subject-access-0f7c1d2e-")
    archive = zipfile.ZipFile(io.BytesIO(await _download(hass_client_no_auth, result["url"])))
    assert archive.namelist()
    exports = [
        row
        for row in await hass.async_add_executor_job(audit_log(hass).entries)
        if row.action == AuditAction.EXPORT
    ]
    assert [row.subject for row in exports] == [PERSON]
    gone = await _call(client, "watchlist/export", person_id="00000000-0000-4000-8000-00000000dead")
    assert gone["error"]["translation_key"] == "person_not_found"


@pytest.mark.parametrize(
    ("command", "fields"), ADMIN_ONLY_EXPORTS, ids=[c for c, _ in ADMIN_ONLY_EXPORTS]
)
async def test_staff_with_the_option_cannot_export(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_ws_client: WebSocketGenerator,
    command: str,
    fields: dict[str, Any],
) -> None:
    """Reports, evidence packs, subject-access archives and the exports folder are for
    administrators only, even where staff may use the console; nothing is written."""
    entry = await _store(hass, rekognition, staff=True)
    _put_person(entry)
    await _seed(hass, [_incident(entry, 1, minutes_ago=5, status=ReviewStatus.CONFIRMED)])
    client = await _staff_client(hass, hass_ws_client)
    answer = await _call(client, command, **fields)
    assert answer["success"] is False
    assert answer["error"]["code"] == ERR_UNAUTHORIZED
    folder = Path(hass.config.path("smartshop", "exports"))
    assert not await hass.async_add_executor_job(folder.exists)
