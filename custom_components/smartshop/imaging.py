"""Image normalisation for face recognition requests.

Every image sent to a recognition backend goes through :func:`prepare_image`. It identifies the
format (JPEG, PNG or BMP) from its magic bytes, parses only the header with that format's plugin
(so Pillow's process-wide decompression-bomb limit and its warnings never come into play),
refuses decompression bombs before decoding, applies the EXIF orientation, converts to RGB,
enforces the minimum and maximum sizes and re-encodes a JPEG that fits the request limit. The
output carries no metadata (EXIF, GPS, comments).

This module depends on Pillow only; it has no Home Assistant imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
import math
import struct
from typing import Any, Literal

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

JPEG_QUALITY = 90
_FALLBACK_QUALITIES = (80, 70, 60)
_SHRINK_STEP = 0.75
_JPEG_DRAFT_SCALES = (1, 2, 4, 8)
_WHITE = (255, 255, 255)
_SUPPORTED = "JPEG, PNG or BMP"

type _Opener = Callable[[BytesIO], ImageFile.ImageFile]


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


def _jpeg_draft_scale(width: int, height: int, limits: _Limits) -> int | None:
    """Pick the JPEG DCT scale (1, 2, 4 or 8) for decoding.

    The smallest scale that brings the pixel count under the cap, raised further while the
    decoded image would still be at least max_side long and min_side short. None when even 1/8
    stays above the cap.
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


def _limit_pixels(fmt: str, image: ImageFile.ImageFile, limits: _Limits) -> None:
    """Refuse a decompression bomb before decoding, or set a JPEG draft that defuses it."""
    width, height = image.size
    max_pixels = limits.max_pixels
    if isinstance(image, JpegImagePlugin.JpegImageFile):
        scale = _jpeg_draft_scale(width, height, limits)
        if scale is not None:
            if scale > 1:
                image.draft(image.mode, (width // scale, height // scale))
            return
    elif width * height <= max_pixels:
        return
    raise ImageError(
        "too_many_pixels",
        f"The {fmt} image claims {width}x{height} pixels, more than the limit of {max_pixels} "
        "(possible decompression bomb)",
    )


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


def _decode(fmt: str, image: ImageFile.ImageFile) -> Image.Image:
    """Decode pixels, apply the EXIF orientation and convert to RGB."""
    try:
        image.load()
        oriented = ImageOps.exif_transpose(image)
        return _to_rgb(oriented)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as err:
        raise _decode_error(err, fmt) from err


def prepare_image(
    data: bytes,
    *,
    max_bytes: int = 5 * 1024 * 1024,
    max_side: int = 4096,
    min_side: int = 80,
    max_pixels: int = 50_000_000,
) -> PreparedImage:
    """Validate and normalise an image into an RGB JPEG within the given limits.

    Raises ImageError with reason ``empty``, ``not_an_image``, ``truncated``, ``too_small`` or
    ``too_many_pixels``.
    """
    fmt, header = _open_header(data)
    with header:
        _limit_pixels(fmt, header, _Limits(max_pixels, max_side, min_side))
        rgb = _decode(fmt, header)
    width, height = rgb.size
    if min(width, height) < min_side:
        raise ImageError(
            "too_small",
            f"The image is {width}x{height} pixels; both sides must be at least {min_side} pixels",
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
    Raises ValueError when the box does not overlap the image or margin is negative.
    """
    if margin < 0:
        raise ValueError("margin must not be negative")
    with JpegImagePlugin.JpegImageFile(BytesIO(image.jpeg)) as source:
        crop = source.convert("RGB").crop(_crop_box(source.width, source.height, box, margin))
    shortest = min(crop.size)
    if shortest < min_side:
        ratio = min_side / shortest
        size = (math.ceil(crop.width * ratio), math.ceil(crop.height * ratio))
        crop = crop.resize(size, Image.Resampling.LANCZOS)
    return PreparedImage(jpeg=_encode(crop, JPEG_QUALITY), width=crop.width, height=crop.height)
