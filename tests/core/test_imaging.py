"""Tests for image normalisation: every bad input ends in a clear ImageError.

The bad, odd and hostile inputs are the shared matrix in ``tests/image_cases.py``; the tests
after it cover the limits, recompression, metadata and face crops, and the decode budget (large
JPEGs decoded reduced, what cannot be decoded within it refused before decoding, at most two
decodes at once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BytesIO
import os
from pathlib import Path
import struct
import threading
import time
from typing import Any, get_args
import warnings

import numpy as np
from PIL import Image, ImageFile, JpegImagePlugin
import pytest

from custom_components.smartshop import imaging
from custom_components.smartshop.imaging import (
    MAX_CONCURRENT_DECODES,
    MAX_DECODED_PIXELS,
    MAX_PIXELS,
    BoundingBox,
    DecodedImage,
    ImageError,
    ImageErrorReason,
    PreparedImage,
    crop_region,
    decode_image,
    jpeg_is_single_scan,
    prepare_image,
)
from tests.image_cases import (
    CASE_NAMES,
    REENCODING_TOLERANCE,
    bgr,
    bilevel_png,
    image_cases,
    jpeg_claiming,
    mean_difference,
    png_claiming,
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


@pytest.fixture(name="no_decoding")
def no_decoding_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoding any pixel fails the test: refusals must come from the header alone."""

    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError(f"{self.format} pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


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


def test_jpeg_over_the_hard_cap_refused_before_decoding(no_decoding: None) -> None:
    # 108 megapixels: more than a header may claim (50 MP), though 1/4 of it would fit the budget.
    with pytest.raises(ImageError) as err:
        prepare_image(jpeg_claiming(12_000, 9_000))
    assert err.value.reason == "too_many_pixels"
    assert "12000x9000" in str(err.value)
    assert str(MAX_PIXELS) in str(err.value)


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


# --- the decode budget --------------------------------------------------------------------------

# 40 megapixels (a 7744x5164 photo); 1/2 of it is 3872x2582.
BIG = (7744, 5164)
HALF = (3872, 2582)


def _gradient(width: int, height: int) -> Image.Image:
    """Red rises left to right, green top to bottom, blue is constant: smooth, so a 40 MP JPEG
    of it is under 1 MB, and any reduction, crop or turn shows."""
    red = np.broadcast_to(np.linspace(0, 255, width).astype(np.uint8), (height, width))
    green = np.broadcast_to(np.linspace(0, 255, height).astype(np.uint8)[:, None], (height, width))
    bands = [Image.fromarray(np.ascontiguousarray(band)) for band in (red, green)]
    return Image.merge("RGB", (*bands, Image.new("L", (width, height), 128)))


@pytest.fixture(name="big_jpeg", scope="module")
def big_jpeg_fixture() -> bytes:
    """A baseline 40 MP JPEG, as a phone takes it (built once: about 160 MB while encoding)."""
    data = _encode(_gradient(*BIG), "JPEG", quality=90)
    assert len(data) < 2 * 1024 * 1024
    return data


def _with_sof(data: bytes, marker: bytes, width: int, height: int) -> bytes:
    """``data`` with its start-of-frame patched to ``marker`` and ``width`` x ``height``."""
    patched = bytearray(data)
    sof = patched.index(b"\xff\xc0")
    patched[sof : sof + 2] = marker
    patched[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(patched)


def _small_jpeg() -> bytes:
    return _encode(_gradient(160, 120), "JPEG", quality=90)


def _first_scan_with_one_component(data: bytes) -> bytes:
    """``data`` (three components) with a first scan that claims to hold one of them only, as
    in a JPEG whose components come in separate scans."""
    patched = bytearray(data)
    sos = patched.index(b"\xff\xda")
    assert patched[sos + 4] == 3
    patched[sos + 4] = 1
    return bytes(patched)


def test_scan_structure() -> None:
    baseline = _small_jpeg()
    progressive = _encode(_gradient(160, 120), "JPEG", progressive=True)
    grey = _encode(_gradient(160, 120).convert("L"), "JPEG")
    assert jpeg_is_single_scan(baseline)
    assert jpeg_is_single_scan(grey)
    assert not jpeg_is_single_scan(progressive)
    assert not jpeg_is_single_scan(_first_scan_with_one_component(baseline))
    assert not jpeg_is_single_scan(baseline[: baseline.index(b"\xff\xda")])  # no scan
    assert not jpeg_is_single_scan(b"\xff\xd8\xff\xe0" + b"\x00" * 10)
    assert not jpeg_is_single_scan(b"\xff\xd8" + b"junk" * 4)
    twice = baseline.replace(b"\xff\xda", baseline[baseline.index(b"\xff\xc0") :], 1)
    assert not jpeg_is_single_scan(twice)  # two frame headers


@pytest.mark.usefixtures("no_warnings")
def test_forty_megapixel_jpeg_decoded_at_half_size(big_jpeg: bytes) -> None:
    with decode_image(big_jpeg) as decoded:
        assert decoded.source_size == BIG
        assert decoded.reduction == 2
        assert decoded.image.size == HALF  # full-size pixels never existed
        assert decoded.image.mode == "RGB"
        difference = mean_difference(bgr(decoded.image), bgr(_gradient(*HALF)))
    assert difference <= 2.0


@pytest.mark.usefixtures("no_warnings")
def test_forty_megapixel_jpeg_prepared_from_the_reduced_decode(
    big_jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[tuple[int, int], int]] = []
    real = imaging.decode_image

    @contextmanager
    def spy(data: bytes, **limits: int) -> Iterator[DecodedImage]:
        with real(data, **limits) as decoded:
            seen.append((decoded.image.size, decoded.reduction))
            yield decoded

    monkeypatch.setattr(imaging, "decode_image", spy)
    prepared = prepare_image(big_jpeg)
    assert seen == [(HALF, 2)]
    assert (prepared.width, prepared.height) == HALF  # under 4096 px already: not resized
    assert len(prepared.jpeg) <= 5 * 1024 * 1024
    image = _open(prepared)
    assert mean_difference(bgr(image), bgr(_gradient(*HALF))) <= 2.0 + REENCODING_TOLERANCE


def test_jpeg_decoded_no_smaller_than_its_caller_needs() -> None:
    """Reduced further while the longer side stays at least max_side (and the shorter min_side)."""
    jpeg = _encode(_gradient(1600, 1200), "JPEG")
    with decode_image(jpeg, max_side=400) as decoded:
        assert (decoded.reduction, decoded.image.size) == (4, (400, 300))
    with decode_image(jpeg, max_side=400, min_side=301) as decoded:
        assert (decoded.reduction, decoded.image.size) == (2, (800, 600))
    with decode_image(jpeg) as decoded:  # needs 4096 px: within the budget, so at full size
        assert (decoded.reduction, decoded.image.size) == (1, (1600, 1200))


@pytest.mark.parametrize(
    "data",
    [png_claiming(20_000, 20_000), jpeg_claiming(20_000, 20_000)],
    ids=["png", "jpeg"],
)
def test_bomb_header_refused_before_decoding(no_decoding: None, data: bytes) -> None:
    with pytest.raises(ImageError) as err, decode_image(data):
        pytest.fail("a 400 MP header was accepted")
    assert err.value.reason == "too_many_pixels"
    assert "20000x20000" in str(err.value)
    assert "decompression bomb" in str(err.value)


def test_png_over_the_budget_refused_before_decoding(no_decoding: None) -> None:
    png = bilevel_png(6000, 6000)  # 36 MP: under the 50 MP cap, over the 16 MP budget
    assert len(png) < 100_000
    with pytest.raises(ImageError) as err:
        prepare_image(png)
    assert err.value.reason == "too_many_pixels"
    message = str(err.value)
    for words in ("PNG", "6000x6000", "full size", str(MAX_DECODED_PIXELS), "a JPEG"):
        assert words in message


def test_png_at_the_budget_decoded() -> None:
    png = bilevel_png(4000, 4000)
    prepared = prepare_image(png)
    assert (prepared.width, prepared.height) == (4000, 4000)
    assert prepared.width * prepared.height <= MAX_DECODED_PIXELS  # what the bridge accepts


@pytest.mark.parametrize(
    "data",
    [
        _with_sof(_small_jpeg(), b"\xff\xc2", *BIG),  # progressive
        _first_scan_with_one_component(_with_sof(_small_jpeg(), b"\xff\xc0", *BIG)),
    ],
    ids=["progressive", "components-in-separate-scans"],
)
def test_multi_scan_jpeg_over_the_budget_refused_before_decoding(
    no_decoding: None, data: bytes
) -> None:
    """libjpeg would hold every coefficient of the 40 MP image whatever the scale: refused."""
    with pytest.raises(ImageError) as err:
        prepare_image(data)
    assert err.value.reason == "too_many_pixels"
    message = str(err.value)
    for words in ("7744x5164", "progressive or multi-scan", str(MAX_DECODED_PIXELS), "baseline"):
        assert words in message


def test_progressive_jpeg_within_the_budget_decoded() -> None:
    progressive = _encode(_gradient(2000, 1500), "JPEG", progressive=True, quality=90)
    with decode_image(progressive, max_side=200) as decoded:
        assert (decoded.reduction, decoded.image.size) == (1, (2000, 1500))  # cannot be reduced
        assert mean_difference(bgr(decoded.image), bgr(_gradient(2000, 1500))) <= 2.0


def test_jpeg_over_the_budget_even_at_an_eighth_refused(no_decoding: None) -> None:
    with pytest.raises(ImageError) as err, decode_image(_small_jpeg(), max_decoded_pixels=200):
        pytest.fail("decoded over the budget")
    assert err.value.reason == "too_many_pixels"
    assert "1/8" in str(err.value)
    assert "160x120" in str(err.value)


def test_jpeg_refused_when_the_reduced_decode_is_not_applied(
    no_decoding: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", lambda *args: None)
    with pytest.raises(ImageError) as err:
        prepare_image(jpeg_claiming(*BIG))
    assert err.value.reason == "too_many_pixels"
    assert "reduced size" in str(err.value)


def _hold_decodes(count: int, hold: Callable[[], None]) -> list[threading.Thread]:
    png = _encode(Image.new("RGB", (100, 100), (1, 2, 3)), "PNG")

    def work() -> None:
        with decode_image(png):
            hold()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


def test_at_most_two_decodes_at_once() -> None:
    lock = threading.Lock()
    inside: list[int] = []
    most = 0
    release = threading.Event()

    def hold() -> None:
        nonlocal most
        with lock:
            inside.append(1)
            most = max(most, len(inside))
        release.wait(30)
        with lock:
            inside.pop()

    threads = _hold_decodes(6, hold)
    deadline = time.monotonic() + 10
    while len(inside) < MAX_CONCURRENT_DECODES and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # time for the four others to get in, were there room
    assert len(inside) == MAX_CONCURRENT_DECODES == 2
    release.set()
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    assert most == MAX_CONCURRENT_DECODES


def test_nested_decodes_in_one_thread_do_not_wait_for_a_second_slot() -> None:
    png = _encode(Image.new("RGB", (100, 100), (1, 2, 3)), "PNG")

    def nest(depth: int) -> Iterator[None]:
        with decode_image(png):
            if depth:
                yield from nest(depth - 1)
            else:
                yield

    done = threading.Event()
    # Another thread holds one slot: a nested decode that took a second one would hang.
    release = threading.Event()
    others = _hold_decodes(1, lambda: release.wait(30))

    def run() -> None:
        for _ in nest(MAX_CONCURRENT_DECODES + 1):
            done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    release.set()
    others[0].join(10)
    assert done.is_set()
    assert not thread.is_alive()


def test_decode_slot_released_after_a_refusal() -> None:
    """A decode that fails (here: too small, raised in the block) gives its slot back."""
    tiny = _encode(Image.new("RGB", (40, 40)), "PNG")
    for _ in range(MAX_CONCURRENT_DECODES + 1):
        with pytest.raises(ImageError):
            prepare_image(tiny)
    thread = _hold_decodes(1, lambda: None)[0]
    thread.join(10)
    assert not thread.is_alive()
