"""The shared matrix of good, odd and hostile image inputs.

Every entry point that decodes untrusted images is tested against the same cases: the decoder
itself, the engine's API (request images) and capture (image folders, MJPEG parts, snapshots).
Each case says how each kind of caller must treat it: ``camera`` for capture's limits (JPEG,
PNG, BMP, WebP), ``request`` for the engine's (JPEG and PNG). ``None`` means the image decodes
to ``expected`` (BGR, within ``tolerance`` mean absolute difference); otherwise the value is
the refusal reason, and the refusal message contains every one of ``words``.

File names matter to image folders (they pick files by suffix); contents are judged by
content, so some names lie on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import io
import struct
import zlib

import numpy as np
from PIL import Image

from edge_bridge.image_decoder import (
    CORRUPT,
    EMPTY,
    NOT_IMAGE,
    TOO_LARGE,
    TRUNCATED,
    UNDECODABLE,
    UNSUPPORTED_FORMAT,
)
from tests.edge_bridge.helpers_bridge import FACES


@dataclass(frozen=True)
class ImageCase:
    """One input and what each kind of caller must make of it."""

    name: str
    data: bytes
    camera: str | None
    request: str | None
    words: tuple[str, ...] = ()
    expected: np.ndarray | None = None
    tolerance: float = 0.0

    def outcome(self, profile: str) -> str | None:
        """The refusal reason for ``camera`` or ``request`` callers (None: decodes)."""
        return self.camera if profile == "camera" else self.request


CASE_NAMES = (
    "good.jpg",
    "empty.jpg",
    "truncated.jpg",
    "page.jpg",
    "disguised-gif.png",
    "jpeg-garbage.jpg",
    "png-garbage.png",
    "bad-header-crc.png",
    "truncated.png",
    "corrupt.png",
    "bomb.png",
    "cmyk.jpg",
    "grey.jpg",
    "grey.png",
    "alpha.png",
    "exif-rotated.jpg",
    "astronaut.bmp",
    "truncated.bmp",
    "astronaut.webp",
    "truncated.webp",
)
PROFILES = ("camera", "request")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with a valid CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bilevel_png(width: int, height: int, *, with_pixels: bool = True) -> bytes:
    """A 1-bit PNG of the given size; all-black rows compress to almost nothing."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    parts = [b"\x89PNG\r\n\x1a\n", png_chunk(b"IHDR", header)]
    if with_pixels:
        row = b"\x00" + bytes((width + 7) // 8)
        compressor = zlib.compressobj(9)
        data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
        parts.append(png_chunk(b"IDAT", data))
    parts.append(png_chunk(b"IEND", b""))
    return b"".join(parts)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def bgr(image: Image.Image) -> np.ndarray:
    """Pillow's RGB reading of an image, as BGR."""
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


def pillow_bgr(data: bytes) -> np.ndarray:
    return bgr(Image.open(io.BytesIO(data)))


def mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def assert_decoded(image: np.ndarray, case: ImageCase) -> None:
    """``image`` is what ``case`` should decode to."""
    assert case.expected is not None
    assert image.dtype == np.uint8
    assert image.shape == case.expected.shape
    assert image.flags["C_CONTIGUOUS"]
    if case.tolerance == 0:
        assert np.array_equal(image, case.expected)
    else:
        assert mean_difference(image, case.expected) <= case.tolerance


@functools.cache
def image_cases() -> dict[str, ImageCase]:
    """Every case by name (built once)."""
    good = (FACES / "astronaut.jpg").read_bytes()
    portrait = Image.open(io.BytesIO(good)).convert("RGB")
    upright = bgr(portrait)

    png = encode(portrait, "PNG")
    noise = np.random.default_rng(0).integers(0, 255, len(png) - 120, dtype=np.uint8)
    bad_crc = bytearray(encode(portrait.convert("L"), "PNG"))
    bad_crc[29] ^= 0xFF  # the IHDR chunk's CRC

    grey_jpeg = encode(portrait.convert("L"), "JPEG", quality=92)
    grey_png = encode(portrait.convert("L"), "PNG")

    rgba = portrait.convert("RGBA")
    alpha = np.full((512, 512), 255, dtype=np.uint8)
    alpha[:, 400:] = 0  # a transparent strip well away from the face
    rgba.putalpha(Image.fromarray(alpha))
    on_white = upright.copy()
    on_white[:, 400:] = 255

    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    sideways = portrait.transpose(Image.Transpose.ROTATE_90)  # the pixels lie on their side
    rotated = encode(sideways, "JPEG", quality=92, exif=exif.tobytes())

    bmp = encode(portrait, "BMP")
    webp = encode(portrait, "WEBP", lossless=True)
    cases = [
        ImageCase("good.jpg", good, None, None, expected=upright),
        ImageCase("empty.jpg", b"", EMPTY, EMPTY, ("0 bytes",)),
        ImageCase("truncated.jpg", good[: len(good) // 2], TRUNCATED, TRUNCATED, ("truncated",)),
        ImageCase(
            "page.jpg",
            b"<!DOCTYPE html><html><body>Not found</body></html>\n",
            NOT_IMAGE,
            NOT_IMAGE,
            ("HTML",),
        ),
        ImageCase(
            "disguised-gif.png", encode(portrait, "GIF"), NOT_IMAGE, NOT_IMAGE, ("recognised",)
        ),
        ImageCase("jpeg-garbage.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 10, CORRUPT, CORRUPT),
        ImageCase("png-garbage.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, CORRUPT, CORRUPT),
        ImageCase("bad-header-crc.png", bytes(bad_crc), CORRUPT, CORRUPT, ("header",)),
        ImageCase("truncated.png", png[: len(png) // 2], TRUNCATED, TRUNCATED, ("truncated",)),
        ImageCase("corrupt.png", png[:100] + noise.tobytes() + png[-20:], UNDECODABLE, UNDECODABLE),
        ImageCase(
            "bomb.png",
            bilevel_png(20_000, 20_000),
            TOO_LARGE,
            TOO_LARGE,
            ("20000x20000", "pixels"),
        ),
        ImageCase(
            "cmyk.jpg",
            encode(portrait.convert("CMYK"), "JPEG", quality=95),
            None,
            None,
            expected=upright,
            tolerance=8,
        ),
        ImageCase("grey.jpg", grey_jpeg, None, None, expected=pillow_bgr(grey_jpeg)),
        ImageCase("grey.png", grey_png, None, None, expected=pillow_bgr(grey_png)),
        ImageCase("alpha.png", encode(rgba, "PNG"), None, None, expected=on_white),
        ImageCase("exif-rotated.jpg", rotated, None, None, expected=upright, tolerance=2),
        ImageCase("astronaut.bmp", bmp, None, UNSUPPORTED_FORMAT, ("BMP",), expected=upright),
        ImageCase("truncated.bmp", bmp[: len(bmp) // 2], TRUNCATED, UNSUPPORTED_FORMAT, ("BMP",)),
        ImageCase("astronaut.webp", webp, None, UNSUPPORTED_FORMAT, ("WebP",), expected=upright),
        ImageCase(
            "truncated.webp", webp[: len(webp) // 2], TRUNCATED, UNSUPPORTED_FORMAT, ("WebP",)
        ),
    ]
    by_name = {case.name: case for case in cases}
    assert tuple(by_name) == CASE_NAMES
    return by_name
