"""The image decoder on the shared case matrix, and its limits, bomb guards and conversions."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from PIL import Image, ImageFile
import pytest

from edge_bridge.engine.operations import EngineLimits
from edge_bridge.image_decoder import (
    CORRUPT,
    TOO_LARGE,
    TRUNCATED,
    ImageFormat,
    ImageLimits,
    ImageRejected,
    check_size,
    decode,
)
from edge_bridge.sources import CAMERA_IMAGE_LIMITS
from tests.edge_bridge.helpers_bridge import FACES
from tests.image_cases import (
    CASE_NAMES,
    PROFILES,
    assert_decoded,
    bilevel_png,
    encode,
    image_cases,
    mean_difference,
)

LIMITS = {"camera": CAMERA_IMAGE_LIMITS, "request": EngineLimits().images}
PNG_ONLY = ImageLimits((ImageFormat.PNG,), max_bytes=10**8, max_pixels=10**9)


def rgb_test_image() -> Image.Image:
    """200x100: left half red, right half blue."""
    pixels = np.zeros((100, 200, 3), dtype=np.uint8)
    pixels[:, :100] = (255, 0, 0)
    pixels[:, 100:] = (0, 0, 255)
    return Image.fromarray(pixels, "RGB")


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_matrix(name: str, profile: str) -> None:
    case = image_cases()[name]
    reason = case.outcome(profile)
    if reason is None:
        assert_decoded(decode(case.data, LIMITS[profile]), case)
        return
    with pytest.raises(ImageRejected) as info:
        decode(case.data, LIMITS[profile])
    assert info.value.reason == reason
    assert str(info.value) == info.value.message
    for word in case.words:
        assert word in info.value.message


def test_refusals_name_the_accepted_formats() -> None:
    cases = image_cases()
    with pytest.raises(ImageRejected) as info:
        decode(cases["page.jpg"].data, LIMITS["request"])
    assert "JPEG or PNG" in info.value.message
    with pytest.raises(ImageRejected) as info:
        decode(cases["disguised-gif.png"].data, LIMITS["camera"])
    assert "JPEG, PNG, BMP or WebP" in info.value.message
    assert PNG_ONLY.expected == "PNG"


def test_png_channel_order_is_bgr() -> None:
    bgr = decode(encode(rgb_test_image(), "PNG"), LIMITS["request"])
    assert tuple(bgr[50, 10]) == (0, 0, 255)  # red in BGR
    assert tuple(bgr[50, 150]) == (255, 0, 0)  # blue in BGR


def test_refuses_too_many_bytes(astronaut_jpeg: bytes) -> None:
    limits = ImageLimits((ImageFormat.JPEG,), max_bytes=1000, max_pixels=10**6)
    with pytest.raises(ImageRejected) as info:
        decode(astronaut_jpeg, limits)
    assert info.value.reason == TOO_LARGE
    assert "1000" in info.value.message
    with pytest.raises(ImageRejected) as info:
        check_size(1001, limits)  # what callers check before reading a file
    assert info.value.reason == TOO_LARGE
    check_size(1000, limits)


def test_decompression_bomb_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = bilevel_png(20_000, 20_000)
    assert len(bomb) < 200_000  # tiny on disk, 400 megapixels when decoded
    decoded: list[tuple[int, int]] = []
    pixel_decoder = ImageFile.ImageFile.load

    def watched_load(image: ImageFile.ImageFile) -> Any:
        decoded.append(image.size)
        return pixel_decoder(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", watched_load)
    for limits in LIMITS.values():
        with pytest.raises(ImageRejected) as info:
            decode(bomb, limits)
        assert info.value.reason == TOO_LARGE
    # Limits above Pillow's own guard: Pillow refuses it from the header, still undecoded.
    with pytest.raises(ImageRejected) as info:
        decode(bomb, PNG_ONLY)
    assert info.value.reason == TOO_LARGE
    assert "decompression bomb" in info.value.message
    assert decoded == []  # refused from its header: not one pixel was decoded
    assert decode(bilevel_png(300, 200), LIMITS["request"]).shape == (200, 300, 3)
    assert (300, 200) in decoded  # (a real image does go through the watched decoder)


def test_header_only_bomb_refused() -> None:
    with pytest.raises(ImageRejected) as info:
        decode(bilevel_png(20_000, 20_000, with_pixels=False), LIMITS["request"])
    assert info.value.reason == TOO_LARGE


def test_pixel_limit_below_pillow_guard() -> None:
    with pytest.raises(ImageRejected) as info:
        decode(bilevel_png(7_000, 7_000, with_pixels=False), LIMITS["request"])
    assert info.value.reason == TOO_LARGE
    assert "7000x7000" in info.value.message
    small = bilevel_png(300, 200)
    assert decode(small, LIMITS["request"]).shape == (200, 300, 3)
    tight = ImageLimits((ImageFormat.PNG,), max_bytes=10**6, max_pixels=300 * 200 - 1)
    with pytest.raises(ImageRejected):
        decode(small, tight)


def test_side_limit() -> None:
    strip = bilevel_png(16_385, 1)  # 16 kilopixels, but longer than 16384 a side
    with pytest.raises(ImageRejected) as info:
        decode(strip, LIMITS["camera"])
    assert info.value.reason == TOO_LARGE
    assert "16384 a side" in info.value.message
    assert decode(strip, LIMITS["request"]).shape == (1, 16_385, 3)  # no side limit there


def test_sixteen_bit_greyscale_png_is_scaled_not_clipped() -> None:
    values = np.array([[0, 32768, 65535]], dtype=np.uint16)
    data = encode(Image.fromarray(values), "PNG")
    bgr = decode(data, LIMITS["request"])
    assert bgr[0, :, 0].tolist() == [0, 128, 255]


def test_palette_png_with_transparency() -> None:
    image = Image.new("P", (4, 4), 0)
    image.putpalette([0, 255, 0] + [255, 0, 0] * 255)
    image.info["transparency"] = 0
    data = encode(image, "PNG", transparency=0)
    bgr = decode(data, LIMITS["request"])
    assert tuple(bgr[0, 0]) == (255, 255, 255)


def os2_bmp() -> bytes:
    """A 2x1 24-bit BMP with the old 12-byte (OS/2) header: a blue and a green pixel."""
    rows = bytes([255, 0, 0, 0, 255, 0]) + b"\x00\x00"  # BGR pixels, row padded to 4 bytes
    header = struct.pack("<IhhHH", 12, 2, 1, 1, 24)
    return b"BM" + struct.pack("<IHHI", 14 + 12 + len(rows), 0, 0, 26) + header + rows


def rle_bmp() -> bytes:
    """A 2x1 8-bit run-length (RLE8) BMP: two pixels of palette colour 1, red."""
    palette = bytes([0, 0, 0, 0, 0, 0, 255, 0])
    rle = bytes([2, 1, 0, 1])  # a run of two pixels of colour 1, then end of bitmap
    header = struct.pack("<IiiHHIIiiII", 40, 2, 1, 1, 8, 1, len(rle), 2835, 2835, 2, 0)
    start = 14 + 40 + len(palette)
    return b"BM" + struct.pack("<IHHI", start + len(rle), 0, 0, start) + header + palette + rle


def test_older_and_compressed_bmp_layouts() -> None:
    limits = LIMITS["camera"]
    assert decode(os2_bmp(), limits).tolist() == [[[255, 0, 0], [0, 255, 0]]]
    # Run-length rows have no fixed size, so only the decoder can tell whether they are all there.
    assert decode(rle_bmp(), limits).tolist() == [[[0, 0, 255], [0, 0, 255]]]
    with pytest.raises(ImageRejected) as info:
        decode(rle_bmp()[:-4], limits)  # no rows at all
    assert info.value.reason == "undecodable"


def test_lossy_webp_with_and_without_alpha() -> None:
    portrait = Image.open(FACES / "astronaut.jpg").convert("RGBA")
    upright = decode((FACES / "astronaut.jpg").read_bytes(), LIMITS["camera"])
    plain = encode(portrait.convert("RGB"), "WEBP", quality=90)
    alpha = np.full((512, 512), 255, dtype=np.uint8)
    alpha[:, 400:] = 0
    portrait.putalpha(Image.fromarray(alpha))
    extended = encode(portrait, "WEBP", quality=90)
    assert (plain[12:16], extended[12:16]) == (b"VP8 ", b"VP8X")
    assert mean_difference(decode(plain, LIMITS["camera"]), upright) < 4
    with_alpha = decode(extended, LIMITS["camera"])
    assert with_alpha[:, 400:].min() == 255  # transparent: white
    assert mean_difference(with_alpha[:, :400], upright[:, :400]) < 4


def test_greyscale_png_with_a_transparent_grey() -> None:
    grey = Image.fromarray(np.array([[0, 128]], dtype=np.uint8), "L")
    data = encode(grey, "PNG", transparency=0)
    assert decode(data, LIMITS["camera"]).tolist() == [[[255, 255, 255], [128, 128, 128]]]


HEADER_CASES = [
    ("jpeg-not-markers", b"\xff\xd8" + b"\x00" * 8, CORRUPT, "marker structure"),
    # Fill bytes and a marker without a length are walked over; then the data ends.
    (
        "jpeg-fill-then-end",
        b"\xff\xd8\xff\xff\x01\xff\xd0\xff\xe0\x00\x04\x00\x00",
        TRUNCATED,
        "frame",
    ),
    ("jpeg-scan-first", b"\xff\xd8\xff\xda\x00\x02" + b"\x00" * 8, CORRUPT, "before its frame"),
    (
        "jpeg-zero-height",
        b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x00\x00\x10\x01\x01\x11\x00\xff\xd9",
        CORRUPT,
        "no valid dimensions",
    ),
    ("png-short", b"\x89PNG\r\n\x1a\n" + b"\x00" * 10, TRUNCATED, "IHDR"),
    ("bmp-short", b"BM" + b"\x00" * 20, TRUNCATED, "header"),
    ("webp-unknown-chunk", b"RIFF\x20\x00\x00\x00WEBPXXXX" + b"\x00" * 24, CORRUPT, "WebP"),
]


@pytest.mark.parametrize(
    ("data", "reason", "words"), [c[1:] for c in HEADER_CASES], ids=[c[0] for c in HEADER_CASES]
)
def test_broken_headers(data: bytes, reason: str, words: str) -> None:
    with pytest.raises(ImageRejected) as info:
        decode(data, LIMITS["camera"])
    assert info.value.reason == reason
    assert words in info.value.message
