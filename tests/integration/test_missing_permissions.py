"""A permission AWS refuses (AccessDenied) raises a repair issue naming it and what it breaks.

One issue per store and operation, raised by the store's client for every call that passes
through it, whatever the caller then does with the error (which stays as before: fallbacks,
errors to the user, re-authentication); the operation's next success removes it.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.stub import ANY
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.smartshop.const import DOMAIN, ISSUE_MISSING_PERMISSION
from custom_components.smartshop.data import SmartShopConfigEntry
from custom_components.smartshop.errors import missing_permission_issue_id
from custom_components.smartshop.recognition import REKOGNITION_OPERATIONS

from .conftest import COLLECTION, Rekognition, setup_store, store_entry
from .helpers import as_admin, incident_with_crop
from .test_image_processing import ONE_FACE, _person, _scan

FACE_ID = "11111111-1111-1111-1111-111111111111"


def _denied(operation: str) -> str:
    """AWS's message when no policy allows the action."""
    return (
        f"User: arn:aws:iam::123456789012:user/smartshop-high-street is not authorized to "
        f"perform: rekognition:{operation} on resource: arn:aws:rekognition:eu-west-2:"
        f"123456789012:collection/{COLLECTION} because no identity-based policy allows the "
        f"rekognition:{operation} action"
    )


def _refuse(rekognition: Rekognition, operation: str, method: str) -> None:
    rekognition.error(method, "AccessDeniedException", _denied(operation))


def _permission_issues(hass: HomeAssistant) -> dict[str, ir.IssueEntry]:
    return {
        issue_id: issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key == ISSUE_MISSING_PERMISSION
    }


def _assert_issue(hass: HomeAssistant, entry: SmartShopConfigEntry, operation: str) -> None:
    """Exactly one missing-permission issue, this operation's, with the right placeholders."""
    issue_id = missing_permission_issue_id(entry.entry_id, operation)
    issues = _permission_issues(hass)
    assert list(issues) == [issue_id]
    issue = issues[issue_id]
    assert issue.translation_placeholders == {
        "store": "High Street",
        "permission": f"rekognition:{operation}",
        "feature": REKOGNITION_OPERATIONS[operation].feature,
    }
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.is_persistent
    assert not issue.is_fixable


async def _enrol(hass: HomeAssistant, photo: str) -> dict[str, Any]:
    return await hass.services.async_call(
        DOMAIN,
        "enroll_person",
        {
            "watchlist": "Theft",
            "name": "Sam Example",
            "reason": "Took two bottles of whisky",
            "incident_reference": "CRN 01/23456/26",
            "added_by": "Manager Sam",
            "image_path": photo,
            "justification": "repeat_offender",
            "attest_adult": True,
            "attest_not_vulnerable": True,
        },
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )


def _user_made(rekognition: Rekognition) -> None:
    rekognition.ok("create_user", {}, {"CollectionId": COLLECTION, "UserId": ANY})
    rekognition.ok(
        "associate_faces",
        {"AssociatedFaces": [{"FaceId": FACE_ID}], "UserStatus": "ACTIVE"},
        {"CollectionId": COLLECTION, "UserId": ANY, "FaceIds": [FACE_ID]},
    )


async def test_create_user_refused_at_enrolment(
    hass: HomeAssistant,
    rekognition: Rekognition,
    photo: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """CreateUser refused at enrolment: the person is enrolled and found by face, as before, and
    the store shows a repair issue naming rekognition:CreateUser and per-person search. Other
    calls that succeed leave it; the next CreateUser that succeeds (the permission was added)
    removes it."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    assert _permission_issues(hass) == {}

    rekognition.detect(ONE_FACE)
    rekognition.index(face_id=FACE_ID)
    _refuse(rekognition, "CreateUser", "create_user")
    with caplog.at_level(logging.WARNING):
        response = await _enrol(hass, photo)
    rekognition.assert_done()

    # What happened before is unchanged: enrolled, not a user, searched face by face.
    manager = entry.runtime_data.watchlists
    person = manager.store.get(response["person_id"])
    assert person is not None
    assert person.face_ids == [FACE_ID]
    assert not person.user_created
    assert not manager.search_by_user
    assert manager.users_to_retry
    # And now the owner is told which permission is missing and what it breaks.
    _assert_issue(hass, entry, "CreateUser")
    assert "refused the permission rekognition:CreateUser" in caplog.text

    # A successful call of another operation says nothing about CreateUser.
    rekognition.ok("describe_collection", {"FaceCount": 1}, {"CollectionId": COLLECTION})
    await entry.runtime_data.client.describe_collection(COLLECTION)
    _assert_issue(hass, entry, "CreateUser")

    # Refused again at the retry: still one issue.
    # (The retry the store runs every USER_MIGRATION_INTERVAL, called directly.)
    _refuse(rekognition, "CreateUser", "create_user")
    assert await manager.async_migrate_users() == 0
    rekognition.assert_done()
    _assert_issue(hass, entry, "CreateUser")

    # The owner added the permission: the next retry makes the user, and the notice goes.
    _user_made(rekognition)
    assert await manager.async_migrate_users() == 1
    rekognition.assert_done()
    assert person.user_created
    assert manager.search_by_user
    assert _permission_issues(hass) == {}


def _searched_nobody(rekognition: Rekognition) -> None:
    rekognition.ok(
        "search_users_by_image",
        {"UserMatches": [], "SearchedFace": {"FaceDetail": {}}},
        {
            "CollectionId": COLLECTION,
            "Image": {"Bytes": ANY},
            "MaxUsers": 20,
            "UserMatchThreshold": 70.0,
            "QualityFilter": "NONE",
        },
    )


async def _find_by_face(hass: HomeAssistant, photo: str) -> dict[str, Any]:
    return await hass.services.async_call(
        DOMAIN,
        "find_person_by_face",
        {"image_path": photo},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )


async def test_compare_faces_refused_in_find_by_face(
    hass: HomeAssistant, rekognition: Rekognition, photo: str, face_jpeg: bytes
) -> None:
    """CompareFaces refused: find by face reports the store as failed, as before, and the store
    shows a repair issue naming rekognition:CompareFaces; once comparing works again, the evidence
    is found and the issue is gone."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    rekognition.detect(ONE_FACE)
    rekognition.index(face_id=FACE_ID)
    _user_made(rekognition)
    person_id = (await _enrol(hass, photo))["person_id"]
    incident = await incident_with_crop(hass, entry, person_id, face_jpeg)

    _searched_nobody(rekognition)
    _refuse(rekognition, "CompareFaces", "compare_faces")
    result = await _find_by_face(hass, photo)
    rekognition.assert_done()
    assert result["stores_failed"] == ["High Street"]
    assert result["evidence"] == []
    _assert_issue(hass, entry, "CompareFaces")

    _searched_nobody(rekognition)
    rekognition.ok(
        "compare_faces",
        {"FaceMatches": [{"Similarity": 93.0, "Face": {"Confidence": 99.0}}]},
        {
            "SourceImage": {"Bytes": ANY},
            "TargetImage": {"Bytes": ANY},
            "SimilarityThreshold": 70.0,
            "QualityFilter": "NONE",
        },
    )
    result = await _find_by_face(hass, photo)
    rekognition.assert_done()
    assert result["stores_failed"] == []
    assert [found["incident_id"] for found in result["evidence"]] == [incident.incident_id]
    assert _permission_issues(hass) == {}


async def test_search_users_refused_on_a_scan(
    hass: HomeAssistant, rekognition: Rekognition, still_camera: Any
) -> None:
    """SearchUsersByImage refused while scanning a camera: searching stops and re-authentication
    starts, as before, and the store shows a repair issue naming rekognition:SearchUsersByImage
    (DetectFaces, which succeeded, gets none). Removing the store removes its issues."""
    entry = store_entry()
    await setup_store(hass, rekognition, entry)
    person = _person(entry)
    person.user_created = True

    rekognition.detect(ONE_FACE)
    _refuse(rekognition, "SearchUsersByImage", "search_users_by_image")
    await _scan(hass)
    rekognition.assert_done()

    assert entry.runtime_data.health.auth_failed
    assert entry.async_get_active_flows(hass, {SOURCE_REAUTH})
    _assert_issue(hass, entry, "SearchUsersByImage")

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert _permission_issues(hass) == {}


async def test_credential_check_refused_at_set_up(
    hass: HomeAssistant, rekognition: Rekognition
) -> None:
    """DescribeCollection refused when the store starts: set-up fails and asks for keys, as
    before, and a repair issue names rekognition:DescribeCollection. With the permission added,
    the check's answer "no such collection" (its probe collection never exists) shows the call
    authorised: the issue goes."""
    entry = store_entry(camera=None)
    entry.add_to_hass(hass)
    _refuse(rekognition, "DescribeCollection", "describe_collection")
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    rekognition.assert_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.async_get_active_flows(hass, {SOURCE_REAUTH})
    _assert_issue(hass, entry, "DescribeCollection")

    rekognition.credentials_ok()
    rekognition.collection_exists()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    rekognition.assert_done()
    assert entry.state is ConfigEntryState.LOADED
    assert _permission_issues(hass) == {}
