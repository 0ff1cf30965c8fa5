"""Safe decoding of untrusted image bytes into 8-bit BGR arrays, for every part of the bridge.

The engine (request images) and capture (image files, snapshots, MJPEG parts) both decode here,
each with its own :class:`ImageLimits`. Before any pixel is decoded the header is read: the
format must be one the caller accepts (judged by content, never by a file name), the dimensions
within the limits (a small file that claims 20000x20000 is refused without allocating its
pixels), and the data complete (a JPEG needs its end-of-image marker after the scan, a PNG its
IEND chunk, a WebP every byte its RIFF header announces, an uncompressed BMP all its rows).

Pixels are then decoded by Pillow. EXIF orientation is applied; CMYK, greyscale, 16-bit,
palette and transparent images become 8-bit BGR (transparency composited on white).

:func:`decode_reduced` decodes an image larger than the caller needs at 1/2, 1/4 or 1/8 of its
size: a JPEG is decoded at that scale by libjpeg itself (its DCT scaling, as OpenCV's
``IMREAD_REDUCED_COLOR_*``), so full-size pixels never exist; other formats are box-reduced
right after decoding. Peak memory of one decode of W x H pixels is then about 4 x W x H bytes
for a PNG (Pillow's buffer, briefly) and 4 x W x H / f^2 for a JPEG reduced by f, instead of
about 10 x W x H.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
import io
import struct
from typing import Final

import cv2
import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

# Refusal reasons: short labels, counted per camera in /metrics and mapped to engine errors.
EMPTY: Final = "empty"
TOO_LARGE: Final = "too_large"
NOT_IMAGE: Final = "not_image"
UNSUPPORTED_FORMAT: Final = "unsupported_format"
CORRUPT: Final = "corrupt"
TRUNCATED: Final = "truncated"
UNDECODABLE: Final = "undecodable"

_JPEG_SOF: Final = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
_JPEG_EOI: Final = b"\xff\xd9"
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_PNG_IEND: Final = b"\x00\x00\x00\x00IEND"  # an IEND chunk: zero length, then its type
_BMP_UNCOMPRESSED: Final = frozenset({0, 3})  # BI_RGB, BI_BITFIELDS


class ImageFormat(StrEnum):
    """A format the decoder reads; the value is Pillow's name for it."""

    JPEG = "JPEG"
    PNG = "PNG"
    BMP = "BMP"
    WEBP = "WEBP"

    @property
    def label(self) -> str:
        """The name people write."""
        return "WebP" if self is ImageFormat.WEBP else self.value


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """What a caller accepts: formats, bytes, pixels and (optionally) pixels a side."""

    formats: tuple[ImageFormat, ...]
    max_bytes: int
    max_pixels: int
    max_side: int | None = None

    @property
    def expected(self) -> str:
        """The accepted formats as words, e.g. ``JPEG or PNG``."""
        labels = [fmt.label for fmt in self.formats]
        if len(labels) == 1:
            return labels[0]
        return f"{', '.join(labels[:-1])} or {labels[-1]}"


class ImageRejected(Exception):
    """The bytes are not an acceptable image; ``reason`` is one of the labels above."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class _Header:
    """What the header says, before any pixel is decoded."""

    format: ImageFormat
    width: int
    height: int


def check_size(size: int, limits: ImageLimits) -> None:
    """Refuse a byte count over ``limits.max_bytes`` (callers may check before reading a file)."""
    if size > limits.max_bytes:
        raise ImageRejected(
            TOO_LARGE, f"Image is {size} bytes; the maximum is {limits.max_bytes} bytes"
        )


def decode(data: bytes, limits: ImageLimits) -> np.ndarray:
    """Check the header, then decode to an HxWx3 uint8 BGR array, upright per its EXIF."""
    bgr, _ = decode_reduced(data, limits, min_side=None)
    return bgr


REDUCTION_FACTORS: Final = (8, 4, 2)


def reduction_factor(width: int, height: int, min_side: int | None) -> int:
    """The largest of 8, 4, 2 that keeps the longer side at ``min_side`` or more (else 1)."""
    if min_side is None:
        return 1
    longer = max(width, height)
    for factor in REDUCTION_FACTORS:
        if longer // factor >= min_side:
            return factor
    return 1


def decode_reduced(
    data: bytes, limits: ImageLimits, *, min_side: int | None
) -> tuple[np.ndarray, float]:
    """Like :func:`decode`, but at 1/2, 1/4 or 1/8 size when the longer side stays >= min_side.

    Returns the BGR array and the scale: original pixels per decoded pixel (1.0 when the image
    was decoded at full size).
    """
    header = _probe(data, limits)
    image = _open(data, header)
    scale = 1.0
    try:
        _check_dimensions(_Header(header.format, *image.size), limits)  # Pillow's reading too
        width = image.size[0]
        factor = reduction_factor(image.size[0], image.size[1], min_side)
        if factor > 1 and header.format is ImageFormat.JPEG:
            # libjpeg decodes at the smallest of 1/8..1/1 that is at least this size.
            image.draft(None, (-(-image.size[0] // factor), -(-image.size[1] // factor)))
        image = _load(image, header)
        if image.size[0] > -(-width // factor):  # not reduced while decoding
            image = _reduce(image, factor)
        scale = width / image.size[0]
        ImageOps.exif_transpose(image, in_place=True)  # no copy when already upright
        rgb = _to_rgb(image)
        array = np.asarray(rgb, dtype=np.uint8)
        rgb.close()
    finally:
        image.close()  # before the colour conversion: one full-size buffer at a time
    if array.ndim != 3 or array.shape[2] != 3:  # pragma: no cover - _to_rgb guarantees RGB
        raise ImageRejected(UNDECODABLE, "Image could not be converted to RGB")
    bgr: np.ndarray = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    return bgr, scale


def _reduce(image: Image.Image, factor: int) -> Image.Image:
    """Box-reduce a decoded image by ``factor``, closing the full-size one."""
    try:
        reduced = image.reduce(factor)
    except ValueError:  # a mode reduce() does not take (palette, 16-bit): convert first
        rgb = _to_rgb(image)
        reduced = rgb.reduce(factor)
        if rgb is not image:
            rgb.close()
    reduced.info = dict(image.info)  # keeps the EXIF orientation for exif_transpose
    image.close()
    return reduced


# --------------------------------------------------------------------------- header


def _probe(data: bytes, limits: ImageLimits) -> _Header:
    """Identify the format and dimensions and check completeness, or raise ImageRejected."""
    if not data:
        raise ImageRejected(EMPTY, "Image is empty (0 bytes)")
    check_size(len(data), limits)
    fmt = _sniff(data, limits)
    if fmt not in limits.formats:
        raise ImageRejected(
            UNSUPPORTED_FORMAT, f"{fmt.label} images are not accepted; send {limits.expected}"
        )
    header = _HEADER_READERS[fmt](data)
    if header.width <= 0 or header.height <= 0:
        raise ImageRejected(CORRUPT, f"{fmt.label} header has no valid dimensions")
    _check_dimensions(header, limits)
    _COMPLETENESS_CHECKS[fmt](data, header)
    return header


def _sniff(data: bytes, limits: ImageLimits) -> ImageFormat:
    if data.startswith(b"\xff\xd8"):
        return ImageFormat.JPEG
    if data.startswith(_PNG_SIGNATURE):
        return ImageFormat.PNG
    if data.startswith(b"BM"):
        return ImageFormat.BMP
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ImageFormat.WEBP
    start = data[:64].lstrip().lower()
    if start.startswith((b"<!doctype", b"<html", b"<?xml", b"<svg")):
        raise ImageRejected(NOT_IMAGE, f"Image is HTML/XML text, not a {limits.expected} image")
    raise ImageRejected(NOT_IMAGE, f"Image format not recognised; send {limits.expected}")


def _check_dimensions(header: _Header, limits: ImageLimits) -> None:
    width, height = header.width, header.height
    too_wide = limits.max_side is not None and max(width, height) > limits.max_side
    if width * height > limits.max_pixels or too_wide:
        side = f" and {limits.max_side} a side" if limits.max_side is not None else ""
        raise ImageRejected(
            TOO_LARGE,
            f"{header.format.label} image is {width}x{height} pixels; "
            f"the maximum is {limits.max_pixels} pixels{side}",
        )


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(marker, position, length) of each marker segment, up to and including the first scan."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ImageRejected(CORRUPT, "JPEG marker structure is broken")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2:
            raise ImageRejected(CORRUPT, "JPEG segment length is invalid")
        yield marker, pos, length
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return
        pos += 2 + length


def _jpeg_header(data: bytes) -> _Header:
    for marker, pos, _ in _jpeg_segments(data):
        if marker == 0xDA:
            raise ImageRejected(CORRUPT, "JPEG has image data before its frame header")
        if marker in _JPEG_SOF and pos + 9 <= len(data):
            height, width = struct.unpack_from(">HH", data, pos + 5)
            return _Header(ImageFormat.JPEG, width, height)
    raise ImageRejected(TRUNCATED, "JPEG is truncated before its frame header")


def _png_header(data: bytes) -> _Header:
    if len(data) < 33:
        raise ImageRejected(TRUNCATED, "PNG is truncated before its IHDR header")
    if data[12:16] != b"IHDR":
        raise ImageRejected(CORRUPT, "PNG does not start with an IHDR header")
    width, height = struct.unpack_from(">II", data, 16)
    return _Header(ImageFormat.PNG, width, height)


def _bmp_header(data: bytes) -> _Header:
    dib_size = int.from_bytes(data[14:18], "little")
    core = dib_size == 12  # OS/2 core header: 16-bit dimensions
    if len(data) < (26 if core else 34):
        raise ImageRejected(TRUNCATED, "BMP is truncated before the end of its header")
    width, height = struct.unpack_from("<hh" if core else "<ii", data, 18)
    return _Header(ImageFormat.BMP, width, abs(height))


def _webp_header(data: bytes) -> _Header:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
    elif chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack_from("<HH", data, 26)
        width &= 0x3FFF
        height &= 0x3FFF
    elif chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        width = (bits & 0x3FFF) + 1
        height = ((bits >> 14) & 0x3FFF) + 1
    else:
        raise ImageRejected(CORRUPT, "WebP header is not recognised")
    return _Header(ImageFormat.WEBP, width, height)


def _jpeg_complete(data: bytes, header: _Header) -> None:
    """The end-of-image marker must follow the first scan (it cannot occur inside one)."""
    for marker, pos, length in _jpeg_segments(data):
        if marker == 0xDA and data.find(_JPEG_EOI, pos + 2 + length) >= 0:
            return
    raise ImageRejected(TRUNCATED, "JPEG is truncated (no end-of-image marker)")


def _png_complete(data: bytes, header: _Header) -> None:
    if data.rfind(_PNG_IEND) < 0:
        raise ImageRejected(TRUNCATED, "PNG is truncated (no IEND chunk)")


def _bmp_complete(data: bytes, header: _Header) -> None:
    (pixels_at,) = struct.unpack_from("<I", data, 10)
    (dib_size,) = struct.unpack_from("<I", data, 14)
    if dib_size == 12:
        (bits,) = struct.unpack_from("<H", data, 24)
        compression = 0
    else:
        bits, compression = struct.unpack_from("<HI", data, 28)
    if compression not in _BMP_UNCOMPRESSED:
        return  # run-length rows have no fixed size; the decoder refuses short data
    row = (header.width * bits + 31) // 32 * 4
    if len(data) < pixels_at + row * header.height:
        raise ImageRejected(TRUNCATED, "BMP is truncated (rows missing)")


def _webp_complete(data: bytes, header: _Header) -> None:
    (riff_size,) = struct.unpack_from("<I", data, 4)
    if len(data) < 8 + riff_size:
        raise ImageRejected(TRUNCATED, "WebP is truncated (shorter than its RIFF header says)")


_HEADER_READERS: Final = {
    ImageFormat.JPEG: _jpeg_header,
    ImageFormat.PNG: _png_header,
    ImageFormat.BMP: _bmp_header,
    ImageFormat.WEBP: _webp_header,
}
_COMPLETENESS_CHECKS: Final = {
    ImageFormat.JPEG: _jpeg_complete,
    ImageFormat.PNG: _png_complete,
    ImageFormat.BMP: _bmp_complete,
    ImageFormat.WEBP: _webp_complete,
}


# --------------------------------------------------------------------------- pixels


def _open(data: bytes, header: _Header) -> Image.Image:
    """Open with Pillow as the sniffed format (reads the header only)."""
    label = header.format.label
    try:
        image = Image.open(io.BytesIO(data), formats=(header.format.value,))
    except Image.DecompressionBombError as err:
        raise ImageRejected(
            TOO_LARGE, f"{label} image exceeds Pillow's decompression bomb pixel limit"
        ) from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ImageRejected(CORRUPT, f"{label} header is corrupt") from err
    return image


def _load(image: Image.Image, header: _Header) -> Image.Image:
    """Decode the pixel data, refusing corrupt streams."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # pragma: no cover - process-wide setting by others
        raise ImageRejected(
            UNDECODABLE, "Refusing to decode: PIL.ImageFile.LOAD_TRUNCATED_IMAGES is enabled"
        )
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ImageRejected(
            UNDECODABLE, f"{header.format.label} data is truncated or corrupt: {err}"
        ) from err
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert any decoded mode to 8-bit RGB; transparency is composited onto white."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in {"I;16", "I;16B", "I;16L", "I;16N", "I", "F"}:
        return _high_depth_to_rgb(image)
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    if mode in {"RGBA", "LA", "PA", "RGBa", "La"}:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode in {"L", "1"} and "transparency" in image.info:
        return _to_rgb(image.convert("LA"))
    try:
        return image.convert("RGB")
    except (ValueError, OSError) as err:
        raise ImageRejected(UNDECODABLE, f"Unsupported image mode {mode}") from err


def _high_depth_to_rgb(image: Image.Image) -> Image.Image:
    """Scale 16-bit or 32-bit greyscale down to 8 bits instead of clipping it."""
    values = np.asarray(image, dtype=np.float64)
    top = 65535.0 if image.mode.startswith("I;16") else float(values.max(initial=0.0))
    if image.mode in {"I", "F"} and top <= 255.0:
        top = 255.0
    factor = 255.0 / top if top > 0 else 1.0
    scaled = np.clip(np.rint(values * factor), 0, 255).astype(np.uint8)
    return Image.fromarray(scaled).convert("RGB")
