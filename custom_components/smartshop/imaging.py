"""Image normalisation for face recognition requests, and the one decoder of untrusted images.

Every image the integration decodes goes through :func:`decode_image`. It identifies the format
(JPEG, PNG or BMP) from its magic bytes and parses only the header with that format's plugin (so
Pillow's process-wide decompression-bomb limit and its warnings never come into play). Before any
pixel is decoded it refuses, with a clear :class:`ImageError`:

- an image whose header claims more than :data:`MAX_PIXELS` (50 MP, the bridge's cap for camera
  images): a decompression bomb, whatever its format;
- an image whose decoded bitmap would exceed :data:`MAX_DECODED_PIXELS` (16 MP, the bridge's cap
  for request images). A single-scan JPEG is decoded by libjpeg itself at 1/2, 1/4 or 1/8 of its
  size (its DCT scaling, Pillow's ``draft``), so a 40 MP photo is decoded as 10 MP and full-size
  pixels never exist. PNG, BMP and progressive or other multi-scan JPEGs (for which libjpeg keeps
  every coefficient of the full-size image, whatever the scale) are decoded only when the full
  image is within the budget.

At most :data:`MAX_CONCURRENT_DECODES` decoded images exist at once in the process; other decodes
wait for a slot, so many uploads at once cannot multiply the cost. A decode costs about 4 bytes a
pixel of its decoded size (64 MB at the budget), plus 2 bytes a sample of the full-size
coefficients of a multi-scan JPEG; ``benchmarks/ha_decode_memory.py`` measures about 155 MB for
the costliest image accepted and 355 MB for twenty of them at once. The decoded image is upright
(EXIF orientation applied) and RGB.

Every image sent to a recognition backend goes through :func:`prepare_image`, which decodes with
it, enforces the minimum size and the maximum side (4096 px; never more pixels than were decoded,
so within what the bridge accepts) and re-encodes a JPEG that fits the request limit. The output
carries no metadata (EXIF, GPS, comments).

This module depends on Pillow only; it has no Home Assistant imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
import math
import struct
import threading
from typing import Any, Final, Literal

from PIL import (
    BmpImagePlugin,
    Image,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
)

type ImageErrorReason = Literal[
    "empty", "not_an_image", "truncated", "too_small", "too_many_pixels"
]

# The most pixels a header may claim: more is a decompression bomb (the bridge's camera cap).
MAX_PIXELS: Final = 50_000_000
# The largest bitmap decoded, and the largest image sent (the bridge's cap for request images).
MAX_DECODED_PIXELS: Final = 16_000_000
# Decoded images held at once in the process (the bridge's engine allows as many).
MAX_CONCURRENT_DECODES: Final = 2

JPEG_QUALITY = 90
_FALLBACK_QUALITIES = (80, 70, 60)
_SHRINK_STEP = 0.75
_JPEG_DRAFT_SCALES = (1, 2, 4, 8)
_WHITE = (255, 255, 255)
_SUPPORTED = "JPEG, PNG or BMP"
# Frame markers libjpeg decodes in one pass when the first scan holds every component:
# baseline, extended sequential, and sequential with arithmetic coding.
_JPEG_SEQUENTIAL_SOF: Final = frozenset({0xC0, 0xC1, 0xC9})
# Every start-of-frame marker (0xC4 is DHT, 0xC8 reserved, 0xCC DAC).
_JPEG_SOF: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_SOS: Final = 0xDA
_JPEG_NO_LENGTH: Final = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RSTn carry no length

type _Opener = Callable[[BytesIO], ImageFile.ImageFile]

_DECODE_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_DECODES)
_SLOT_HOLDER = threading.local()


@dataclass(frozen=True, slots=True)
class _Limits:
    max_pixels: int
    max_side: int
    min_side: int


class ImageError(Exception):
    """An image that cannot be used for recognition; ``reason`` is a stable code."""

    def __init__(self, reason: ImageErrorReason, message: str) -> None:
        """Store the reason code next to the human-readable message."""
        super().__init__(message)
        self.reason: ImageErrorReason = reason


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """An RGB JPEG ready to send to a recognition backend."""

    jpeg: bytes
    width: int
    height: int

    def __repr__(self) -> str:
        """Describe the image without its bytes."""
        return f"PreparedImage({self.width}x{self.height}, {len(self.jpeg)} bytes)"


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """An upright RGB image decoded by :func:`decode_image`, valid inside its ``with`` block.

    ``source_size`` is the width and height the header states (before the EXIF orientation);
    ``reduction`` is 2, 4 or 8 when a JPEG was decoded at that fraction of its size, else 1.
    """

    image: Image.Image
    source_size: tuple[int, int]
    reduction: int


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """A face box as ratios of the image size (Rekognition's ``BoundingBox`` shape)."""

    left: float
    top: float
    width: float
    height: float

    @classmethod
    def from_aws(cls, data: dict[str, Any]) -> BoundingBox:
        """Build from a Rekognition ``BoundingBox`` dict (``Left``/``Top``/``Width``/``Height``)."""
        return cls(
            left=float(data.get("Left", 0.0)),
            top=float(data.get("Top", 0.0)),
            width=float(data.get("Width", 0.0)),
            height=float(data.get("Height", 0.0)),
        )

    @property
    def area(self) -> float:
        """Area as a fraction of the image area."""
        return max(self.width, 0.0) * max(self.height, 0.0)


def _sniff(data: bytes) -> tuple[str, _Opener] | None:
    """Return the format name and the plugin class for data's magic bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG", JpegImagePlugin.JpegImageFile
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG", PngImagePlugin.PngImageFile
    if data.startswith(b"BM"):
        return "BMP", BmpImagePlugin.BmpImageFile
    return None


def _is_truncation(err: BaseException) -> bool:
    """Tell whether a Pillow error means the data ended early."""
    text = str(err).lower()
    return any(word in text for word in ("truncat", "incomplete", "buffer", "premature end"))


def _decode_error(err: BaseException, fmt: str) -> ImageError:
    """Map a Pillow decoding error to an ImageError."""
    if _is_truncation(err):
        return ImageError("truncated", f"The {fmt} image is truncated (the file ends early)")
    return ImageError("not_an_image", f"The {fmt} image is corrupt and cannot be decoded")


def _open_header(data: bytes) -> tuple[str, ImageFile.ImageFile]:
    """Parse only the header; Pillow's global decompression-bomb check is not involved."""
    if not data:
        raise ImageError("empty", "The image is empty (0 bytes)")
    sniffed = _sniff(data)
    if sniffed is None:
        raise ImageError("not_an_image", f"The data is not a supported image ({_SUPPORTED})")
    fmt, opener = sniffed
    try:
        return fmt, opener(BytesIO(data))
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as err:
        raise _decode_error(err, fmt) from err


def jpeg_is_single_scan(data: bytes) -> bool:
    """Whether libjpeg decodes this JPEG in one pass, so it can decode it reduced cheaply.

    True for a sequential (baseline, extended or arithmetic) frame whose first scan holds every
    component. A progressive, lossless or hierarchical JPEG, or one whose components come in
    separate scans, is buffered whole by libjpeg (every DCT coefficient of the full-size image,
    whatever the output scale). Marker structure this walk cannot follow counts as multi-scan.
    """
    pos, components = 2, None
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _JPEG_NO_LENGTH:
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2:
            return False
        if marker in _JPEG_SOF:
            if components is not None or marker not in _JPEG_SEQUENTIAL_SOF:
                return False
            if pos + 10 > len(data):
                return False
            components = data[pos + 9]
        elif marker == _JPEG_SOS:
            return components is not None and pos + 4 < len(data) and data[pos + 4] == components
        pos += 2 + length
    return False


def _jpeg_draft_scale(width: int, height: int, limits: _Limits) -> int | None:
    """Pick the JPEG DCT scale (1, 2, 4 or 8) for decoding.

    The smallest scale that brings the pixel count under the budget, raised further while the
    decoded image would still be at least max_side long and min_side short. None when even 1/8
    stays above the budget.
    """
    fitting = [
        scale
        for scale in _JPEG_DRAFT_SCALES
        if math.ceil(width / scale) * math.ceil(height / scale) <= limits.max_pixels
    ]
    if not fitting:
        return None
    long_side, short_side = max(width, height), min(width, height)
    affordable = [
        scale
        for scale in fitting
        if long_side // scale >= limits.max_side and short_side // scale >= limits.min_side
    ]
    return max(affordable, default=fitting[0])


def _plan_reduction(
    fmt: str, data: bytes, image: ImageFile.ImageFile, max_pixels: int, budget: _Limits
) -> int:
    """Refuse, before decoding, what is over the cap or cannot be decoded within the budget;
    else the reduction to decode at (a JPEG's draft is set to it)."""
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageError("not_an_image", f"The {fmt} image has no valid dimensions")
    if width * height > max_pixels:
        raise ImageError(
            "too_many_pixels",
            f"The {fmt} image claims {width}x{height} pixels, more than the limit of "
            f"{max_pixels} pixels (possible decompression bomb)",
        )
    if isinstance(image, JpegImagePlugin.JpegImageFile) and jpeg_is_single_scan(data):
        scale = _jpeg_draft_scale(width, height, budget)
        if scale is None:
            raise ImageError(
                "too_many_pixels",
                f"The JPEG image is {width}x{height} pixels; even at 1/8 of its size it is more "
                f"than the limit of {budget.max_pixels} decoded pixels. Send a smaller image",
            )
        if scale > 1:
            image.draft(image.mode, (width // scale, height // scale))
        if image.width * image.height > budget.max_pixels:  # the draft was not applied
            raise ImageError(
                "too_many_pixels",
                f"The JPEG image is {width}x{height} pixels and could not be decoded at reduced "
                f"size within the limit of {budget.max_pixels} pixels",
            )
        return scale
    if width * height <= budget.max_pixels:
        return 1
    kind, instead = fmt, "a JPEG"
    if fmt == "JPEG":
        kind, instead = "progressive or multi-scan JPEG", "a baseline JPEG"
    raise ImageError(
        "too_many_pixels",
        f"The {fmt} image is {width}x{height} pixels; a {kind} is decoded at full size, and "
        f"the limit for that is {budget.max_pixels} pixels. Send a smaller image or {instead}",
    )


@contextmanager
def _decode_slot() -> Iterator[None]:
    """Hold one of the process's decode slots (a thread that holds one already goes on)."""
    if getattr(_SLOT_HOLDER, "held", False):
        yield
        return
    with _DECODE_SLOTS:
        _SLOT_HOLDER.held = True
        try:
            yield
        finally:
            _SLOT_HOLDER.held = False


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB; transparency is composited on white."""
    if image.mode == "RGB":
        return image
    if image.mode == "I" or image.mode.startswith("I;16"):
        # 16-bit greyscale: scale to 8 bits rather than clipping everything to white.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    has_alpha = image.mode in {"RGBA", "LA", "La", "PA", "RGBa"} or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _decode(fmt: str, image: ImageFile.ImageFile) -> Image.Image:
    """Decode pixels, apply the EXIF orientation (in place) and convert to RGB."""
    try:
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        return _to_rgb(image)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as err:
        raise _decode_error(err, fmt) from err


@contextmanager
def decode_image(
    data: bytes,
    *,
    max_side: int = 4096,
    min_side: int = 1,
    max_pixels: int = MAX_PIXELS,
    max_decoded_pixels: int = MAX_DECODED_PIXELS,
) -> Iterator[DecodedImage]:
    """Decode untrusted image bytes under the pixel budget, as an upright RGB image.

    Reads the header first and refuses, before decoding, an image over ``max_pixels`` or one
    that cannot be decoded within ``max_decoded_pixels`` (see the module's description). A
    single-scan JPEG is decoded at the smallest scale within the budget, or smaller while its
    sides stay at least ``max_side`` long and ``min_side`` short (the caller needs no more).
    The image is valid inside the ``with`` block, which holds one of the process's
    :data:`MAX_CONCURRENT_DECODES` decode slots: keep the block short and do not hand the image
    out of it. Blocking: run it in an executor.

    Raises ImageError with reason ``empty``, ``not_an_image``, ``truncated`` or
    ``too_many_pixels``.
    """
    fmt, header = _open_header(data)
    with header:
        source_size = header.size
        reduction = _plan_reduction(
            fmt, data, header, max_pixels, _Limits(max_decoded_pixels, max_side, min_side)
        )
        with _decode_slot():
            rgb = _decode(fmt, header)
            try:
                yield DecodedImage(image=rgb, source_size=source_size, reduction=reduction)
            finally:
                if rgb is not header:
                    rgb.close()


def _fit_side(image: Image.Image, max_side: int) -> Image.Image:
    """Downscale so the longer side is at most max_side."""
    width, height = image.size
    longest = max(width, height)
    if longest <= max_side:
        return image
    ratio = max_side / longest
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _encode(image: Image.Image, quality: int) -> bytes:
    """Encode RGB as a baseline JPEG without metadata."""
    out = BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, comment=b"")
    return out.getvalue()


def _encode_within(image: Image.Image, max_bytes: int, min_side: int) -> PreparedImage:
    """Encode at quality 90, then lower quality, then shrink, until the JPEG fits max_bytes."""
    jpeg = _encode(image, JPEG_QUALITY)
    for quality in _FALLBACK_QUALITIES:
        if len(jpeg) <= max_bytes:
            break
        jpeg = _encode(image, quality)
    while len(jpeg) > max_bytes:
        width, height = image.size
        size = (int(width * _SHRINK_STEP), int(height * _SHRINK_STEP))
        if min(size) < min_side:
            raise ImageError(
                "too_many_pixels",
                f"The image cannot be compressed under {max_bytes} bytes "
                f"without going below {min_side} pixels",
            )
        image = image.resize(size, Image.Resampling.LANCZOS)
        jpeg = _encode(image, _FALLBACK_QUALITIES[-1])
    return PreparedImage(jpeg=jpeg, width=image.width, height=image.height)


def prepare_image(
    data: bytes,
    *,
    max_bytes: int = 5 * 1024 * 1024,
    max_side: int = 4096,
    min_side: int = 80,
    max_pixels: int = MAX_PIXELS,
    max_decoded_pixels: int = MAX_DECODED_PIXELS,
) -> PreparedImage:
    """Validate and normalise an image into an RGB JPEG within the given limits.

    Decoded by :func:`decode_image`: ``max_pixels`` caps what the header claims,
    ``max_decoded_pixels`` is the decode budget, so the output never has more pixels either.
    Blocking: run it in an executor.

    Raises ImageError with reason ``empty``, ``not_an_image``, ``truncated``, ``too_small`` or
    ``too_many_pixels``.
    """
    with decode_image(
        data,
        max_side=max_side,
        min_side=min_side,
        max_pixels=max_pixels,
        max_decoded_pixels=max_decoded_pixels,
    ) as decoded:
        rgb = decoded.image
        width, height = rgb.size
        if min(width, height) < min_side:
            raise ImageError(
                "too_small",
                f"The image is {width}x{height} pixels; "
                f"both sides must be at least {min_side} pixels",
            )
        return _encode_within(_fit_side(rgb, max_side), max_bytes, min_side)


def _crop_box(
    width: int, height: int, box: BoundingBox, margin: float
) -> tuple[int, int, int, int]:
    """Pixel crop rectangle for a ratio box grown by margin, clamped to the image."""
    grow_x, grow_y = box.width * margin, box.height * margin
    left = max(0, math.floor((box.left - grow_x) * width))
    top = max(0, math.floor((box.top - grow_y) * height))
    right = min(width, math.ceil((box.left + box.width + grow_x) * width))
    bottom = min(height, math.ceil((box.top + box.height + grow_y) * height))
    if right <= left or bottom <= top:
        raise ValueError(f"Bounding box {box} does not overlap the {width}x{height} image")
    return left, top, right, bottom


def crop_region(
    image: PreparedImage,
    box: BoundingBox,
    *,
    margin: float = 0.3,
    min_side: int = 80,
) -> PreparedImage:
    """Crop a face box (plus margin on each side) and re-encode it as JPEG.

    The crop is clamped to the image and upscaled so its shorter side is at least min_side.
    Raises ValueError when the box does not overlap the image or margin is negative, and
    ImageError when ``image`` holds no decodable JPEG (never one from :func:`prepare_image`).
    Blocking (it takes a decode slot): run it in an executor.
    """
    if margin < 0:
        raise ValueError("margin must not be negative")
    with decode_image(image.jpeg, max_side=max(image.width, image.height)) as decoded:
        source = decoded.image
        crop = source.crop(_crop_box(source.width, source.height, box, margin))
    shortest = min(crop.size)
    if shortest < min_side:
        ratio = min_side / shortest
        size = (math.ceil(crop.width * ratio), math.ceil(crop.height * ratio))
        crop = crop.resize(size, Image.Resampling.LANCZOS)
    return PreparedImage(jpeg=_encode(crop, JPEG_QUALITY), width=crop.width, height=crop.height)
