"""Recognition correctness: transformed copies match, other people do not."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image
import pytest


def decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)


def jpeg(bgr: np.ndarray, quality: int = 90) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def rotated(bgr: np.ndarray, degrees: float) -> np.ndarray:
    height, width = bgr.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(bgr, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)


TRANSFORMS = {
    "rotated-12deg": lambda img: rotated(img, 12),
    "rotated-minus-20deg": lambda img: rotated(img, -20),
    "downscaled-0.5": lambda img: cv2.resize(
        img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA
    ),
    "upscaled-2.5": lambda img: cv2.resize(
        img, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC
    ),
    "cropped-to-head": lambda img: img[20:300, 120:330],
    "mirrored": lambda img: cv2.flip(img, 1),
    "jpeg-quality-25": lambda img: decode(jpeg(img, 25)),
    "darker-and-noisy": lambda img: np.clip(
        img.astype(np.float32) * 0.6 + np.random.default_rng(3).normal(0, 6, img.shape), 0, 255
    ).astype(np.uint8),
}


@pytest.fixture
def enrolled(rekognition: Any, collection_id: str, astronaut_jpeg: bytes) -> str:
    record = rekognition.index_faces(
        CollectionId=collection_id, Image={"Bytes": astronaut_jpeg}, ExternalImageId="astronaut"
    )["FaceRecords"][0]
    return str(record["Face"]["FaceId"])


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transformed_copy_matches(
    rekognition: Any, collection_id: str, enrolled: str, astronaut_jpeg: bytes, name: str
) -> None:
    probe = jpeg(TRANSFORMS[name](decode(astronaut_jpeg)))
    result = rekognition.search_faces_by_image(CollectionId=collection_id, Image={"Bytes": probe})
    matches = result["FaceMatches"]
    assert [m["Face"]["FaceId"] for m in matches] == [enrolled], name
    assert matches[0]["Similarity"] > 95, (name, matches[0]["Similarity"])
    assert matches[0]["Face"]["ExternalImageId"] == "astronaut"


def test_other_person_does_not_match(
    rekognition: Any, collection_id: str, enrolled: str, grace_hopper_jpeg: bytes
) -> None:
    result = rekognition.search_faces_by_image(
        CollectionId=collection_id, Image={"Bytes": grace_hopper_jpeg}
    )
    assert result["FaceMatches"] == []
    scored = rekognition.search_faces_by_image(
        CollectionId=collection_id, Image={"Bytes": grace_hopper_jpeg}, FaceMatchThreshold=0
    )["FaceMatches"]
    assert scored[0]["Face"]["FaceId"] == enrolled
    assert scored[0]["Similarity"] < 80


def _identities(master: Path) -> dict[str, list[str]]:
    """Group the photos named in master.csv into people using the 'Yes' pairs."""
    with master.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        parent.setdefault(name, name)
        while parent[name] != name:
            name = parent[name]
        return name

    for row in rows:
        root(row["file_x"])
        root(row["file_y"])
        if row["Decision"] == "Yes":
            parent[root(row["file_x"])] = root(row["file_y"])
    people: dict[str, list[str]] = {}
    for name in sorted(parent):
        people.setdefault(root(name), []).append(name)
    return {f"person-{i}": files for i, files in enumerate(people.values())}


def _photo(path: Path, max_side: int = 1024) -> bytes:
    """The photo downscaled as a client would before sending (keeps the test fast)."""
    image = Image.open(path)
    image.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def test_faces_dev_identification(rekognition: Any, collection_id: str, faces_dev: Path) -> None:
    people = _identities(faces_dev / "master.csv")
    assert len(people) >= 5
    for person, files in people.items():
        result = rekognition.index_faces(
            CollectionId=collection_id,
            Image={"Bytes": _photo(faces_dev / files[0])},
            ExternalImageId=person,
            MaxFaces=1,
        )
        assert len(result["FaceRecords"]) == 1, files[0]
    failures = []
    probes = 0
    for person, files in people.items():
        for name in files[1:]:
            probes += 1
            matches = rekognition.search_faces_by_image(
                CollectionId=collection_id, Image={"Bytes": _photo(faces_dev / name)}
            )["FaceMatches"]
            found = [m["Face"]["ExternalImageId"] for m in matches]
            if found != [person]:
                failures.append((name, person, found))
    assert probes >= 10
    assert failures == []
