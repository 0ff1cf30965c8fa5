"""Tests for image normalisation: every bad input ends in a clear ImageError."""

from __future__ import annotations

from io import BytesIO
import os
from pathlib import Path
import random
import struct
from typing import Any
import warnings
import zlib

from PIL import Image
import pytest

from custom_components.smartshop.imaging import (
    BoundingBox,
    ImageError,
    PreparedImage,
    crop_region,
    prepare_image,
)

FACES = Path(__file__).parent.parent / "fixtures" / "faces"


def _encode(image: Image.Image, fmt: str, **params: Any) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def _open(prepared: PreparedImage) -> Image.Image:
    image = Image.open(BytesIO(prepared.jpeg))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (prepared.width, prepared.height)
    return image


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose SOF header is patched to claim width x height."""
    data = bytearray(_encode(Image.new("RGB", (100, 100), (10, 20, 30)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.fixture(name="astronaut")
def astronaut_fixture() -> bytes:
    return (FACES / "astronaut.jpg").read_bytes()


@pytest.fixture(name="no_warnings")
def no_warnings_fixture() -> Any:
    """Any warning (e.g. Pillow's DecompressionBombWarning) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_real_photo_is_reencoded(astronaut: bytes) -> None:
    prepared = prepare_image(astronaut)
    assert (prepared.width, prepared.height) == (512, 512)
    _open(prepared)
    assert "bytes" in repr(prepared)
    assert "\\x" not in repr(prepared)


def test_progressive_jpeg_accepted() -> None:
    prepared = prepare_image((FACES / "grace_hopper.jpg").read_bytes())
    assert (prepared.width, prepared.height) == (512, 512)


def test_metadata_is_stripped(astronaut: bytes) -> None:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    source = _encode(Image.open(BytesIO(astronaut)), "JPEG", exif=exif, comment=b"secret")
    image = _open(prepare_image(source))
    assert not image.getexif()
    assert "comment" not in image.info


def test_empty() -> None:
    with pytest.raises(ImageError) as err:
        prepare_image(b"")
    assert err.value.reason == "empty"
    assert "empty" in str(err.value)


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
        random.Random(7).randbytes(2048),
        b"GIF89a" + b"\x00" * 100,
        b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 100,
        b"\xff\xd8\xff" + b"not a jpeg at all" * 10,
    ],
    ids=["html", "random", "gif", "webp", "jpeg-magic-garbage"],
)
def test_not_an_image(data: bytes) -> None:
    with pytest.raises(ImageError) as err:
        prepare_image(data)
    assert err.value.reason == "not_an_image"


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.01], ids=["half", "most", "header-only"])
def test_truncated_jpeg(astronaut: bytes, keep: float) -> None:
    with pytest.raises(ImageError) as err:
        prepare_image(astronaut[: int(len(astronaut) * keep)])
    assert err.value.reason == "truncated"
    assert "truncated" in str(err.value)


def test_truncated_png() -> None:
    png = _encode(Image.new("RGB", (200, 200), (1, 2, 3)), "PNG")
    with pytest.raises(ImageError) as err:
        prepare_image(png[:30])
    assert err.value.reason == "truncated"


def test_cmyk_jpeg_converted() -> None:
    cmyk = Image.new("CMYK", (120, 100), (200, 30, 0, 10))
    expected = cmyk.convert("RGB").getpixel((60, 50))
    assert isinstance(expected, tuple)
    image = _open(prepare_image(_encode(cmyk, "JPEG", quality=95)))
    pixel = image.getpixel((60, 50))
    assert isinstance(pixel, tuple)
    assert all(abs(a - b) <= 8 for a, b in zip(pixel, expected, strict=True))


def test_greyscale_jpeg_converted() -> None:
    image = _open(prepare_image(_encode(Image.new("L", (100, 100), 77), "JPEG")))
    red, green, blue = image.getpixel((50, 50))  # type: ignore[misc]
    assert red == green == blue
    assert abs(red - 77) <= 2


def test_sixteen_bit_greyscale_scaled_not_clipped() -> None:
    wide = Image.new("I;16", (100, 100), 32768)
    png = _encode(wide, "PNG")
    assert Image.open(BytesIO(png)).mode.startswith("I")
    red, _, _ = _open(prepare_image(png)).getpixel((50, 50))  # type: ignore[misc]
    assert abs(red - 128) <= 2


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_composited_on_white(mode: str) -> None:
    image = Image.new(mode, (100, 100), 0)  # fully transparent black
    opaque = (0, 0, 0, 255) if mode == "RGBA" else (0, 255)
    image.paste(opaque, (0, 0, 50, 100))
    out = _open(prepare_image(_encode(image, "PNG")))
    assert all(value >= 250 for value in out.getpixel((90, 50)))  # type: ignore[union-attr]
    assert all(value <= 5 for value in out.getpixel((10, 50)))  # type: ignore[union-attr]


def test_palette_with_transparency_composited_on_white() -> None:
    image = Image.new("P", (100, 100), 0)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(1, (0, 0, 50, 100))
    data = _encode(image, "PNG", transparency=0)
    out = _open(prepare_image(data))
    assert all(value >= 250 for value in out.getpixel((90, 50)))  # type: ignore[union-attr]
    red, green, _ = out.getpixel((10, 50))  # type: ignore[misc]
    assert red >= 240
    assert green <= 15


def test_exif_orientation_applied() -> None:
    image = Image.new("RGB", (200, 100), (255, 0, 0))
    image.paste((0, 0, 255), (100, 0, 200, 100))  # left red, right blue
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    prepared = prepare_image(_encode(image, "JPEG", exif=exif))
    assert (prepared.width, prepared.height) == (100, 200)
    out = _open(prepared)
    top_red, _, top_blue = out.getpixel((50, 20))  # type: ignore[misc]
    bottom_red, _, bottom_blue = out.getpixel((50, 180))  # type: ignore[misc]
    assert top_red > 200 > top_blue
    assert bottom_blue > 200 > bottom_red
    assert 0x0112 not in out.getexif()


@pytest.mark.usefixtures("no_warnings")
def test_png_decompression_bomb_refused_from_header() -> None:
    bomb = _png_claiming(20000, 20000)
    assert len(bomb) < 200
    with pytest.raises(ImageError) as err:
        prepare_image(bomb)
    assert err.value.reason == "too_many_pixels"
    assert "20000x20000" in str(err.value)


@pytest.mark.usefixtures("no_warnings")
def test_real_palette_png_bomb_refused() -> None:
    bomb = _encode(Image.new("1", (20000, 20000)), "PNG")
    assert len(bomb) < 100_000
    with pytest.raises(ImageError) as err:
        prepare_image(bomb)
    assert err.value.reason == "too_many_pixels"


@pytest.mark.usefixtures("no_warnings")
def test_jpeg_bomb_refused_when_even_eighth_scale_is_too_big() -> None:
    with pytest.raises(ImageError) as err:
        prepare_image(_jpeg_claiming(65000, 65000))
    assert err.value.reason == "too_many_pixels"


def test_pixel_cap_is_configurable() -> None:
    png = _encode(Image.new("RGB", (300, 300)), "PNG")
    with pytest.raises(ImageError) as err:
        prepare_image(png, max_pixels=50_000)
    assert err.value.reason == "too_many_pixels"


@pytest.mark.usefixtures("no_warnings")
def test_huge_jpeg_decoded_at_reduced_scale_and_downscaled() -> None:
    # 108 megapixels: above the 50 MP cap and above Pillow's own warning threshold.
    big = _encode(Image.new("RGB", (12000, 9000), (90, 120, 150)), "JPEG", quality=50)
    prepared = prepare_image(big)
    assert (prepared.width, prepared.height) == (4096, 3072)
    assert len(prepared.jpeg) <= 5 * 1024 * 1024
    _open(prepared)


def test_long_side_downscaled_to_max_side() -> None:
    wide = _encode(Image.new("RGB", (5000, 200), (5, 6, 7)), "PNG")
    prepared = prepare_image(wide)
    assert (prepared.width, prepared.height) == (4096, 164)


def test_over_five_megabytes_recompressed_under_limit() -> None:
    noise = Image.frombytes("RGB", (3200, 2400), os.urandom(3200 * 2400 * 3))
    data = _encode(noise, "JPEG", quality=95)
    assert len(data) > 5 * 1024 * 1024
    prepared = prepare_image(data)
    assert len(prepared.jpeg) <= 5 * 1024 * 1024
    assert max(prepared.width, prepared.height) <= 4096
    _open(prepared)


def test_shrinks_when_quality_alone_is_not_enough() -> None:
    noise = Image.frombytes("RGB", (1000, 1000), os.urandom(1000 * 1000 * 3))
    prepared = prepare_image(_encode(noise, "PNG"), max_bytes=150_000)
    assert len(prepared.jpeg) <= 150_000
    assert prepared.width < 1000
    assert prepared.width == prepared.height


def test_refuses_when_it_cannot_fit_without_going_below_min_side() -> None:
    noise = Image.frombytes("RGB", (1000, 1000), os.urandom(1000 * 1000 * 3))
    with pytest.raises(ImageError) as err:
        prepare_image(_encode(noise, "PNG"), max_bytes=150_000, min_side=900)
    assert err.value.reason == "too_many_pixels"


@pytest.mark.parametrize("size", [(79, 300), (300, 79), (40, 40)])
def test_too_small_refused(size: tuple[int, int]) -> None:
    with pytest.raises(ImageError) as err:
        prepare_image(_encode(Image.new("RGB", size), "PNG"))
    assert err.value.reason == "too_small"
    assert "80" in str(err.value)


def test_minimum_size_accepted() -> None:
    prepared = prepare_image(_encode(Image.new("RGB", (80, 80)), "PNG"))
    assert (prepared.width, prepared.height) == (80, 80)


def test_bmp_accepted() -> None:
    prepared = prepare_image(_encode(Image.new("RGB", (120, 90), (9, 9, 9)), "BMP"))
    assert (prepared.width, prepared.height) == (120, 90)


def test_bounding_box_from_aws() -> None:
    box = BoundingBox.from_aws({"Left": 0.1, "Top": 0.2, "Width": 0.3, "Height": 0.5})
    assert box == BoundingBox(left=0.1, top=0.2, width=0.3, height=0.5)
    assert box.area == pytest.approx(0.15)
    assert BoundingBox.from_aws({}).area == 0


def _square(size: int = 512) -> PreparedImage:
    return prepare_image(_encode(Image.new("RGB", (size, size), (50, 60, 70)), "PNG"))


def test_crop_region_with_margin() -> None:
    crop = crop_region(_square(), BoundingBox(left=0.25, top=0.25, width=0.5, height=0.5))
    # 0.25 - 0.15 = 0.1 -> 51 px; 0.75 + 0.15 = 0.9 -> 461 px
    assert (crop.width, crop.height) == (410, 410)
    _open(crop)


def test_crop_region_clamps_to_image() -> None:
    box = BoundingBox(left=-0.05, top=0.8, width=0.3, height=0.3)
    crop = crop_region(_square(), box, margin=0.0)
    assert (crop.width, crop.height) == (128, 103)  # x 0..128, y 409..512


def test_crop_region_upscales_small_faces() -> None:
    crop = crop_region(_square(), BoundingBox(left=0.5, top=0.5, width=0.02, height=0.04))
    assert min(crop.width, crop.height) >= 80
    assert crop.height > crop.width
    _open(crop)


def test_crop_region_real_photo(astronaut: bytes) -> None:
    prepared = prepare_image(astronaut)
    crop = crop_region(prepared, BoundingBox(0.35, 0.1, 0.2, 0.25), min_side=120)
    assert min(crop.width, crop.height) >= 120


def test_crop_region_rejects_box_outside_image() -> None:
    with pytest.raises(ValueError, match="does not overlap"):
        crop_region(_square(), BoundingBox(left=1.5, top=0.2, width=0.1, height=0.1))


def test_crop_region_rejects_negative_margin() -> None:
    with pytest.raises(ValueError, match="margin"):
        crop_region(_square(), BoundingBox(0.1, 0.1, 0.2, 0.2), margin=-0.1)
