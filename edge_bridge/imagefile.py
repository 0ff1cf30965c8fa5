"""Checking and decoding still images from untrusted files (image-folder cameras, MJPEG parts).

The header is read before anything is decoded, so a decompression bomb (a small file that
claims 20000x20000 pixels) is refused without allocating its pixels, and HTML or other files
with an image name are refused by content, not by name.
"""

from __future__ import annotations

from dataclasses import dataclass
import struct

import cv2
import numpy as np

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_PIXELS = 50_000_000  # 50 MP: every real camera frame fits, a bomb does not
MAX_SIDE = 16384

_JPEG_SOF = frozenset(
    {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ImageRejected(Exception):
    """The bytes are not an acceptable image; ``reason`` is a short counter label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ImageHeader:
    """What the header says, before decoding."""

    format: str
    width: int
    height: int


def probe(data: bytes) -> ImageHeader:
    """Identify the format and dimensions from the header, or raise :class:`ImageRejected`."""
    if not data:
        raise ImageRejected("empty", "file is empty (0 bytes)")
    if len(data) > MAX_FILE_BYTES:
        raise ImageRejected("too_large", f"file is {len(data)} bytes, over {MAX_FILE_BYTES}")
    if data.startswith(b"\xff\xd8"):
        header = _probe_jpeg(data)
    elif data.startswith(_PNG_SIGNATURE):
        header = _probe_png(data)
    elif data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack_from("<ii", data, 18)
        header = ImageHeader("bmp", width, abs(height))
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        header = _probe_webp(data)
    else:
        start = data[:64].lstrip().lower()
        if start.startswith((b"<!doctype", b"<html", b"<?xml", b"<svg")):
            raise ImageRejected("not_image", "file is HTML/XML text, not an image")
        raise ImageRejected("not_image", "not a JPEG, PNG, BMP or WebP image")
    if header.width <= 0 or header.height <= 0:
        raise ImageRejected("corrupt", f"{header.format} header has no valid dimensions")
    if (
        header.width > MAX_SIDE
        or header.height > MAX_SIDE
        or header.width * header.height > MAX_PIXELS
    ):
        raise ImageRejected(
            "too_large",
            f"{header.format} claims {header.width}x{header.height} pixels "
            f"(limit {MAX_PIXELS // 1_000_000} MP, {MAX_SIDE} px a side)",
        )
    return header


def _probe_jpeg(data: bytes) -> ImageHeader:
    pos = 2
    size = len(data)
    while pos + 4 <= size:
        if data[pos] != 0xFF:
            raise ImageRejected("corrupt", "JPEG marker structure is broken")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2:
            raise ImageRejected("corrupt", "JPEG segment length is invalid")
        if marker in _JPEG_SOF:
            if pos + 9 > size:
                break
            height, width = struct.unpack_from(">HH", data, pos + 5)
            tail = data[-64:].rstrip(b"\x00")
            if not tail.endswith(b"\xff\xd9"):
                raise ImageRejected("truncated", "JPEG is truncated (no end-of-image marker)")
            return ImageHeader("jpeg", width, height)
        if marker == 0xDA:  # start of scan before any frame header
            break
        pos += 2 + length
    raise ImageRejected("truncated", "JPEG ends before its frame header")


def _probe_png(data: bytes) -> ImageHeader:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise ImageRejected("truncated", "PNG ends before its IHDR header")
    width, height = struct.unpack_from(">II", data, 16)
    if b"IEND" not in data[-16:]:
        raise ImageRejected("truncated", "PNG is truncated (no IEND chunk)")
    return ImageHeader("png", width, height)


def _probe_webp(data: bytes) -> ImageHeader:
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
        raise ImageRejected("corrupt", "WebP header is not recognised")
    return ImageHeader("webp", width, height)


def decode(data: bytes) -> np.ndarray:
    """Check the header, then decode to an 8-bit BGR array (EXIF rotation applied).

    Greyscale, CMYK and images with alpha all come back as 3-channel BGR.
    """
    header = probe(data)
    try:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else "decoder error"
        raise ImageRejected("undecodable", f"{header.format} data is corrupt: {reason}") from err
    if image is None or image.size == 0:
        raise ImageRejected("undecodable", f"{header.format} data could not be decoded")
    if image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image)
    return image
