"""The permission table, walked: every registered action, console command and HTTP view is used
as each role (administrator, staff of the store, any other user, an automation) and the answer
is compared with the table in ``permissions.py``. A new action, command or view without a row
fails here.

"Refused" means Home Assistant's ``Unauthorized`` (actions, commands) or 401/403 (views); any
other answer — a result, or a refusal of the data (no such person, path not allowed) — means the
caller got past the rights check.
"""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from homeassistant.auth.models import User
from homeassistant.components.http.auth import async_sign_path
from homeassistant.components.websocket_api import ERR_UNAUTHORIZED
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.util import dt as dt_util
import probatio
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.smartshop.const import (
    CONF_CONSOLE_FOR_STAFF,
    DOMAIN,
    EVENT_CONFIRMED,
    EVENT_MATCH,
)
from custom_components.smartshop.database import audit_log, incident_store
from custom_components.smartshop.exports import ExportView, exports_dir, write_export
from custom_components.smartshop.incidents import Incident, ReviewStatus
from custom_components.smartshop.permissions import ACTIONS, COMMANDS, VIEWS, Role
from custom_components.smartshop.snapshots import SnapshotKind
from custom_components.smartshop.views import SnapshotView

from .conftest import Rekognition, setup_store, store_entry
from .helpers import as_admin
from .test_rights import OTHER_COLLECTION, _second_store

INCIDENT = "00000000-0000-4000-8000-000000000001"
PERSON = "0f7c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5"
JPEG = b"\xff\xd8\xff\xe0 a stored crop \xff\xd9"
ATTESTED = {"justification": "repeat_offender", "attest_adult": True, "attest_not_vulnerable": True}


def _action_data(store_id: str) -> dict[str, dict[str, Any]]:
    """Data each action's schema accepts, about the store under test (the handlers then refuse
    or do what it names: nobody by these ids exists, so nothing is changed)."""
    entry = {"config_entry_id": store_id}
    person = entry | {"person_id": PERSON}
    return {
        "enroll_person": entry
        | ATTESTED
        | {
            "watchlist": "Theft",
            "name": "A Person",
            "reason": "Theft of stock",
            "incident_reference": "INC-1",
            "image_path": "/not/allowed/photo.jpg",
        },
        "enroll_from_footage": entry
        | ATTESTED
        | {
            "watchlist": "Theft",
            "name": "A Person",
            "reason": "Theft of stock",
            "incident_reference": "INC-1",
            "camera_entity_id": "camera.front_door",
            "timestamp": dt_util.utcnow().timestamp(),
        },
        "update_person": person | {"reason": "Changed"},
        "approve_person": person,
        "remove_person": person,
        "add_photo": person | {"image_path": "/not/allowed/photo.jpg"},
        "remove_photo": person | {"face_id": "face"},
        "reembed_watchlist": entry | {"watchlist": "No such list"},
        "list_footage": {"camera_entity_id": "camera.front_door"},
        "list_people": entry,
        "find_person_by_face": {"image_path": "/not/allowed/photo.jpg"},
        "review_match": entry
        | {"incident_id": INCIDENT, "decision": "confirm", "reason": "Seen on CCTV"}
        | {"reviewer": "Phone user"},
        "rotate_bridge_credentials": entry,
        "rotate_snapshot_key": {},
        "verify_audit_log": {},
        "export_audit_log": {},
        "export_person_data": person,
        "create_evidence_pack": {"incident_id": "no-such-incident"},
        "generate_report": {"start": "2026-01-01", "end": "2026-01-07"},
    }


def _command_data(store_id: str) -> dict[str, dict[str, Any]]:
    return {
        "smartshop/stores": {},
        "smartshop/incidents/list": {"store_ids": [store_id]},
        "smartshop/incidents/get": {"incident_id": INCIDENT},
        "smartshop/incidents/review": {"incident_id": "no-such-incident", "decision": "confirm"},
        "smartshop/trends": {"store_ids": [store_id]},
        "smartshop/watchlist/list": {"store_ids": [store_id]},
        "smartshop/subscribe_matches": {},
        "smartshop/watchlist/update": {"person_id": PERSON, "reason": "x"},
        "smartshop/watchlist/enroll": {
            "store_id": store_id,
            "watchlist": "Theft",
            "name": "A Person",
            "reason": "Theft",
            "incident_reference": "INC-1",
        },
        "smartshop/watchlist/remove": {"person_id": PERSON},
        "smartshop/watchlist/export": {"person_id": PERSON},
        "smartshop/incidents/evidence_pack": {"incident_id": "no-such-incident"},
        "smartshop/reports/generate": {"start": "2026-01-01", "end": "2026-01-07"},
        "smartshop/exports/list": {},
    }


async def _user(hass: HomeAssistant, role: Role, admin: User) -> User | None:
    if role is Role.AUTOMATION:
        return None
    if role is Role.ADMINISTRATOR:
        return admin
    user = await hass.auth.async_create_user(f"Kim ({role})", group_ids=["system-users"])
    assert not user.is_admin
    return user


async def _store_for(hass: HomeAssistant, rekognition: Rekognition, role: Role) -> MockConfigEntry:
    """A store whose console is open to staff, unless the role is "any other user"."""
    entry = store_entry(options={CONF_CONSOLE_FOR_STAFF: role is not Role.OTHER_USER})
    await setup_store(hass, rekognition, entry)
    await hass.async_add_executor_job(
        incident_store(hass).add,
        Incident(
            incident_id=INCIDENT,
            dedup_key="seed",
            occurred_at=dt_util.utcnow() - timedelta(minutes=5),
            store_id=entry.entry_id,
            store_name=entry.title,
            camera="camera.front_door",
            location="Front door",
            watchlist_id=next(iter(entry.subentries)),
            watchlist="Theft",
            category="theft",
            person_id=PERSON,
            similarity=97.5,
            review_status=ReviewStatus.PENDING,
        ),
    )
    await hass.async_add_executor_job(
        entry.runtime_data.snapshots.save, SnapshotKind.INCIDENT, INCIDENT, JPEG
    )
    return entry


def test_every_registered_action_has_a_row(hass: HomeAssistant) -> None:
    """The table and the services.yaml file name the same actions."""
    services = Path(__file__).parents[2] / "custom_components" / DOMAIN / "services.yaml"
    documented = {
        line.split(":")[0] for line in services.read_text().splitlines() if line[:1].isalpha()
    }
    assert set(ACTIONS) == documented


@pytest.mark.parametrize("role", list(Role))
async def test_actions_follow_the_table(
    hass: HomeAssistant, rekognition: Rekognition, hass_admin_user: User, role: Role
) -> None:
    """Every registered action, called as the role for its store: refused exactly where the
    table says so."""
    entry = await _store_for(hass, rekognition, role)
    user = await _user(hass, role, hass_admin_user)
    registered = set(hass.services.async_services_for_domain(DOMAIN))
    assert registered == set(ACTIONS), "an action without a row in permissions.ACTIONS"
    data = _action_data(entry.entry_id)
    assert set(data) == registered, "an action without test data here"
    outcome: dict[str, bool] = {}
    for action in sorted(registered):
        try:
            await hass.services.async_call(
                DOMAIN,
                action,
                data[action],
                blocking=True,
                context=Context(user_id=user.id if user else None),
                return_response=action in RESPONSE_ONLY,
            )
        except Unauthorized:
            outcome[action] = False
        except (HomeAssistantError, probatio.Invalid) as err:
            assert not isinstance(err, probatio.Invalid), (action, err)
            outcome[action] = True
        else:
            outcome[action] = True
    expected = {action: role in ACTIONS[action].allowed for action in registered}
    assert outcome == expected


RESPONSE_ONLY = {"list_people", "find_person_by_face", "verify_audit_log", "list_footage"}


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.STAFF, Role.OTHER_USER])
async def test_console_commands_follow_the_table(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_admin_user: User,
    hass_ws_client: WebSocketGenerator,
    role: Role,
) -> None:
    """Every registered console command, sent as the role: refused exactly where the table
    says so (a connection always has a user: automations do not apply)."""
    entry = await _store_for(hass, rekognition, role)
    user = await _user(hass, role, hass_admin_user)
    assert user is not None
    token = await hass.auth.async_create_refresh_token(user, "https://console.test/")
    client = await hass_ws_client(hass, hass.auth.async_create_access_token(token))
    handlers = hass.data["websocket_api"]
    registered = {command for command in handlers if command.startswith(f"{DOMAIN}/")}
    assert registered == set(COMMANDS), "a command without a row in permissions.COMMANDS"
    data = _command_data(entry.entry_id)
    outcome: dict[str, bool] = {}
    for command in sorted(registered):
        await client.send_json_auto_id({"type": command, **data[command]})
        answer = await client.receive_json()
        outcome[command] = answer["success"] or answer["error"]["code"] != ERR_UNAUTHORIZED
    expected = {command: role in COMMANDS[command].allowed for command in registered}
    assert outcome == expected


def _views(hass: HomeAssistant) -> set[str]:
    return {
        resource.canonical
        for resource in hass.http.app.router.resources()
        if resource.canonical.startswith(f"/api/{DOMAIN}/")
    }


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.STAFF, Role.OTHER_USER])
async def test_views_follow_the_table(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_admin_user: User,
    hass_client: ClientSessionGenerator,
    role: Role,
) -> None:
    """The image and export views, with the role's own token: refused exactly where the
    table says so."""
    entry = await _store_for(hass, rekognition, role)
    user = await _user(hass, role, hass_admin_user)
    assert user is not None
    assert _views(hass) == {SnapshotView.url, ExportView.url}
    assert {SnapshotView.name, ExportView.name} == set(VIEWS)
    await hass.async_add_executor_job(
        write_export, exports_dir(hass), "subject-access-x.zip", b"PK archive"
    )
    token = await hass.auth.async_create_refresh_token(user, "https://console.test/")
    client = await hass_client(hass.auth.async_create_access_token(token))
    paths = {
        SnapshotView.name: f"/api/{DOMAIN}/snapshot/incident/{INCIDENT}",
        ExportView.name: f"/api/{DOMAIN}/exports/subject-access-x.zip",
    }
    outcome = {}
    for name, path in paths.items():
        response = await client.get(path)
        assert response.status in (HTTPStatus.OK, HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN)
        outcome[name] = response.status == HTTPStatus.OK
    assert outcome == {name: role in VIEWS[name].allowed for name in paths}
    assert entry.entry_id


async def test_signed_links_count_only_by_their_signature(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_admin_user: User,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A made-up ``authSig`` beside a token opens nothing only a signature may open; a valid
    signature opens only its own path, as whom it was signed for; the integration's alert
    links open their image without a sign-in."""
    entry = await _store_for(hass, rekognition, Role.OTHER_USER)
    folder = exports_dir(hass)
    for name in ("report-2026.pdf", "subject-access-x.zip", "evidence-x.zip"):
        await hass.async_add_executor_job(write_export, folder, name, b"%PDF-1.4 data")
    kim = await _user(hass, Role.OTHER_USER, hass_admin_user)
    assert kim is not None
    kim_token = await hass.auth.async_create_refresh_token(kim, "https://console.test/")
    kim_client = await hass_client(hass.auth.async_create_access_token(kim_token))
    anonymous = await hass_client_no_auth()

    # A token and junk: nothing more than the token opens.
    for name in ("report-2026.pdf", "subject-access-x.zip"):
        response = await kim_client.get(f"/api/{DOMAIN}/exports/{name}?authSig=junk")
        assert response.status == HTTPStatus.UNAUTHORIZED, name
    response = await kim_client.get(f"/api/{DOMAIN}/snapshot/incident/{INCIDENT}?authSig=junk")
    assert response.status == HTTPStatus.FORBIDDEN

    archive = f"/api/{DOMAIN}/exports/subject-access-x.zip"
    image = f"/api/{DOMAIN}/snapshot/incident/{INCIDENT}"

    def signed(path: str, token_id: str | None = None) -> str:
        """A link signed for a user's sign-in, or (no token) by the integration itself."""
        return async_sign_path(
            hass,
            path,
            timedelta(minutes=5),
            refresh_token_id=token_id,
            use_content_user=token_id is None,
        )

    # A link signed for the user themselves opens no more than they may see.
    assert (await anonymous.get(signed(archive, kim_token.id))).status == HTTPStatus.UNAUTHORIZED
    assert (await anonymous.get(signed(image, kim_token.id))).status == HTTPStatus.FORBIDDEN

    # A period report's own signed link opens that report, for anyone holding it...
    report = signed(f"/api/{DOMAIN}/exports/report-2026.pdf")
    assert (await anonymous.get(report)).status == HTTPStatus.OK
    # ...and not another file under the same signature.
    other = report.replace("report-2026.pdf", "subject-access-x.zip")
    assert (await anonymous.get(other)).status == HTTPStatus.UNAUTHORIZED

    # An administrator's console link opens the archive (the link acts as the administrator).
    admin_token = await hass.auth.async_create_refresh_token(
        hass_admin_user, "https://console.test/"
    )
    assert (await anonymous.get(signed(archive, admin_token.id))).status == HTTPStatus.OK

    # The integration's own alert link (Home Assistant's content user) opens that image.
    alert = signed(image)
    response = await anonymous.get(alert)
    assert response.status == HTTPStatus.OK
    assert await response.read() == JPEG
    assert entry.entry_id


async def test_symbolic_links_in_the_exports_folder_are_refused(
    hass: HomeAssistant,
    rekognition: Rekognition,
    hass_client: ClientSessionGenerator,
    tmp_path: Path,
) -> None:
    """A link planted in the exports folder, to a file outside it, is not served."""
    await _store_for(hass, rekognition, Role.ADMINISTRATOR)
    outside = tmp_path / "outside-secret.txt"
    outside.write_text("not for download")
    folder = exports_dir(hass)
    await hass.async_add_executor_job(write_export, folder, "report-real.pdf", b"%PDF")
    (folder / "report-link.pdf").symlink_to(outside)
    client = await hass_client()
    assert (await client.get(f"/api/{DOMAIN}/exports/report-real.pdf")).status == HTTPStatus.OK
    response = await client.get(f"/api/{DOMAIN}/exports/report-link.pdf")
    assert response.status == HTTPStatus.NOT_FOUND


async def test_staff_reach_only_their_own_store(
    hass: HomeAssistant, rekognition: Rekognition, tmp_path: Path, face_jpeg: bytes
) -> None:
    """Staff of the store whose console is open to them list, review and search there; the
    store next door (console closed) refuses them and is not searched for them."""
    closed = await _store_for(hass, rekognition, Role.OTHER_USER)  # holds INCIDENT
    opened = _second_store(
        SimpleNamespace(data=closed.data, options={**closed.options, CONF_CONSOLE_FOR_STAFF: True})
    )
    await setup_store(hass, rekognition, opened)
    assert opened.options[CONF_CONSOLE_FOR_STAFF] is True
    kim = MockUser(name="Kim").add_to_hass(hass)  # not the first user, so not the owner
    assert not kim.is_admin
    as_kim = Context(user_id=kim.id)

    listed = await hass.services.async_call(
        DOMAIN,
        "list_people",
        {"config_entry_id": opened.entry_id},
        blocking=True,
        context=as_kim,
        return_response=True,
    )
    assert listed == {"people": []}
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "list_people",
            {"config_entry_id": closed.entry_id},
            blocking=True,
            context=as_kim,
            return_response=True,
        )
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "review_match",
            {"incident_id": INCIDENT, "decision": "confirm", "reason": "Seen"},
            blocking=True,
            context=as_kim,
        )
    incident = await hass.async_add_executor_job(closed.runtime_data.incidents.get, INCIDENT)
    assert incident.review_status is ReviewStatus.PENDING

    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "photo.jpg").write_bytes(face_jpeg)
    hass.config.allowlist_external_dirs = {str(folder)}
    rekognition.search([], collection_id=OTHER_COLLECTION)  # only the open store's list
    found = await hass.services.async_call(
        DOMAIN,
        "find_person_by_face",
        {"image_path": str(folder / "photo.jpg")},
        blocking=True,
        context=as_kim,
        return_response=True,
    )
    rekognition.assert_done()
    assert found["stores_searched"] == ["Market Square"]


async def test_a_reviewer_cannot_be_forged(
    hass: HomeAssistant, rekognition: Rekognition, hass_admin_user: User
) -> None:
    """A signed-in user reviews as themselves (another name is refused); an automation's name
    is recorded as named by it, alike in the incident, the event and the audit row."""
    entry = await _store_for(hass, rekognition, Role.STAFF)
    kim = await hass.auth.async_create_user("Kim", group_ids=["system-users"])
    review = {"incident_id": INCIDENT, "decision": "confirm", "reason": "Seen on CCTV"}
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "review_match",
            review | {"reviewer": "Somebody Else"},
            blocking=True,
            context=Context(user_id=kim.id),
        )
    assert err.value.translation_key == "name_from_login"
    confirmed = async_capture_events(hass, EVENT_CONFIRMED)
    answer = await hass.services.async_call(
        DOMAIN,
        "review_match",
        review | {"reviewer": "Sam"},
        blocking=True,
        context=Context(parent_id="01JAUTOMATIONRUN0000000000"),  # an automation's run
        return_response=True,
    )
    recorded = "Sam (named by an automation)"
    assert answer["incident"]["reviewed_by"] == recorded
    assert confirmed[0].data["reviewer"] == recorded
    rows = await hass.async_add_executor_job(audit_log(hass).entries)
    (row,) = [row for row in rows if row.action == "review"]
    assert (row.actor, row.details["reviewer"]) == ("automation", recorded)
    assert entry.entry_id


@pytest.mark.parametrize(
    ("field", "length"),
    [("name", 1_000_000), ("reason", 8 * 1024 * 1024), ("incident_reference", 201)],
)
async def test_long_text_is_refused_before_anything_is_stored(
    hass: HomeAssistant, rekognition: Rekognition, field: str, length: int
) -> None:
    """A megabyte name or an 8 MB reason is refused by the action's schema with the limit."""
    entry = await _store_for(hass, rekognition, Role.ADMINISTRATOR)
    data = _action_data(entry.entry_id)["enroll_person"] | {field: "x" * length}
    with pytest.raises(probatio.Invalid, match="at most"):
        await hass.services.async_call(
            DOMAIN, "enroll_person", data, blocking=True, context=await as_admin(hass)
        )
    assert list(entry.runtime_data.watchlists.store.people()) == []


async def test_live_matches_stop_for_a_demoted_administrator(
    hass: HomeAssistant, rekognition: Rekognition, hass_ws_client: WebSocketGenerator
) -> None:
    """Rights are checked per match: an administrator made an ordinary user (the store's
    console closed to staff) receives no more matches on the subscription already open."""
    entry = await _store_for(hass, rekognition, Role.OTHER_USER)
    alex = await hass.auth.async_create_user("Alex", group_ids=["system-admin"])
    token = await hass.auth.async_create_refresh_token(alex, "https://console.test/")
    client = await hass_ws_client(hass, hass.auth.async_create_access_token(token))
    await client.send_json_auto_id({"type": "smartshop/subscribe_matches"})
    subscribed = await client.receive_json()
    assert subscribed["success"]
    match = {"config_entry_id": entry.entry_id, "incident_id": INCIDENT, "person_id": PERSON}
    hass.bus.async_fire(EVENT_MATCH, match)
    forwarded = await client.receive_json()
    assert forwarded["event"]["incident_id"] == INCIDENT

    await hass.auth.async_update_user(alex, group_ids=["system-users"])
    assert not alex.is_admin
    hass.bus.async_fire(EVENT_MATCH, match | {"incident_id": "after-demotion"})
    # A command answered after the event proves the event was not sent before it.
    await client.send_json_auto_id({"type": "ping"})
    assert (await client.receive_json())["type"] == "pong"


def test_the_docs_show_the_same_table() -> None:
    """docs/security.md's three tables say, row for row, what permissions.py decides."""
    text = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    roles = [Role.ADMINISTRATOR, Role.STAFF, Role.OTHER_USER, Role.AUTOMATION]
    documented: dict[str, frozenset[Role]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 6 or not cells[0].startswith("`"):
            continue
        name = cells[0].strip("`").removeprefix(f"{DOMAIN}.")
        documented[name] = frozenset(
            role for role, cell in zip(roles, cells[1:5], strict=True) if cell == "yes"
        )
    expected = {
        name: rule.allowed for table in (ACTIONS, COMMANDS, VIEWS) for name, rule in table.items()
    }
    assert documented == expected
