"""Rekognition user vectors through a real signed boto3 client against the real engine.

CreateUser, DeleteUser, ListUsers, AssociateFaces, DisassociateFaces, SearchUsersByImage and
SearchUsers; the user semantics of ListFaces, DescribeCollection, DeleteFaces and
DeleteCollection; ClientRequestToken idempotency; the schema migration from version 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
from functools import partial
from pathlib import Path
import sqlite3
import time
from typing import Any
import uuid

from botocore.config import Config
from botocore.exceptions import ClientError
import cv2
import numpy as np
import pytest

from edge_bridge.engine.index import (
    DEFAULT_TEMPLATE_POLICY,
    TemplatePolicy,
    UserIndex,
    template_cosine,
    user_template,
)
from edge_bridge.engine.replay import is_mutating
from edge_bridge.engine.store import (
    DB_FILE,
    REQUEST_TOKEN_TTL_S,
    SCHEMA_VERSION,
    FaceStore,
    RequestToken,
    StoreError,
)
from tests.edge_bridge.helpers_bridge import unit_vectors
from tests.edge_bridge.test_engine_store import snapshot

MISSING_FACE = "11111111-2222-4333-8444-555555555555"

# The engine's schema version 1, as the engine before users created it (frozen here on purpose:
# the migration must keep opening databases written by that code).
SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE collections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    face_model_version TEXT NOT NULL
);
CREATE TABLE faces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    face_id TEXT NOT NULL UNIQUE,
    collection_id TEXT NOT NULL REFERENCES collections(collection_id) ON DELETE CASCADE,
    image_id TEXT NOT NULL,
    external_image_id TEXT,
    bbox_width REAL NOT NULL,
    bbox_height REAL NOT NULL,
    bbox_left REAL NOT NULL,
    bbox_top REAL NOT NULL,
    confidence REAL NOT NULL,
    model_version TEXT NOT NULL,
    created_at REAL NOT NULL,
    embedding BLOB NOT NULL
);
CREATE INDEX faces_by_collection ON faces(collection_id, id);
INSERT INTO meta(key, value) VALUES ('schema_version', '1');
"""


def decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def jpeg(bgr: np.ndarray, quality: int = 92) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def mirrored(portrait: bytes) -> bytes:
    return jpeg(cv2.flip(decode(portrait), 1))


def smaller(portrait: bytes, factor: float = 0.6) -> bytes:
    image = decode(portrait)
    return jpeg(cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA))


def side_by_side(large: bytes, small: bytes) -> bytes:
    """``large`` at 400 px square next to ``small`` at 200 px (on a 400 px canvas)."""
    canvas = np.full((400, 600, 3), 128, dtype=np.uint8)
    canvas[:, :400] = cv2.resize(decode(large), (400, 400), interpolation=cv2.INTER_AREA)
    canvas[100:300, 400:] = cv2.resize(decode(small), (200, 200), interpolation=cv2.INTER_AREA)
    return jpeg(canvas)


def astronaut_grid(astronaut: bytes, rows: int, cols: int, tile: int = 128) -> bytes:
    """``rows`` x ``cols`` copies of the astronaut's head (a square crop around the face)."""
    head = decode(astronaut)[28:210, 132:314]
    cell = cv2.resize(head, (tile, tile), interpolation=cv2.INTER_AREA)
    return jpeg(np.vstack([np.hstack([cell] * cols)] * rows))


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def sign_uniquely(client: Any) -> Any:
    """Sign each call with a nonce: the engine refuses a repeated signature (replay), and the
    same call twice within one second would otherwise be signed the same."""

    def add_nonce(request: Any, **_: Any) -> None:
        request.headers["X-Amz-Meta-Nonce"] = uuid.uuid4().hex

    client.meta.events.register("before-sign.rekognition", add_nonce)
    return client


def index_one(client: Any, collection_id: str, image: bytes) -> str:
    records = client.index_faces(CollectionId=collection_id, Image={"Bytes": image}, MaxFaces=1)
    assert len(records["FaceRecords"]) == 1
    return str(records["FaceRecords"][0]["Face"]["FaceId"])


def user_ids(client: Any, collection_id: str) -> list[str]:
    return [user["UserId"] for user in client.list_users(CollectionId=collection_id)["Users"]]


def faces_of(client: Any, collection_id: str, user_id: str) -> list[str]:
    listed = client.list_faces(CollectionId=collection_id, UserId=user_id, MaxResults=4096)
    return [face["FaceId"] for face in listed["Faces"]]


@pytest.fixture
def client(make_rekognition: Callable[..., Any]) -> Any:
    """A client that may repeat identical calls (see :func:`sign_uniquely`)."""
    return sign_uniquely(make_rekognition())


@pytest.fixture
def people(
    client: Any, collection_id: str, astronaut_jpeg: bytes, grace_hopper_jpeg: bytes
) -> dict[str, str]:
    """Two photos of each person indexed (unassociated), by name."""
    return {
        "astro": index_one(client, collection_id, astronaut_jpeg),
        "astro2": index_one(client, collection_id, mirrored(smaller(astronaut_jpeg))),
        "grace": index_one(client, collection_id, grace_hopper_jpeg),
        "grace2": index_one(client, collection_id, mirrored(smaller(grace_hopper_jpeg))),
    }


# -- CreateUser, DeleteUser, ListUsers, DescribeCollection ---------------------------------------


def test_create_list_delete_user(client: Any, collection_id: str) -> None:
    assert client.create_user(CollectionId=collection_id, UserId="shopper-1") is not None
    assert client.describe_collection(CollectionId=collection_id)["UserCount"] == 1
    assert client.list_users(CollectionId=collection_id)["Users"] == [
        {"UserId": "shopper-1", "UserStatus": "CREATED"}
    ]
    code, message = error_of(
        lambda: client.create_user(CollectionId=collection_id, UserId="shopper-1")
    )
    assert code == "ConflictException"
    assert "shopper-1" in message

    client.delete_user(CollectionId=collection_id, UserId="shopper-1")
    assert client.list_users(CollectionId=collection_id)["Users"] == []
    assert client.describe_collection(CollectionId=collection_id)["UserCount"] == 0
    code, _ = error_of(lambda: client.delete_user(CollectionId=collection_id, UserId="shopper-1"))
    assert code == "ResourceNotFoundException"


def test_user_operations_on_missing_collection(client: Any, astronaut_jpeg: bytes) -> None:
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    calls: list[Callable[[], Any]] = [
        lambda: client.create_user(CollectionId=missing, UserId="u"),
        lambda: client.delete_user(CollectionId=missing, UserId="u"),
        lambda: client.list_users(CollectionId=missing),
        lambda: client.associate_faces(CollectionId=missing, UserId="u", FaceIds=[MISSING_FACE]),
        lambda: client.disassociate_faces(CollectionId=missing, UserId="u", FaceIds=[MISSING_FACE]),
        lambda: client.search_users(CollectionId=missing, UserId="u"),
        lambda: client.search_users(CollectionId=missing, FaceId=MISSING_FACE),
        lambda: client.search_users_by_image(CollectionId=missing, Image={"Bytes": astronaut_jpeg}),
    ]
    for call in calls:
        assert error_of(call)[0] == "ResourceNotFoundException"


def test_unknown_user_is_not_found(client: Any, collection_id: str, people: dict[str, str]) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: client.delete_user(CollectionId=collection_id, UserId="nobody"),
        lambda: client.associate_faces(
            CollectionId=collection_id, UserId="nobody", FaceIds=[people["astro"]]
        ),
        lambda: client.disassociate_faces(
            CollectionId=collection_id, UserId="nobody", FaceIds=[people["astro"]]
        ),
        lambda: client.search_users(CollectionId=collection_id, UserId="nobody"),
        lambda: client.list_faces(CollectionId=collection_id, UserId="nobody"),
    ]
    for call in calls:
        code, message = error_of(call)
        assert code == "ResourceNotFoundException"
        assert "nobody" in message


def test_bad_user_ids_refused(client: Any, collection_id: str) -> None:
    for bad in ("has space", "x" * 129, "slash/user"):
        code, _ = error_of(partial(client.create_user, CollectionId=collection_id, UserId=bad))
        assert code == "InvalidParameterException"


def test_list_users_paginates(client: Any, collection_id: str, rekognition: Any) -> None:
    names = [f"user-{i}" for i in range(5)]
    for name in reversed(names[:2]):  # creation order, not name order
        client.create_user(CollectionId=collection_id, UserId=name)
    for name in names[2:]:
        client.create_user(CollectionId=collection_id, UserId=name)
    expected = [names[1], names[0], *names[2:]]

    listed: list[str] = []
    pages = 0
    kwargs: dict[str, Any] = {"CollectionId": collection_id, "MaxResults": 2}
    while True:
        page = client.list_users(**kwargs)
        pages += 1
        listed += [user["UserId"] for user in page["Users"]]
        assert len(page["Users"]) <= 2
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert listed == expected
    assert pages == 3

    paginator = client.get_paginator("list_users")
    flat = [u["UserId"] for p in paginator.paginate(CollectionId=collection_id) for u in p["Users"]]
    assert flat == expected

    other = f"other-{uuid.uuid4().hex[:8]}"
    client.create_collection(CollectionId=other)
    try:
        assert client.list_users(CollectionId=other)["Users"] == []
        token = client.list_users(CollectionId=collection_id, MaxResults=1)["NextToken"]
        code, _ = error_of(lambda: client.list_users(CollectionId=other, NextToken=token))
        assert code == "InvalidPaginationTokenException"
        faces_token = "ZjE6MQ=="  # a ListFaces-style token is not a ListUsers token
        code, _ = error_of(lambda: client.list_users(CollectionId=other, NextToken=faces_token))
        assert code == "InvalidPaginationTokenException"
    finally:
        client.delete_collection(CollectionId=other)


# -- ClientRequestToken ------------------------------------------------------------------------


def test_client_request_token_makes_retries_idempotent(
    client: Any, collection_id: str, people: dict[str, str]
) -> None:
    client.create_user(CollectionId=collection_id, UserId="astro", ClientRequestToken="create-1")
    # The same request again (a retry): success, still one user.
    client.create_user(CollectionId=collection_id, UserId="astro", ClientRequestToken="create-1")
    assert user_ids(client, collection_id) == ["astro"]
    # Another token: a new request, and the user exists.
    code, _ = error_of(
        lambda: client.create_user(
            CollectionId=collection_id, UserId="astro", ClientRequestToken="create-2"
        )
    )
    assert code == "ConflictException"
    # The same token with other parameters.
    code, _ = error_of(
        lambda: client.create_user(
            CollectionId=collection_id, UserId="someone-else", ClientRequestToken="create-1"
        )
    )
    assert code == "IdempotentParameterMismatchException"

    first = client.associate_faces(
        CollectionId=collection_id,
        UserId="astro",
        FaceIds=[people["astro"], MISSING_FACE],
        ClientRequestToken="assoc-1",
    )
    again = client.associate_faces(
        CollectionId=collection_id,
        UserId="astro",
        FaceIds=[people["astro"], MISSING_FACE],
        ClientRequestToken="assoc-1",
    )
    for key in ("AssociatedFaces", "UnsuccessfulFaceAssociations", "UserStatus"):
        assert again[key] == first[key]
    assert first["AssociatedFaces"] == [{"FaceId": people["astro"]}]
    # Without the token the repeat is a new request: the face is already the user's, ignored.
    plain = client.associate_faces(
        CollectionId=collection_id, UserId="astro", FaceIds=[people["astro"]]
    )
    assert plain["AssociatedFaces"] == []
    code, _ = error_of(
        lambda: client.associate_faces(
            CollectionId=collection_id,
            UserId="astro",
            FaceIds=[people["astro2"]],
            ClientRequestToken="assoc-1",
        )
    )
    assert code == "IdempotentParameterMismatchException"

    first_off = client.disassociate_faces(
        CollectionId=collection_id,
        UserId="astro",
        FaceIds=[people["astro"]],
        ClientRequestToken="disassoc-1",
    )
    again_off = client.disassociate_faces(
        CollectionId=collection_id,
        UserId="astro",
        FaceIds=[people["astro"]],
        ClientRequestToken="disassoc-1",
    )
    assert first_off["DisassociatedFaces"] == again_off["DisassociatedFaces"]
    assert first_off["DisassociatedFaces"] == [{"FaceId": people["astro"]}]

    client.delete_user(CollectionId=collection_id, UserId="astro", ClientRequestToken="delete-1")
    client.delete_user(CollectionId=collection_id, UserId="astro", ClientRequestToken="delete-1")
    assert user_ids(client, collection_id) == []
    code, _ = error_of(
        lambda: client.delete_user(
            CollectionId=collection_id, UserId="astro", ClientRequestToken="delete-2"
        )
    )
    assert code == "ResourceNotFoundException"


def test_failed_request_does_not_spend_its_token(client: Any, collection_id: str) -> None:
    code, _ = error_of(
        lambda: client.delete_user(
            CollectionId=collection_id, UserId="late", ClientRequestToken="t"
        )
    )
    assert code == "ResourceNotFoundException"
    client.create_user(CollectionId=collection_id, UserId="late")
    client.delete_user(CollectionId=collection_id, UserId="late", ClientRequestToken="t")
    assert user_ids(client, collection_id) == []


def test_request_tokens_expire(tmp_path: Path) -> None:
    store = FaceStore(tmp_path / "tokens")
    try:
        store.create_collection("c", created_at=0.0, face_model_version="test")
        token = RequestToken("CreateUser", "tok", "digest")
        store.create_user("c", "u", now=1000.0, token=token)
        store.delete_user("c", "u", now=1001.0)
        store.create_user("c", "u", now=1002.0, token=token)  # a retry: nothing created
        assert store.list_users("c", after_seq=0, limit=10)[0] == []
        later = 1000.0 + REQUEST_TOKEN_TTL_S + 1.0
        store.create_user("c", "other", now=later, token=RequestToken("CreateUser", "x", "d"))
        store.create_user("c", "u", now=later, token=token)  # forgotten: a new request
        names = [user.user_id for user in store.list_users("c", after_seq=0, limit=10)[0]]
        assert names == ["other", "u"]
    finally:
        store.close()


# -- AssociateFaces, DisassociateFaces -----------------------------------------------------------


def test_associate_faces_and_reasons(
    client: Any, collection_id: str, people: dict[str, str]
) -> None:
    client.create_user(CollectionId=collection_id, UserId="astro")
    client.create_user(CollectionId=collection_id, UserId="grace")

    first = client.associate_faces(
        CollectionId=collection_id, UserId="astro", FaceIds=[people["astro"]]
    )
    assert first["AssociatedFaces"] == [{"FaceId": people["astro"]}]
    assert first["UnsuccessfulFaceAssociations"] == []
    assert first["UserStatus"] == "ACTIVE"

    # The user has a face now: another person's face is below the default threshold (75).
    second = client.associate_faces(
        CollectionId=collection_id,
        UserId="astro",
        FaceIds=[people["astro2"], people["grace"], MISSING_FACE, people["astro"]],
    )
    assert second["AssociatedFaces"] == [{"FaceId": people["astro2"]}]  # astro: already there
    failures = {item["FaceId"]: item for item in second["UnsuccessfulFaceAssociations"]}
    assert set(failures) == {people["grace"], MISSING_FACE}
    assert failures[people["grace"]]["Reasons"] == ["LOW_MATCH_CONFIDENCE"]
    assert failures[people["grace"]]["Confidence"] < 75
    assert failures[MISSING_FACE]["Reasons"] == ["FACE_NOT_FOUND"]
    assert "Confidence" not in failures[MISSING_FACE]

    # A stricter threshold refuses even the same person: 100 is never reached.
    grace_only = client.associate_faces(
        CollectionId=collection_id, UserId="grace", FaceIds=[people["grace"]]
    )
    assert grace_only["AssociatedFaces"] == [{"FaceId": people["grace"]}]
    strict = client.associate_faces(
        CollectionId=collection_id,
        UserId="grace",
        FaceIds=[people["grace2"]],
        UserMatchThreshold=100,
    )
    assert strict["AssociatedFaces"] == []
    (refused,) = strict["UnsuccessfulFaceAssociations"]
    assert refused["Reasons"] == ["LOW_MATCH_CONFIDENCE"]
    assert refused["Confidence"] > 80  # the same person, just not 100
    lenient = client.associate_faces(
        CollectionId=collection_id, UserId="grace", FaceIds=[people["grace2"]]
    )
    assert lenient["AssociatedFaces"] == [{"FaceId": people["grace2"]}]

    taken = client.associate_faces(
        CollectionId=collection_id, UserId="grace", FaceIds=[people["astro"]]
    )
    assert taken["AssociatedFaces"] == []
    assert taken["UnsuccessfulFaceAssociations"] == [
        {
            "FaceId": people["astro"],
            "UserId": "astro",
            "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"],
        }
    ]

    # ListFaces: UserId on associated faces, and the UserId / FaceIds filters.
    listed = client.list_faces(CollectionId=collection_id)["Faces"]
    owners = {face["FaceId"]: face.get("UserId") for face in listed}
    assert owners == {
        people["astro"]: "astro",
        people["astro2"]: "astro",
        people["grace"]: "grace",
        people["grace2"]: "grace",
    }
    assert faces_of(client, collection_id, "astro") == [people["astro"], people["astro2"]]
    both = client.list_faces(
        CollectionId=collection_id,
        UserId="grace",
        FaceIds=[people["astro"], people["grace2"], MISSING_FACE],
    )["Faces"]
    assert [face["FaceId"] for face in both] == [people["grace2"]]
    page = client.list_faces(CollectionId=collection_id, UserId="astro", MaxResults=1)
    assert [face["FaceId"] for face in page["Faces"]] == [people["astro"]]
    rest = client.list_faces(
        CollectionId=collection_id, UserId="astro", MaxResults=1, NextToken=page["NextToken"]
    )
    assert [face["FaceId"] for face in rest["Faces"]] == [people["astro2"]]
    assert client.list_users(CollectionId=collection_id)["Users"] == [
        {"UserId": "astro", "UserStatus": "ACTIVE"},
        {"UserId": "grace", "UserStatus": "ACTIVE"},
    ]


def test_first_faces_of_a_user_are_not_checked(
    client: Any, collection_id: str, people: dict[str, str]
) -> None:
    """The match check applies once the user has faces (those before the call)."""
    client.create_user(CollectionId=collection_id, UserId="mixed")
    both = client.associate_faces(
        CollectionId=collection_id, UserId="mixed", FaceIds=[people["astro"], people["grace"]]
    )
    assert {f["FaceId"] for f in both["AssociatedFaces"]} == {people["astro"], people["grace"]}


def test_associate_faces_validation(
    make_rekognition: Callable[..., Any], collection_id: str
) -> None:
    """The engine checks FaceIds (1-100 ids) itself, whatever the client validated."""
    raw = make_rekognition(config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    raw.create_user(CollectionId=collection_id, UserId="u")
    for face_ids in ([], [MISSING_FACE] * 101, ["not-a-face-id"]):
        code, message = error_of(
            partial(raw.associate_faces, CollectionId=collection_id, UserId="u", FaceIds=face_ids)
        )
        assert code == "InvalidParameterException"
        assert "FaceIds" in message
    assert raw.list_faces(CollectionId=collection_id, UserId="u")["Faces"] == []


def test_user_face_quota(client: Any, collection_id: str, astronaut_jpeg: bytes) -> None:
    face_ids: list[str] = []
    for _ in range(2):
        records = client.index_faces(
            CollectionId=collection_id, Image={"Bytes": astronaut_grid(astronaut_jpeg, 7, 8)}
        )["FaceRecords"]
        face_ids += [record["Face"]["FaceId"] for record in records]
    assert len(face_ids) >= 102
    client.create_user(CollectionId=collection_id, UserId="astro")

    first = client.associate_faces(
        CollectionId=collection_id, UserId="astro", FaceIds=face_ids[:60]
    )
    assert len(first["AssociatedFaces"]) == 60
    # 60 + 50 > 100: refused as a whole, nothing changes.
    code, message = error_of(
        lambda: client.associate_faces(
            CollectionId=collection_id, UserId="astro", FaceIds=face_ids[60:110]
        )
    )
    assert code == "ServiceQuotaExceededException"
    assert "100" in message
    assert len(faces_of(client, collection_id, "astro")) == 60
    full = client.associate_faces(
        CollectionId=collection_id, UserId="astro", FaceIds=face_ids[60:100]
    )
    assert len(full["AssociatedFaces"]) == 40
    assert len(faces_of(client, collection_id, "astro")) == 100
    code, _ = error_of(
        lambda: client.associate_faces(
            CollectionId=collection_id, UserId="astro", FaceIds=face_ids[100:101]
        )
    )
    assert code == "ServiceQuotaExceededException"


def test_disassociate_faces(client: Any, collection_id: str, people: dict[str, str]) -> None:
    client.create_user(CollectionId=collection_id, UserId="astro")
    client.create_user(CollectionId=collection_id, UserId="grace")
    client.associate_faces(
        CollectionId=collection_id, UserId="astro", FaceIds=[people["astro"], people["astro2"]]
    )
    client.associate_faces(CollectionId=collection_id, UserId="grace", FaceIds=[people["grace"]])

    result = client.disassociate_faces(
        CollectionId=collection_id,
        UserId="astro",
        FaceIds=[people["astro"], people["grace"], MISSING_FACE, people["grace2"]],
    )
    assert result["DisassociatedFaces"] == [{"FaceId": people["astro"]}]
    assert result["UnsuccessfulFaceDisassociations"] == [  # grace2 (no user): ignored
        {
            "FaceId": people["grace"],
            "UserId": "grace",
            "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"],
        },
        {"FaceId": MISSING_FACE, "Reasons": ["FACE_NOT_FOUND"]},
    ]
    assert result["UserStatus"] == "ACTIVE"
    assert faces_of(client, collection_id, "astro") == [people["astro2"]]

    last = client.disassociate_faces(
        CollectionId=collection_id, UserId="astro", FaceIds=[people["astro2"], people["astro"]]
    )
    assert last["DisassociatedFaces"] == [{"FaceId": people["astro2"]}]
    assert last["UnsuccessfulFaceDisassociations"] == []
    assert last["UserStatus"] == "CREATED"
    assert faces_of(client, collection_id, "astro") == []
    # The faces are still in the collection, without a user.
    listed = client.list_faces(CollectionId=collection_id, FaceIds=[people["astro"]])["Faces"]
    assert len(listed) == 1
    assert "UserId" not in listed[0]


# -- DeleteFaces, DeleteUser, DeleteCollection ---------------------------------------------------


def test_delete_faces_keeps_faces_of_users(
    client: Any, collection_id: str, people: dict[str, str]
) -> None:
    client.create_user(CollectionId=collection_id, UserId="astro")
    client.associate_faces(CollectionId=collection_id, UserId="astro", FaceIds=[people["astro"]])
    result = client.delete_faces(
        CollectionId=collection_id, FaceIds=[people["astro"], people["grace"], MISSING_FACE]
    )
    assert result["DeletedFaces"] == [people["grace"]]
    assert result["UnsuccessfulFaceDeletions"] == [
        {
            "FaceId": people["astro"],
            "UserId": "astro",
            "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"],
        },
        {"FaceId": MISSING_FACE, "Reasons": ["FACE_NOT_FOUND"]},
    ]
    assert client.describe_collection(CollectionId=collection_id)["FaceCount"] == 3

    # DeleteUser unassociates its faces (they are kept); then they can be deleted.
    client.delete_user(CollectionId=collection_id, UserId="astro")
    listed = client.list_faces(CollectionId=collection_id, FaceIds=[people["astro"]])["Faces"]
    assert [face["FaceId"] for face in listed] == [people["astro"]]
    assert "UserId" not in listed[0]
    again = client.delete_faces(CollectionId=collection_id, FaceIds=[people["astro"]])
    assert again["DeletedFaces"] == [people["astro"]]


def test_delete_collection_deletes_users(
    client: Any, astronaut_jpeg: bytes, grace_hopper_jpeg: bytes
) -> None:
    name = f"users-{uuid.uuid4().hex[:8]}"
    client.create_collection(CollectionId=name)
    face = index_one(client, name, astronaut_jpeg)
    client.create_user(CollectionId=name, UserId="astro", ClientRequestToken="same-token")
    client.associate_faces(CollectionId=name, UserId="astro", FaceIds=[face])
    client.delete_collection(CollectionId=name)

    client.create_collection(CollectionId=name)
    try:
        assert client.describe_collection(CollectionId=name)["UserCount"] == 0
        assert client.list_users(CollectionId=name)["Users"] == []
        probe = client.search_users_by_image(CollectionId=name, Image={"Bytes": astronaut_jpeg})
        assert probe["UserMatches"] == []
        # Tokens went with the collection: the same token is a new request.
        client.create_user(CollectionId=name, UserId="astro", ClientRequestToken="same-token")
        assert user_ids(client, name) == ["astro"]
        assert faces_of(client, name, "astro") == []
        assert client.list_faces(CollectionId=name)["Faces"] == []
        index_one(client, name, grace_hopper_jpeg)
    finally:
        client.delete_collection(CollectionId=name)


# -- SearchUsersByImage, SearchUsers -------------------------------------------------------------


def _top_user(result: dict[str, Any]) -> str:
    return str(result["UserMatches"][0]["User"]["UserId"])


@pytest.mark.parametrize("faces_per_user", [1, 2])
def test_search_users_by_image_finds_the_person(
    client: Any,
    collection_id: str,
    people: dict[str, str],
    astronaut_jpeg: bytes,
    grace_hopper_jpeg: bytes,
    faces_per_user: int,
) -> None:
    for name in ("astro", "grace"):
        client.create_user(CollectionId=collection_id, UserId=name)
        faces = [people[name], people[f"{name}2"]][:faces_per_user]
        associated = client.associate_faces(CollectionId=collection_id, UserId=name, FaceIds=faces)
        assert len(associated["AssociatedFaces"]) == faces_per_user
    client.create_user(CollectionId=collection_id, UserId="empty")  # no faces: never matches

    probes = {
        "astro": jpeg(cv2.resize(decode(astronaut_jpeg), None, fx=0.8, fy=0.8)),
        "grace": jpeg(decode(grace_hopper_jpeg)[10:-10, 10:-10]),
    }
    for name, probe in probes.items():
        result = client.search_users_by_image(CollectionId=collection_id, Image={"Bytes": probe})
        assert [m["User"]["UserId"] for m in result["UserMatches"]] == [name]
        (match,) = result["UserMatches"]
        assert match["Similarity"] >= 80
        assert match["User"]["UserStatus"] == "ACTIVE"
        assert result["FaceModelVersion"]
        assert result["SearchedFace"]["FaceDetail"]["BoundingBox"]["Width"] > 0
        assert result["UnsearchedFaces"] == []

        everyone = client.search_users_by_image(
            CollectionId=collection_id, Image={"Bytes": probe}, UserMatchThreshold=0
        )
        ranked = [m["User"]["UserId"] for m in everyone["UserMatches"]]
        assert ranked == [name, "grace" if name == "astro" else "astro"]
        similarities = [m["Similarity"] for m in everyone["UserMatches"]]
        assert similarities == sorted(similarities, reverse=True)
        assert similarities[1] < 80
        capped = client.search_users_by_image(
            CollectionId=collection_id, Image={"Bytes": probe}, UserMatchThreshold=0, MaxUsers=1
        )
        assert _top_user(capped) == name
        assert len(capped["UserMatches"]) == 1


def test_search_users_by_image_largest_face_and_no_face(
    client: Any,
    collection_id: str,
    people: dict[str, str],
    astronaut_jpeg: bytes,
    grace_hopper_jpeg: bytes,
) -> None:
    client.create_user(CollectionId=collection_id, UserId="grace")
    client.associate_faces(CollectionId=collection_id, UserId="grace", FaceIds=[people["grace"]])

    scene = side_by_side(grace_hopper_jpeg, astronaut_jpeg)
    result = client.search_users_by_image(CollectionId=collection_id, Image={"Bytes": scene})
    assert _top_user(result) == "grace"
    (unsearched,) = result["UnsearchedFaces"]
    assert unsearched["Reasons"] == ["FACE_NOT_LARGEST"]
    assert unsearched["FaceDetails"]["BoundingBox"]["Left"] > 0.5  # the small face on the right
    assert result["SearchedFace"]["FaceDetail"]["BoundingBox"]["Left"] < 0.5

    blank = jpeg(np.full((300, 400, 3), 200, dtype=np.uint8))
    empty = client.search_users_by_image(CollectionId=collection_id, Image={"Bytes": blank})
    assert empty["UserMatches"] == []
    assert "SearchedFace" not in empty
    assert empty["UnsearchedFaces"] == []

    tiny = jpeg(cv2.resize(decode(grace_hopper_jpeg), (64, 64), interpolation=cv2.INTER_AREA))
    filtered = client.search_users_by_image(
        CollectionId=collection_id, Image={"Bytes": tiny}, QualityFilter="HIGH"
    )
    assert filtered["UserMatches"] == []
    assert "SearchedFace" not in filtered
    (low,) = filtered["UnsearchedFaces"]
    assert "SMALL_BOUNDING_BOX" in low["Reasons"]

    code, _ = error_of(
        lambda: client.search_users_by_image(
            CollectionId=collection_id, Image={"Bytes": b"not an image"}
        )
    )
    assert code == "InvalidImageFormatException"


def test_search_users_by_face_and_by_user(
    client: Any, collection_id: str, people: dict[str, str]
) -> None:
    for name in ("astro", "grace"):
        client.create_user(CollectionId=collection_id, UserId=name)
        client.associate_faces(CollectionId=collection_id, UserId=name, FaceIds=[people[name]])

    # An unassociated face finds the user it belongs with.
    by_face = client.search_users(CollectionId=collection_id, FaceId=people["astro2"])
    assert [m["User"]["UserId"] for m in by_face["UserMatches"]] == ["astro"]
    assert by_face["SearchedFace"] == {"FaceId": people["astro2"]}
    assert "SearchedUser" not in by_face
    assert by_face["FaceModelVersion"]
    # A face of a user finds that user too (it is part of the template).
    own = client.search_users(CollectionId=collection_id, FaceId=people["grace"])
    assert _top_user(own) == "grace"

    by_user = client.search_users(CollectionId=collection_id, UserId="astro")
    assert by_user["UserMatches"] == []  # itself excluded, grace is someone else
    assert by_user["SearchedUser"] == {"UserId": "astro"}
    everyone = client.search_users(CollectionId=collection_id, UserId="astro", UserMatchThreshold=0)
    assert [m["User"]["UserId"] for m in everyone["UserMatches"]] == ["grace"]
    assert everyone["UserMatches"][0]["Similarity"] < 80

    # Two users of the same person find each other.
    client.create_user(CollectionId=collection_id, UserId="astro-again")
    client.associate_faces(
        CollectionId=collection_id, UserId="astro-again", FaceIds=[people["astro2"]]
    )
    twin = client.search_users(CollectionId=collection_id, UserId="astro-again")
    assert [m["User"]["UserId"] for m in twin["UserMatches"]] == ["astro"]

    client.create_user(CollectionId=collection_id, UserId="empty")
    assert client.search_users(CollectionId=collection_id, UserId="empty")["UserMatches"] == []

    for kwargs in ({}, {"UserId": "astro", "FaceId": people["astro"]}):
        code, message = error_of(partial(client.search_users, CollectionId=collection_id, **kwargs))
        assert code == "InvalidParameterException"
        assert "FaceId" in message
    code, _ = error_of(lambda: client.search_users(CollectionId=collection_id, FaceId=MISSING_FACE))
    assert code == "InvalidParameterException"


def test_search_faces_results_carry_user_id(
    client: Any, collection_id: str, people: dict[str, str]
) -> None:
    client.create_user(CollectionId=collection_id, UserId="astro")
    client.associate_faces(CollectionId=collection_id, UserId="astro", FaceIds=[people["astro"]])
    matches = client.search_faces(CollectionId=collection_id, FaceId=people["astro2"])[
        "FaceMatches"
    ]
    assert [(m["Face"]["FaceId"], m["Face"].get("UserId")) for m in matches] == [
        (people["astro"], "astro")
    ]


def test_searches_with_threshold_zero_leave_out_the_probe(
    client: Any, collection_id: str, people: dict[str, str]
) -> None:
    """Threshold 0 is a cosine cut-off of -inf: the searched face or user is still left out."""
    matches = client.search_faces(
        CollectionId=collection_id, FaceId=people["astro"], FaceMatchThreshold=0
    )["FaceMatches"]
    assert people["astro"] not in {m["Face"]["FaceId"] for m in matches}
    assert len(matches) == 3
    client.create_user(CollectionId=collection_id, UserId="astro")
    client.associate_faces(CollectionId=collection_id, UserId="astro", FaceIds=[people["astro"]])
    alone = client.search_users(CollectionId=collection_id, UserId="astro", UserMatchThreshold=0)
    assert alone["UserMatches"] == []


# -- templates ---------------------------------------------------------------------------------


def test_template_policy_mean_and_max() -> None:
    assert DEFAULT_TEMPLATE_POLICY is TemplatePolicy.MEAN
    faces = unit_vectors(3, seed=4)
    mean = user_template(faces)
    assert mean.shape == (1, 128)
    expected = faces.astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(mean[0], expected / np.linalg.norm(expected), atol=1e-6)
    assert user_template(faces, "max").shape == (3, 128)
    assert user_template(np.zeros((0, 128), np.float32)).shape == (0, 128)

    probe = faces[1]
    best = template_cosine(user_template(faces, TemplatePolicy.MAX), probe)
    assert best == pytest.approx(1.0, abs=1e-5)
    averaged = template_cosine(mean, probe)
    assert averaged is not None
    assert averaged < 0.9
    assert template_cosine(user_template(faces[:0]), probe) is None

    for policy, top in ((TemplatePolicy.MEAN, averaged), (TemplatePolicy.MAX, 1.0)):
        index = UserIndex(128, policy)
        index.set_user(7, faces)
        index.set_user(8, unit_vectors(2, seed=9))
        index.set_user(9, np.zeros((0, 128), np.float32))
        hits = index.search(probe, min_cosine=-1.0, limit=10)
        assert hits[0][0] == 7
        assert {seq for seq, _ in hits} == {7, 8}  # no faces: no template
        assert hits[0][1] == pytest.approx(top, abs=1e-5)
        assert index.search(probe, min_cosine=-1.0, limit=10, exclude_user=7)[0][0] == 8
        index.remove_user(7)
        assert [seq for seq, _ in index.search(probe, min_cosine=-1.0, limit=10)] == [8]


@pytest.mark.parametrize("policy", list(TemplatePolicy))
def test_user_index_search_matches_brute_force(policy: TemplatePolicy) -> None:
    rng = np.random.default_rng(5)
    vectors = unit_vectors(300, seed=6)
    index = UserIndex(128, policy)
    members: dict[int, np.ndarray] = {}
    start = 0
    for seq in range(1, 81):
        size = int(rng.integers(0, 6))
        members[seq] = vectors[start : start + size]
        index.set_user(seq, members[seq])
        start += size
    probe = vectors[3] + 0.05 * unit_vectors(1, seed=7)[0]
    probe /= np.linalg.norm(probe)
    spare = unit_vectors(20, seed=8)
    queries = [probe, user_template(members[2], policy)] * 3
    changed = [seq for seq, rows in members.items() if len(rows) == 2][:2]
    empty = next(seq for seq, rows in members.items() if len(rows) == 0)
    for step, query in enumerate(queries):
        # Changes after the stacked matrix was built: the same row count (updated in place),
        # with ``max`` also another row count; then a user's first face (rebuilt).
        if step == 2:
            members[changed[0]] = np.stack([probe, spare[0]])
            members[changed[1]] = spare[1:4]
            for seq in changed:
                index.set_user(seq, members[seq])
        if step == 4:
            members[empty] = spare[4:5]
            index.set_user(empty, members[empty])
        expected = sorted(
            (
                (seq, score)
                for seq, rows in members.items()
                if (score := template_cosine(user_template(rows, policy), query)) is not None
                and score >= 0.0
                and seq != 2
            ),
            key=lambda item: (-item[1], item[0]),
        )[:7]
        found = index.search(query, min_cosine=0.0, limit=7, exclude_user=2)
        assert [seq for seq, _ in found] == [seq for seq, _ in expected]
        np.testing.assert_allclose(
            [score for _, score in found], [score for _, score in expected], atol=1e-5
        )


def test_store_with_max_policy_scores_best_face(tmp_path: Path) -> None:
    store = FaceStore(tmp_path / "max", template_policy="max")
    try:
        store.create_collection("c", created_at=0.0, face_model_version="test")
        assert store.template_policy is TemplatePolicy.MAX
        faces = unit_vectors(2, seed=11)
        _add_faces(store, "c", faces)
        ids = [record.face_id for record in store.list_faces("c", after_seq=0, limit=10)[0]]
        store.create_user("c", "u", now=1.0)
        result = store.associate_faces("c", "u", ids, min_cosine=-1.0, max_user_faces=100, now=1.0)
        assert result.changed == ids
        ((user, cosine),) = store.search_users("c", faces[1], min_cosine=0.5, limit=5)
        assert user.user_id == "u"
        assert cosine == pytest.approx(1.0, abs=1e-5)
    finally:
        store.close()


def _add_faces(store: FaceStore, collection_id: str, vectors: np.ndarray) -> None:
    from edge_bridge.engine.store import NewFace

    store.add_faces(
        collection_id,
        [
            NewFace(
                face_id=str(uuid.uuid4()),
                image_id=str(uuid.uuid4()),
                external_image_id=None,
                bbox_width=0.2,
                bbox_height=0.3,
                bbox_left=0.1,
                bbox_top=0.1,
                confidence=99.0,
                model_version="test",
                created_at=time.time(),
                embedding=vector,
            )
            for vector in vectors
        ],
    )


def test_read_only_user_operations_are_not_replay_tracked() -> None:
    for operation in ("ListUsers", "SearchUsers", "SearchUsersByImage"):
        assert not is_mutating(operation)
    for operation in ("CreateUser", "DeleteUser", "AssociateFaces", "DisassociateFaces"):
        assert is_mutating(operation)


# -- durability and schema migration -------------------------------------------------------------


@contextlib.contextmanager
def _engine_client(
    engine_factory: Callable[..., Any], make_rekognition: Callable[..., Any], data: Path
) -> Iterator[Any]:
    server = engine_factory(data)
    try:
        yield sign_uniquely(make_rekognition(endpoint_url=server.endpoint_url))
    finally:
        server.stop()


def test_users_survive_restart(
    tmp_path: Path,
    engine_factory: Callable[..., Any],
    make_rekognition: Callable[..., Any],
    astronaut_jpeg: bytes,
    grace_hopper_jpeg: bytes,
) -> None:
    data = tmp_path / "engine-data"
    with _engine_client(engine_factory, make_rekognition, data) as first:
        first.create_collection(CollectionId="shop")
        astro = index_one(first, "shop", astronaut_jpeg)
        grace = index_one(first, "shop", grace_hopper_jpeg)
        first.create_user(CollectionId="shop", UserId="astro")
        first.create_user(CollectionId="shop", UserId="grace")
        first.associate_faces(CollectionId="shop", UserId="astro", FaceIds=[astro])
        first.associate_faces(CollectionId="shop", UserId="grace", FaceIds=[grace])
        first.create_user(CollectionId="shop", UserId="t", ClientRequestToken="kept-token")

    with _engine_client(engine_factory, make_rekognition, data) as second:
        assert second.describe_collection(CollectionId="shop")["UserCount"] == 3
        assert faces_of(second, "shop", "astro") == [astro]
        found = second.search_users_by_image(
            CollectionId="shop", Image={"Bytes": mirrored(astronaut_jpeg)}
        )
        assert [m["User"]["UserId"] for m in found["UserMatches"]] == ["astro"]
        second.create_user(CollectionId="shop", UserId="t", ClientRequestToken="kept-token")
        assert user_ids(second, "shop") == ["astro", "grace", "t"]


def test_user_searches_write_nothing(
    tmp_path: Path,
    engine_factory: Callable[..., Any],
    make_rekognition: Callable[..., Any],
    astronaut_jpeg: bytes,
) -> None:
    data = tmp_path / "engine-data"
    with _engine_client(engine_factory, make_rekognition, data) as client:
        client.create_collection(CollectionId="shop")
        face = index_one(client, "shop", astronaut_jpeg)
        client.create_user(CollectionId="shop", UserId="astro")
        client.associate_faces(CollectionId="shop", UserId="astro", FaceIds=[face])
        before = snapshot(data)
        for _ in range(3):
            client.search_users_by_image(CollectionId="shop", Image={"Bytes": astronaut_jpeg})
            client.search_users(CollectionId="shop", UserId="astro")
            client.search_users(CollectionId="shop", FaceId=face)
            client.list_users(CollectionId="shop")
            client.list_faces(CollectionId="shop", UserId="astro")
        assert snapshot(data) == before


def _write_v1_database(data: Path, vectors: np.ndarray) -> list[str]:
    """A database as the engine before users wrote it: one collection with ``vectors``."""
    data.mkdir(mode=0o700)
    face_ids = [str(uuid.uuid4()) for _ in vectors]
    with contextlib.closing(sqlite3.connect(data / DB_FILE)) as conn, conn:
        conn.executescript(SCHEMA_V1)
        conn.execute(
            "INSERT INTO collections(collection_id, created_at, face_model_version) "
            "VALUES ('legacy', 1700000000.0, 'sface-2021dec-int8bq')"
        )
        for face_id, vector in zip(face_ids, vectors, strict=True):
            conn.execute(
                "INSERT INTO faces(face_id, collection_id, image_id, external_image_id, "
                "bbox_width, bbox_height, bbox_left, bbox_top, confidence, model_version, "
                "created_at, embedding) VALUES (?, 'legacy', ?, 'person-1', 0.2, 0.3, 0.1, "
                "0.1, 99.5, 'sface-2021dec-int8bq', 1700000001.0, ?)",
                (face_id, str(uuid.uuid4()), np.asarray(vector, np.float32).tobytes()),
            )
    return face_ids


def test_schema_1_database_is_migrated(
    tmp_path: Path, engine_factory: Callable[..., Any], make_rekognition: Callable[..., Any]
) -> None:
    base = unit_vectors(2, seed=21)
    near = base[0] + 0.15 * unit_vectors(1, seed=22)[0]
    vectors = np.stack([base[0], near / np.linalg.norm(near), base[1]])
    data = tmp_path / "legacy"
    face_ids = _write_v1_database(data, vectors)

    with _engine_client(engine_factory, make_rekognition, data) as client:
        described = client.describe_collection(CollectionId="legacy")
        assert described["FaceCount"] == 3
        assert described["UserCount"] == 0
        listed = client.list_faces(CollectionId="legacy")["Faces"]
        assert [face["FaceId"] for face in listed] == face_ids
        assert all(
            "UserId" not in face and face["ExternalImageId"] == "person-1" for face in listed
        )
        # The old faces can be searched and given users.
        matches = client.search_faces(CollectionId="legacy", FaceId=face_ids[0])["FaceMatches"]
        assert [m["Face"]["FaceId"] for m in matches] == [face_ids[1]]
        client.create_user(CollectionId="legacy", UserId="person-1")
        done = client.associate_faces(
            CollectionId="legacy", UserId="person-1", FaceIds=face_ids[:2]
        )
        assert len(done["AssociatedFaces"]) == 2
        found = client.search_users(CollectionId="legacy", FaceId=face_ids[0])
        assert _top_user(found) == "person-1"

    with contextlib.closing(sqlite3.connect(data / DB_FILE)) as conn:
        (version,) = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        columns = {row[1] for row in conn.execute("PRAGMA table_info(faces)")}
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert int(version) == SCHEMA_VERSION == 2
    assert "user_seq" in columns
    assert {"users", "request_tokens"} <= tables

    # Opened again (already version 2): nothing to migrate, everything kept.
    with _engine_client(engine_factory, make_rekognition, data) as client:
        assert faces_of(client, "legacy", "person-1") == face_ids[:2]
        assert client.describe_collection(CollectionId="legacy")["FaceCount"] == 3


def test_newer_schema_refused(tmp_path: Path) -> None:
    data = tmp_path / "future"
    _write_v1_database(data, unit_vectors(1))
    with contextlib.closing(sqlite3.connect(data / DB_FILE)) as conn, conn:
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="unsupported store schema version"):
        FaceStore(data)
    with contextlib.closing(sqlite3.connect(data / DB_FILE)) as conn:
        (version,) = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    assert int(version) == SCHEMA_VERSION + 1  # left as it was
