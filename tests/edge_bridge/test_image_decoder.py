"""The image decoder on the shared case matrix, and its limits, bomb guards and conversions."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageFile
import pytest

from edge_bridge.engine.operations import EngineLimits
from edge_bridge.image_decoder import (
    TOO_LARGE,
    ImageFormat,
    ImageLimits,
    ImageRejected,
    check_size,
    decode,
)
from edge_bridge.sources import CAMERA_IMAGE_LIMITS
from tests.edge_bridge.image_cases import (
    CASE_NAMES,
    PROFILES,
    assert_decoded,
    bilevel_png,
    encode,
    image_cases,
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
