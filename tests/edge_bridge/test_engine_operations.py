"""Every supported operation and its errors, through a real signed boto3 client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import io
from typing import Any
import uuid

from botocore.config import Config
from botocore.exceptions import ClientError
import cv2
import numpy as np
from PIL import Image
import pytest

from edge_bridge.detect import FaceDetector
from edge_bridge.image_decoder import NOT_IMAGE, TOO_LARGE, UNSUPPORTED_FORMAT
from tests.edge_bridge.helpers_bridge import models
from tests.image_cases import PORTRAIT_CASE_NAMES, image_cases

FACE_ID = "11111111-2222-4333-8444-555555555555"


def sign_uniquely(client: Any) -> Any:
    """Make ``client`` sign each call uniquely (a random signed header).

    The engine refuses a mutating request whose signature it has seen (replay protection), and
    X-Amz-Date has one-second resolution: the same call twice within a second is signed the
    same. Tests that repeat a change on purpose sign each call with a nonce.
    """

    def add_nonce(request: Any, **_: Any) -> None:
        request.headers["X-Amz-Meta-Nonce"] = uuid.uuid4().hex

    client.meta.events.register("before-sign.rekognition", add_nonce)
    return client


def error_code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def jpeg(bgr: np.ndarray, quality: int = 92) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)


def row_of_faces(*portraits: bytes, tile: int = 256) -> bytes:
    """Portraits side by side, each scaled to ``tile`` pixels square."""
    tiles = [cv2.resize(decode(p), (tile, tile), interpolation=cv2.INTER_AREA) for p in portraits]
    return jpeg(np.hstack(tiles))


def blank_jpeg() -> bytes:
    return jpeg(np.full((300, 400, 3), 200, dtype=np.uint8))


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def face_tile(portrait: bytes) -> np.ndarray:
    """A square crop around the single face in a portrait."""
    image = decode(portrait)
    detector = FaceDetector(models().detector)
    face = detector.detect(image)[0]
    side = int(max(face.w, face.h) * 1.5)
    cx, cy = int(face.x + face.w / 2), int(face.y + face.h / 2)
    top, left = max(0, cy - side // 2), max(0, cx - side // 2)
    return image[top : top + side, left : left + side]


ALL_IMAGE_CALLS = ("index", "search", "detect")


def call_with_image(rekognition: Any, collection_id: str, kind: str, data: bytes) -> Any:
    image = {"Bytes": data}
    if kind == "index":
        return rekognition.index_faces(CollectionId=collection_id, Image=image)
    if kind == "search":
        return rekognition.search_faces_by_image(CollectionId=collection_id, Image=image)
    return rekognition.detect_faces(Image=image)


# -- collections -------------------------------------------------------------------------------


def test_collection_lifecycle(make_rekognition: Callable[..., Any]) -> None:
    rekognition = sign_uniquely(make_rekognition())  # repeats changes on purpose
    name = f"life-{uuid.uuid4().hex[:8]}"
    before = datetime.now(UTC)
    created = rekognition.create_collection(CollectionId=name)
    assert created["StatusCode"] == 200
    assert created["CollectionArn"].endswith(f":collection/{name}")
    assert created["FaceModelVersion"]

    with pytest.raises(ClientError) as info:
        rekognition.create_collection(CollectionId=name)
    assert error_code(info) == "ResourceAlreadyExistsException"

    described = rekognition.describe_collection(CollectionId=name)
    after = datetime.now(UTC)
    assert described["FaceCount"] == 0
    assert described["CollectionARN"] == created["CollectionArn"]
    assert described["FaceModelVersion"] == created["FaceModelVersion"]
    # Stamped when it was created: between the call and the answer (to the precision of the
    # epoch-seconds float on the wire).
    precision = timedelta(milliseconds=1)
    assert before - precision <= described["CreationTimestamp"] <= after + precision

    assert rekognition.delete_collection(CollectionId=name)["StatusCode"] == 200
    for call in (rekognition.describe_collection, rekognition.delete_collection):
        with pytest.raises(ClientError) as info:
            call(CollectionId=name)
        assert error_code(info) == "ResourceNotFoundException"
        assert name in info.value.response["Error"]["Message"]


def test_collection_ids_are_case_sensitive(rekognition: Any) -> None:
    base = f"Case-{uuid.uuid4().hex[:8]}"
    rekognition.create_collection(CollectionId=base)
    rekognition.create_collection(CollectionId=base.lower())
    rekognition.delete_collection(CollectionId=base)
    rekognition.describe_collection(CollectionId=base.lower())
    rekognition.delete_collection(CollectionId=base.lower())


@pytest.mark.parametrize("bad", ["has space", "slash/inside", "x" * 256, "ünïcode"])
def test_bad_collection_id(rekognition: Any, bad: str) -> None:
    with pytest.raises(ClientError) as info:
        rekognition.create_collection(CollectionId=bad)
    assert error_code(info) == "InvalidParameterException"
    assert "CollectionId" in info.value.response["Error"]["Message"]


def test_list_collections_paginates(rekognition: Any) -> None:
    names = [f"page-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    for name in names:
        rekognition.create_collection(CollectionId=name)
    seen: list[str] = []
    versions: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = rekognition.list_collections(**kwargs)
        assert len(page["CollectionIds"]) <= 2
        seen.extend(page["CollectionIds"])
        versions.extend(page["FaceModelVersions"])
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages >= 2
    assert len(seen) == len(set(seen)) == len(versions)
    positions = [seen.index(name) for name in names]
    assert positions == sorted(positions)  # creation order
    paginator = rekognition.get_paginator("list_collections")
    everything = [
        c for p in paginator.paginate(PaginationConfig={"PageSize": 1}) for c in p["CollectionIds"]
    ]
    assert set(names) <= set(everything)
    for name in names:
        rekognition.delete_collection(CollectionId=name)
    with pytest.raises(ClientError) as info:
        rekognition.list_collections(NextToken="not-a-token")
    assert error_code(info) == "InvalidPaginationTokenException"


# -- IndexFaces --------------------------------------------------------------------------------


def test_index_faces_records_and_metadata(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes
) -> None:
    result = rekognition.index_faces(
        CollectionId=collection_id,
        Image={"Bytes": astronaut_jpeg},
        ExternalImageId="person-1a2b:v1",
        DetectionAttributes=["DEFAULT"],
    )
    assert result["FaceModelVersion"]
    assert result["UnindexedFaces"] == []
    (record,) = result["FaceRecords"]
    face, detail = record["Face"], record["FaceDetail"]
    uuid.UUID(face["FaceId"])
    uuid.UUID(face["ImageId"])
    assert face["ExternalImageId"] == "person-1a2b:v1"
    assert 85 < face["Confidence"] <= 100
    box = face["BoundingBox"]
    assert 0 < box["Left"] < 1 and 0 < box["Top"] < 1
    assert 0.1 < box["Width"] < 0.4 and 0.1 < box["Height"] < 0.4
    assert {lm["Type"] for lm in detail["Landmarks"]} == {
        "eyeLeft",
        "eyeRight",
        "nose",
        "mouthLeft",
        "mouthRight",
    }
    assert set(detail["Pose"]) == {"Roll", "Yaw", "Pitch"}
    assert 0 <= detail["Quality"]["Brightness"] <= 100
    assert 0 <= detail["Quality"]["Sharpness"] <= 100
    assert rekognition.describe_collection(CollectionId=collection_id)["FaceCount"] == 1


def test_index_faces_without_external_id(
    rekognition: Any, collection_id: str, grace_hopper_jpeg: bytes
) -> None:
    result = rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": grace_hopper_jpeg})
    assert "ExternalImageId" not in result["FaceRecords"][0]["Face"]
    listed = rekognition.list_faces(CollectionId=collection_id)["Faces"]
    assert "ExternalImageId" not in listed[0]


@pytest.mark.parametrize("bad", ["has space", "name/with/slash", "é", "x" * 256])
def test_bad_external_image_id(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes, bad: str
) -> None:
    with pytest.raises(ClientError) as info:
        rekognition.index_faces(
            CollectionId=collection_id, Image={"Bytes": astronaut_jpeg}, ExternalImageId=bad
        )
    assert error_code(info) == "InvalidParameterException"
    assert "ExternalImageId" in info.value.response["Error"]["Message"]
    assert rekognition.describe_collection(CollectionId=collection_id)["FaceCount"] == 0


def test_index_faces_no_face_is_empty_not_error(rekognition: Any, collection_id: str) -> None:
    result = rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": blank_jpeg()})
    assert result["FaceRecords"] == []
    assert result["UnindexedFaces"] == []


def test_index_faces_max_faces_keeps_largest(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes, grace_hopper_jpeg: bytes
) -> None:
    big = cv2.resize(decode(grace_hopper_jpeg), (400, 400), interpolation=cv2.INTER_AREA)
    small = cv2.resize(decode(astronaut_jpeg), (300, 300), interpolation=cv2.INTER_AREA)
    canvas = np.full((400, 720, 3), 255, dtype=np.uint8)
    canvas[:, :400] = big
    canvas[50:350, 410:710] = small
    result = rekognition.index_faces(
        CollectionId=collection_id, Image={"Bytes": jpeg(canvas)}, MaxFaces=1
    )
    (record,) = result["FaceRecords"]
    assert record["Face"]["BoundingBox"]["Left"] < 0.5  # Grace Hopper's, the larger face
    (unindexed,) = result["UnindexedFaces"]
    assert unindexed["Reasons"] == ["EXCEEDS_MAX_FACES"]
    assert unindexed["FaceDetail"]["BoundingBox"]["Left"] > 0.5


def test_quality_filter_levels(rekognition: Any, collection_id: str, astronaut_jpeg: bytes) -> None:
    # The astronaut portrait scaled so the face is about 55 px: passes LOW/MEDIUM, fails HIGH.
    small = jpeg(cv2.resize(decode(astronaut_jpeg), (320, 320), interpolation=cv2.INTER_AREA))
    high = rekognition.index_faces(
        CollectionId=collection_id, Image={"Bytes": small}, QualityFilter="HIGH"
    )
    assert high["FaceRecords"] == []
    (rejected,) = high["UnindexedFaces"]
    assert "SMALL_BOUNDING_BOX" in rejected["Reasons"]
    for level in ("NONE", "LOW", "MEDIUM", "AUTO"):
        result = rekognition.index_faces(
            CollectionId=collection_id, Image={"Bytes": small}, QualityFilter=level
        )
        assert len(result["FaceRecords"]) == 1, level
    assert rekognition.describe_collection(CollectionId=collection_id)["FaceCount"] == 4
    with pytest.raises(ClientError) as info:
        rekognition.search_faces_by_image(
            CollectionId=collection_id, Image={"Bytes": small}, QualityFilter="HIGH"
        )
    assert error_code(info) == "InvalidParameterException"
    assert "SMALL_BOUNDING_BOX" in info.value.response["Error"]["Message"]


def test_blurred_face_fails_sharpness_bar(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes
) -> None:
    blurred = jpeg(cv2.GaussianBlur(decode(astronaut_jpeg), (0, 0), 3))
    (detail,) = rekognition.detect_faces(Image={"Bytes": blurred})["FaceDetails"]
    assert detail["Quality"]["Sharpness"] < 10
    result = rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": blurred})
    assert result["FaceRecords"] == []  # the default AUTO bar refuses it
    assert result["UnindexedFaces"][0]["Reasons"] == ["LOW_SHARPNESS"]
    kept = rekognition.index_faces(
        CollectionId=collection_id, Image={"Bytes": blurred}, QualityFilter="NONE"
    )
    assert len(kept["FaceRecords"]) == 1


def test_dark_face_fails_brightness_bar(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes
) -> None:
    dark = jpeg((decode(astronaut_jpeg).astype(np.float32) * 0.22).astype(np.uint8))
    detected = rekognition.detect_faces(Image={"Bytes": dark})["FaceDetails"]
    assert detected, "the darkened face should still be detected"
    result = rekognition.index_faces(
        CollectionId=collection_id, Image={"Bytes": dark}, QualityFilter="HIGH"
    )
    assert result["FaceRecords"] == []
    assert result["UnindexedFaces"][0]["Reasons"] == ["LOW_BRIGHTNESS"]


def test_s3_object_images_refused(rekognition: Any, collection_id: str) -> None:
    with pytest.raises(ClientError) as info:
        rekognition.index_faces(
            CollectionId=collection_id,
            Image={"S3Object": {"Bucket": "shop-photos", "Name": "k.jpg"}},
        )
    assert error_code(info) == "InvalidParameterException"
    assert "Bytes" in info.value.response["Error"]["Message"]


def test_operations_on_missing_collection(rekognition: Any, astronaut_jpeg: bytes) -> None:
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    calls = [
        lambda: rekognition.index_faces(CollectionId=missing, Image={"Bytes": astronaut_jpeg}),
        lambda: rekognition.search_faces_by_image(
            CollectionId=missing, Image={"Bytes": astronaut_jpeg}
        ),
        lambda: rekognition.search_faces(CollectionId=missing, FaceId=FACE_ID),
        lambda: rekognition.list_faces(CollectionId=missing),
        lambda: rekognition.delete_faces(CollectionId=missing, FaceIds=[FACE_ID]),
    ]
    for call in calls:
        with pytest.raises(ClientError) as info:
            call()
        assert error_code(info) == "ResourceNotFoundException"


# -- searching ---------------------------------------------------------------------------------


def test_search_faces_by_image_threshold_order_and_max(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes, grace_hopper_jpeg: bytes
) -> None:
    astro_ids = []
    for size in (512, 400, 300):
        scaled = jpeg(
            cv2.resize(decode(astronaut_jpeg), (size, size), interpolation=cv2.INTER_AREA)
        )
        record = rekognition.index_faces(
            CollectionId=collection_id, Image={"Bytes": scaled}, ExternalImageId=f"astro-{size}"
        )["FaceRecords"][0]
        astro_ids.append(record["Face"]["FaceId"])
    grace_id = rekognition.index_faces(
        CollectionId=collection_id, Image={"Bytes": grace_hopper_jpeg}, ExternalImageId="grace"
    )["FaceRecords"][0]["Face"]["FaceId"]

    result = rekognition.search_faces_by_image(
        CollectionId=collection_id, Image={"Bytes": astronaut_jpeg}
    )
    assert result["SearchedFaceConfidence"] > 85
    assert 0 < result["SearchedFaceBoundingBox"]["Width"] < 1
    matches = result["FaceMatches"]
    assert {m["Face"]["FaceId"] for m in matches} == set(astro_ids)
    similarities = [m["Similarity"] for m in matches]
    assert similarities == sorted(similarities, reverse=True)
    assert all(80 <= s <= 100 for s in similarities)
    assert matches[0]["Face"]["ExternalImageId"] == "astro-512"
    # The face's own version also says it was embedded with its mirror (the engine's default),
    # so ListFaces shows which faces predate flip test-time augmentation.
    assert matches[0]["Face"]["IndexFacesModelVersion"] == result["FaceModelVersion"] + "+flip"
    listed = rekognition.list_faces(CollectionId=collection_id)["Faces"]
    assert {face["IndexFacesModelVersion"] for face in listed} == {
        result["FaceModelVersion"] + "+flip"
    }

    capped = rekognition.search_faces_by_image(
        CollectionId=collection_id, Image={"Bytes": astronaut_jpeg}, MaxFaces=2
    )["FaceMatches"]
    assert [m["Face"]["FaceId"] for m in capped] == [m["Face"]["FaceId"] for m in matches[:2]]

    everyone = rekognition.search_faces_by_image(
        CollectionId=collection_id, Image={"Bytes": astronaut_jpeg}, FaceMatchThreshold=0
    )["FaceMatches"]
    assert everyone[-1]["Face"]["FaceId"] == grace_id
    assert everyone[-1]["Similarity"] < 80

    strict = rekognition.search_faces_by_image(
        CollectionId=collection_id, Image={"Bytes": astronaut_jpeg}, FaceMatchThreshold=99.9
    )["FaceMatches"]
    assert all(m["Similarity"] >= 99.9 for m in strict)
    assert len(strict) < len(matches) + 1


def test_search_faces_by_image_needs_a_face(rekognition: Any, collection_id: str) -> None:
    with pytest.raises(ClientError) as info:
        rekognition.search_faces_by_image(CollectionId=collection_id, Image={"Bytes": blank_jpeg()})
    assert error_code(info) == "InvalidParameterException"
    assert "no faces" in info.value.response["Error"]["Message"]


def test_search_faces_by_image_uses_largest_face(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes, grace_hopper_jpeg: bytes
) -> None:
    rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": astronaut_jpeg})
    big = cv2.resize(decode(astronaut_jpeg), (480, 480), interpolation=cv2.INTER_AREA)
    small = cv2.resize(decode(grace_hopper_jpeg), (200, 200), interpolation=cv2.INTER_AREA)
    canvas = np.full((480, 700, 3), 255, dtype=np.uint8)
    canvas[:, 220:700] = big
    canvas[140:340, 0:200] = small
    result = rekognition.search_faces_by_image(
        CollectionId=collection_id, Image={"Bytes": jpeg(canvas)}
    )
    assert result["SearchedFaceBoundingBox"]["Left"] > 220 / 700
    assert len(result["FaceMatches"]) == 1


def test_search_empty_collection(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes
) -> None:
    result = rekognition.search_faces_by_image(
        CollectionId=collection_id, Image={"Bytes": astronaut_jpeg}, FaceMatchThreshold=0
    )
    assert result["FaceMatches"] == []


def test_search_faces_by_face_id(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes, grace_hopper_jpeg: bytes
) -> None:
    two = row_of_faces(astronaut_jpeg, astronaut_jpeg)
    first, second = (
        r["Face"]["FaceId"]
        for r in rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": two})[
            "FaceRecords"
        ]
    )
    rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": grace_hopper_jpeg})
    result = rekognition.search_faces(CollectionId=collection_id, FaceId=first)
    assert result["SearchedFaceId"] == first
    assert [m["Face"]["FaceId"] for m in result["FaceMatches"]] == [second]
    assert result["FaceMatches"][0]["Similarity"] > 95
    capped = rekognition.search_faces(
        CollectionId=collection_id, FaceId=first, FaceMatchThreshold=0, MaxFaces=1
    )
    assert len(capped["FaceMatches"]) == 1

    with pytest.raises(ClientError) as info:
        rekognition.search_faces(CollectionId=collection_id, FaceId=FACE_ID)
    assert error_code(info) == "InvalidParameterException"
    with pytest.raises(ClientError) as info:
        rekognition.search_faces(CollectionId=collection_id, FaceId="not-a-uuid")
    assert error_code(info) == "InvalidParameterException"


@pytest.mark.parametrize(
    "params",
    [
        {"FaceMatchThreshold": 101.0},
        {"FaceMatchThreshold": -1.0},
        {"MaxFaces": 0},
        {"MaxFaces": 5000},
        {"QualityFilter": "BEST"},
    ],
)
def test_bad_search_parameters(
    make_rekognition: Callable[..., Any],
    collection_id: str,
    astronaut_jpeg: bytes,
    params: dict[str, Any],
) -> None:
    # boto3 validates some of these itself; turn that off so the engine's checks are exercised.
    client = make_rekognition(
        config=Config(parameter_validation=False, retries={"max_attempts": 1}, proxies={})
    )
    with pytest.raises(ClientError) as info:
        client.search_faces_by_image(
            CollectionId=collection_id, Image={"Bytes": astronaut_jpeg}, **params
        )
    assert error_code(info) == "InvalidParameterException"


# -- listing and deleting ----------------------------------------------------------------------


def test_list_faces_pagination_and_filter(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes, grace_hopper_jpeg: bytes
) -> None:
    image = row_of_faces(astronaut_jpeg, grace_hopper_jpeg, astronaut_jpeg, grace_hopper_jpeg)
    indexed = rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": image})
    ids = [r["Face"]["FaceId"] for r in indexed["FaceRecords"]]
    assert len(ids) == 4
    image_ids = {r["Face"]["ImageId"] for r in indexed["FaceRecords"]}
    assert len(image_ids) == 1  # one ImageId per input image

    listed: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"CollectionId": collection_id, "MaxResults": 3}
        if token:
            kwargs["NextToken"] = token
        page = rekognition.list_faces(**kwargs)
        listed.extend(face["FaceId"] for face in page["Faces"])
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 2
    assert listed == ids  # indexing order

    only = rekognition.list_faces(CollectionId=collection_id, FaceIds=[ids[2], FACE_ID])
    assert [face["FaceId"] for face in only["Faces"]] == [ids[2]]

    first_page = rekognition.list_faces(CollectionId=collection_id, MaxResults=1)
    other = f"other-{uuid.uuid4().hex[:8]}"
    rekognition.create_collection(CollectionId=other)
    try:
        with pytest.raises(ClientError) as info:
            rekognition.list_faces(CollectionId=other, NextToken=first_page["NextToken"])
        assert error_code(info) == "InvalidPaginationTokenException"
    finally:
        rekognition.delete_collection(CollectionId=other)
    with pytest.raises(ClientError) as info:  # an unknown user (see test_engine_users.py)
        rekognition.list_faces(CollectionId=collection_id, UserId="someone")
    assert error_code(info) == "ResourceNotFoundException"


def test_delete_faces(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes, grace_hopper_jpeg: bytes
) -> None:
    astro = rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": astronaut_jpeg})
    grace = rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": grace_hopper_jpeg})
    astro_id = astro["FaceRecords"][0]["Face"]["FaceId"]
    grace_id = grace["FaceRecords"][0]["Face"]["FaceId"]

    result = rekognition.delete_faces(CollectionId=collection_id, FaceIds=[astro_id, FACE_ID])
    assert result["DeletedFaces"] == [astro_id]
    assert result["UnsuccessfulFaceDeletions"] == [
        {"FaceId": FACE_ID, "Reasons": ["FACE_NOT_FOUND"]}
    ]
    assert rekognition.describe_collection(CollectionId=collection_id)["FaceCount"] == 1
    remaining = rekognition.list_faces(CollectionId=collection_id)["Faces"]
    assert [face["FaceId"] for face in remaining] == [grace_id]
    search = rekognition.search_faces_by_image(
        CollectionId=collection_id, Image={"Bytes": astronaut_jpeg}, FaceMatchThreshold=50
    )
    assert search["FaceMatches"] == []

    again = rekognition.delete_faces(CollectionId=collection_id, FaceIds=[astro_id])
    assert again["DeletedFaces"] == []
    with pytest.raises(ClientError) as info:
        rekognition.delete_faces(CollectionId=collection_id, FaceIds=["nope"])
    assert error_code(info) == "InvalidParameterException"


def test_delete_collection_removes_faces(
    make_rekognition: Callable[..., Any], astronaut_jpeg: bytes
) -> None:
    rekognition = sign_uniquely(make_rekognition())  # creates the same collection twice
    name = f"drop-{uuid.uuid4().hex[:8]}"
    rekognition.create_collection(CollectionId=name)
    rekognition.index_faces(CollectionId=name, Image={"Bytes": astronaut_jpeg})
    rekognition.delete_collection(CollectionId=name)
    rekognition.create_collection(CollectionId=name)
    assert rekognition.describe_collection(CollectionId=name)["FaceCount"] == 0
    assert rekognition.list_faces(CollectionId=name)["Faces"] == []
    rekognition.delete_collection(CollectionId=name)


# -- DetectFaces and unsupported calls ---------------------------------------------------------


def test_detect_faces(rekognition: Any, astronaut_jpeg: bytes, grace_hopper_jpeg: bytes) -> None:
    image = row_of_faces(astronaut_jpeg, grace_hopper_jpeg)
    details = rekognition.detect_faces(Image={"Bytes": image}, Attributes=["ALL"])["FaceDetails"]
    assert len(details) == 2
    for detail in details:
        box = detail["BoundingBox"]
        assert 0 <= box["Left"] < 1 and 0 <= box["Top"] < 1
        assert detail["Confidence"] > 80
        eye_left, eye_right = detail["Landmarks"][0], detail["Landmarks"][1]
        assert (eye_left["Type"], eye_right["Type"]) == ("eyeLeft", "eyeRight")
        assert eye_left["X"] < eye_right["X"]
    assert rekognition.detect_faces(Image={"Bytes": blank_jpeg()})["FaceDetails"] == []


def test_unsupported_operation(rekognition: Any, astronaut_jpeg: bytes) -> None:
    with pytest.raises(ClientError) as info:
        rekognition.compare_faces(
            SourceImage={"Bytes": astronaut_jpeg}, TargetImage={"Bytes": astronaut_jpeg}
        )
    assert error_code(info) == "UnknownOperationException"
    assert "CompareFaces" in info.value.response["Error"]["Message"]


# -- request images ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_IMAGE_CALLS)
@pytest.mark.parametrize("name", PORTRAIT_CASE_NAMES)
def test_request_images(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes, name: str, kind: str
) -> None:
    """Each case of the shared matrix, through every call that takes an image."""
    case = image_cases()[name]
    if case.request is not None:
        code, message = error_of(
            lambda: call_with_image(rekognition, collection_id, kind, case.data)
        )
        too_large = case.request == TOO_LARGE
        assert code == ("ImageTooLargeException" if too_large else "InvalidImageFormatException")
        for word in case.words:
            assert word in message
        if case.request in (NOT_IMAGE, UNSUPPORTED_FORMAT):
            assert "JPEG or PNG" in message
        assert rekognition.describe_collection(CollectionId=collection_id)["FaceCount"] == 0
        return
    if kind == "search":
        rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": astronaut_jpeg})
    result = call_with_image(rekognition, collection_id, kind, case.data)
    if kind == "index":
        assert len(result["FaceRecords"]) == 1
    elif kind == "search":
        assert len(result["FaceMatches"]) == 1
        assert result["FaceMatches"][0]["Similarity"] > 95
    else:
        assert len(result["FaceDetails"]) == 1
        assert abs(result["FaceDetails"][0]["Pose"]["Roll"]) < 15  # upright, EXIF applied


def test_image_over_five_megabytes(rekognition: Any, collection_id: str) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (1700, 1700, 3), dtype=np.uint8)
    big = jpeg(noise, quality=100)
    assert len(big) > 5 * 1024 * 1024
    code, message = error_of(
        lambda: rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": big})
    )
    assert code == "ImageTooLargeException"
    assert "5242880" in message


def test_exif_rotation_is_applied(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes
) -> None:
    upright = Image.open(io.BytesIO(astronaut_jpeg)).convert("RGB")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # pixels lie on their side
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=92, exif=exif.tobytes())
    rotated = buffer.getvalue()

    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", quality=92)
    sideways = buffer.getvalue()  # the same pixels without the orientation tag

    rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": astronaut_jpeg})
    # Read sideways, the face is not recognised: the orientation must be applied for a match.
    try:
        unrotated = rekognition.search_faces_by_image(
            CollectionId=collection_id, Image={"Bytes": sideways}
        )["FaceMatches"]
    except rekognition.exceptions.InvalidParameterException:
        unrotated = []  # or not even detected
    assert unrotated == []
    result = rekognition.search_faces_by_image(CollectionId=collection_id, Image={"Bytes": rotated})
    assert len(result["FaceMatches"]) == 1
    assert result["FaceMatches"][0]["Similarity"] > 95
    detail = rekognition.detect_faces(Image={"Bytes": rotated})["FaceDetails"][0]
    assert abs(detail["Pose"]["Roll"]) < 15


def test_many_faces_capped_largest_first(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes, grace_hopper_jpeg: bytes
) -> None:
    tiles = [face_tile(astronaut_jpeg), face_tile(grace_hopper_jpeg)]
    cell, columns = 85, 12  # 144 faces
    canvas = np.full((cell * columns, cell * columns, 3), 255, dtype=np.uint8)
    sizes = []
    for index in range(columns * columns):
        row, col = divmod(index, columns)
        size = 48 + (index * 7) % 36  # 48..83 px tiles, varied
        tile = cv2.resize(tiles[index % 2], (size, size), interpolation=cv2.INTER_AREA)
        canvas[row * cell : row * cell + size, col * cell : col * cell + size] = tile
        sizes.append(size)
    crowd = jpeg(canvas, quality=92)

    detected = rekognition.detect_faces(Image={"Bytes": crowd})["FaceDetails"]
    assert len(detected) == 100  # capped at the 100 largest
    areas = [d["BoundingBox"]["Width"] * d["BoundingBox"]["Height"] for d in detected]
    assert areas == sorted(areas, reverse=True)

    result = rekognition.index_faces(
        CollectionId=collection_id, Image={"Bytes": crowd}, MaxFaces=5, QualityFilter="NONE"
    )
    indexed = result["FaceRecords"]
    assert len(indexed) == 5
    unindexed = result["UnindexedFaces"]
    assert len(unindexed) == 95
    assert all(u["Reasons"] == ["EXCEEDS_MAX_FACES"] for u in unindexed)
    smallest_indexed = min(
        r["Face"]["BoundingBox"]["Width"] * r["Face"]["BoundingBox"]["Height"] for r in indexed
    )
    largest_skipped = max(
        u["FaceDetail"]["BoundingBox"]["Width"] * u["FaceDetail"]["BoundingBox"]["Height"]
        for u in unindexed
    )
    assert smallest_indexed >= largest_skipped
    assert rekognition.describe_collection(CollectionId=collection_id)["FaceCount"] == 5
