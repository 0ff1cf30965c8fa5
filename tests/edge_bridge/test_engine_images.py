"""Hostile and unusual images through the engine API: each gets a clear error or is handled."""

from __future__ import annotations

import io
import struct
from typing import Any
import zlib

from botocore.exceptions import ClientError
import cv2
import numpy as np
from PIL import Image
import pytest

from edge_bridge.detect import FaceDetector
from edge_bridge.model_files import locate_models


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def decode(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)


def jpeg(bgr: np.ndarray, quality: int = 90) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def bomb_png(width: int, height: int) -> bytes:
    """A real, valid 1-bit PNG of the given size that compresses to a few kilobytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    row = b"\x00" + bytes((width + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", pixels),
            chunk(b"IEND", b""),
        ]
    )


def face_tile(portrait: bytes) -> np.ndarray:
    """A square crop around the single face in a portrait."""
    image = decode(portrait)
    detector = FaceDetector(locate_models().detector)
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


@pytest.mark.parametrize("kind", ALL_IMAGE_CALLS)
def test_zero_byte_image(rekognition: Any, collection_id: str, kind: str) -> None:
    code, message = error_of(lambda: call_with_image(rekognition, collection_id, kind, b""))
    assert code == "InvalidImageFormatException"
    assert "0 bytes" in message


@pytest.mark.parametrize("kind", ALL_IMAGE_CALLS)
def test_truncated_jpeg(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes, kind: str
) -> None:
    truncated = astronaut_jpeg[: len(astronaut_jpeg) * 2 // 3]
    code, message = error_of(lambda: call_with_image(rekognition, collection_id, kind, truncated))
    assert code == "InvalidImageFormatException"
    assert "truncated" in message
    assert rekognition.describe_collection(CollectionId=collection_id)["FaceCount"] == 0


@pytest.mark.parametrize("kind", ALL_IMAGE_CALLS)
def test_html_instead_of_image(rekognition: Any, collection_id: str, kind: str) -> None:
    html = b"<html><head><title>Login</title></head><body>Please sign in</body></html>"
    code, message = error_of(lambda: call_with_image(rekognition, collection_id, kind, html))
    assert code == "InvalidImageFormatException"
    assert "JPEG or PNG" in message


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = bomb_png(20_000, 20_000)
    assert len(data) < 200_000  # tiny on the wire, 400 megapixels decoded
    return data


@pytest.mark.parametrize("kind", ALL_IMAGE_CALLS)
def test_decompression_bomb(rekognition: Any, collection_id: str, kind: str, bomb: bytes) -> None:
    code, message = error_of(lambda: call_with_image(rekognition, collection_id, kind, bomb))
    assert code == "ImageTooLargeException"
    assert "pixel" in message


def test_image_over_five_megabytes(rekognition: Any, collection_id: str) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (1700, 1700, 3), dtype=np.uint8)
    big = jpeg(noise, quality=100)
    assert len(big) > 5 * 1024 * 1024
    code, message = error_of(
        lambda: rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": big})
    )
    assert code == "ImageTooLargeException"
    assert "5242880" in message


def test_request_body_over_limit(rekognition: Any) -> None:
    huge = b"\xff\xd8" + bytes(7 * 1024 * 1024)  # about 9.3 MB once base64-encoded
    code, message = error_of(lambda: rekognition.detect_faces(Image={"Bytes": huge}))
    assert code == "ImageTooLargeException"
    assert "byte limit" in message


def test_cmyk_greyscale_and_alpha_images_are_searchable(
    rekognition: Any, collection_id: str, astronaut_jpeg: bytes
) -> None:
    rekognition.index_faces(CollectionId=collection_id, Image={"Bytes": astronaut_jpeg})
    portrait = Image.open(io.BytesIO(astronaut_jpeg))
    variants: dict[str, bytes] = {}
    buffer = io.BytesIO()
    portrait.convert("CMYK").save(buffer, format="JPEG", quality=92)
    variants["cmyk"] = buffer.getvalue()
    buffer = io.BytesIO()
    portrait.convert("L").save(buffer, format="JPEG", quality=92)
    variants["grey"] = buffer.getvalue()
    rgba = portrait.convert("RGBA")
    alpha = np.full((512, 512), 255, dtype=np.uint8)
    alpha[:, 400:] = 0  # transparent strip well away from the face
    rgba.putalpha(Image.fromarray(alpha))
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG")
    variants["png-alpha"] = buffer.getvalue()
    for name, data in variants.items():
        result = rekognition.search_faces_by_image(
            CollectionId=collection_id, Image={"Bytes": data}
        )
        assert len(result["FaceMatches"]) == 1, name
        assert result["FaceMatches"][0]["Similarity"] > 95, name


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
