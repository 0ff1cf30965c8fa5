"""Tests for image normalisation: every bad input ends in a clear ImageError.

The bad, odd and hostile inputs are the shared matrix in ``tests/image_cases.py``; the tests
after it cover the limits, recompression, metadata and face crops.
"""

from __future__ import annotations

from io import BytesIO
import os
from pathlib import Path
from typing import Any, get_args
import warnings

from PIL import Image
import pytest

from custom_components.smartshop.imaging import (
    BoundingBox,
    ImageError,
    ImageErrorReason,
    PreparedImage,
    crop_region,
    prepare_image,
)
from tests.image_cases import (
    CASE_NAMES,
    REENCODING_TOLERANCE,
    bgr,
    image_cases,
    mean_difference,
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


@pytest.mark.usefixtures("no_warnings")
@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_matrix(name: str) -> None:
    """Each case of the shared matrix: normalised to what it shows, or refused with its reason."""
    case = image_cases()[name]
    if case.integration is not None:
        with pytest.raises(ImageError) as err:
            prepare_image(case.data)
        assert err.value.reason == case.integration
        for word in case.integration_words:
            assert word in str(err.value)
        return
    assert case.expected is not None
    prepared = prepare_image(case.data)
    image = _open(prepared)
    assert not image.getexif()  # EXIF, orientation included, is not carried over
    pixels = bgr(image)
    assert pixels.shape == case.expected.shape
    assert mean_difference(pixels, case.expected) <= case.tolerance + REENCODING_TOLERANCE
    if (case.expected == case.expected[:, :, :1]).all():  # grey stays grey
        assert (pixels == pixels[:, :, :1]).all()


def test_case_matrix_covers_every_refusal() -> None:
    outcomes = {case.integration for case in image_cases().values()}
    assert outcomes == {None, *get_args(ImageErrorReason.__value__)}


def test_bombs_are_small_files() -> None:
    cases = image_cases()
    assert len(cases["bomb-header.png"].data) < 200
    assert len(cases["bomb.png"].data) < 100_000


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


def test_minimum_size_accepted() -> None:
    prepared = prepare_image(_encode(Image.new("RGB", (80, 80)), "PNG"))
    assert (prepared.width, prepared.height) == (80, 80)


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
