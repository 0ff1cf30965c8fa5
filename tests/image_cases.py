"""The shared matrix of good, odd and hostile image inputs.

Every entry point that decodes untrusted images is tested against the same cases: on the
bridge, the decoder itself, the engine's API (request images) and capture (image folders, MJPEG
parts, snapshots); in the integration, the normalisation of images before they are sent to
Rekognition. Each case says how each kind of caller must treat it: ``camera`` for capture's
limits (JPEG, PNG, BMP, WebP), ``request`` for the engine's (JPEG and PNG). ``None`` means the
image decodes to ``expected`` (BGR, within ``tolerance`` mean absolute difference); otherwise
the value is the refusal reason, and the refusal message contains every one of ``words``.

``integration`` is the integration's outcome (JPEG, PNG or BMP, at least 80 pixels a side):
``None`` means the image is normalised to a JPEG that decodes to ``expected`` (within
``tolerance`` plus :data:`REENCODING_TOLERANCE`); otherwise the value is the refusal reason, and
the refusal message contains every one of ``integration_words``.

File names matter to image folders (they pick files by suffix); contents are judged by
content, so some names lie on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import io
from pathlib import Path
import random
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

FACES = Path(__file__).resolve().parent / "fixtures" / "faces"

# What re-encoding as JPEG may add to a case's tolerance (mean absolute difference).
REENCODING_TOLERANCE = 3.0


@dataclass(frozen=True)
class ImageCase:
    """One input and what each kind of caller must make of it."""

    name: str
    data: bytes
    camera: str | None
    request: str | None
    integration: str | None
    words: tuple[str, ...] = ()
    integration_words: tuple[str, ...] = ()
    expected: np.ndarray | None = None
    tolerance: float = 0.0

    def outcome(self, profile: str) -> str | None:
        """The refusal reason for ``camera`` or ``request`` callers (None: decodes)."""
        return self.camera if profile == "camera" else self.request

    @property
    def portrait(self) -> bool:
        """Whether the image, where it decodes, is the test portrait (one upright face)."""
        return self.expected is None or self.expected.shape == (512, 512, 3)


CASE_NAMES = (
    "good.jpg",
    "empty.jpg",
    "truncated.jpg",
    "truncated-most.jpg",
    "truncated-header.jpg",
    "page.jpg",
    "random.jpg",
    "disguised-gif.png",
    "jpeg-garbage.jpg",
    "jpeg-text.jpg",
    "png-garbage.png",
    "bad-header-crc.png",
    "truncated.png",
    "truncated-header.png",
    "corrupt.png",
    "bomb.png",
    "bomb-header.png",
    "bomb.jpg",
    "cmyk.jpg",
    "grey.jpg",
    "grey.png",
    "grey16.png",
    "alpha.png",
    "grey-alpha.png",
    "palette-alpha.png",
    "exif-rotated.jpg",
    "narrow.png",
    "short.png",
    "tiny.png",
    "astronaut.bmp",
    "truncated.bmp",
    "astronaut.webp",
    "truncated.webp",
    "webp-garbage.webp",
)
# The cases that are refused, or decode to the test portrait (those a face search can use).
PORTRAIT_CASE_NAMES = tuple(
    name for name in CASE_NAMES if name not in {"narrow.png", "short.png", "tiny.png"}
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


def png_claiming(width: int, height: int) -> bytes:
    """A tiny 1-bit PNG whose header claims width x height, with a few bytes of pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is patched to claim width x height."""
    data = bytearray(encode(Image.new("RGB", (100, 100), (10, 20, 30)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


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


def _with_strip(image: Image.Image, value: int) -> Image.Image:
    """``image`` with an alpha channel: opaque, but ``value`` from column 400 on."""
    alpha = np.full((image.height, image.width), 255, dtype=np.uint8)
    alpha[:, 400:] = value  # a strip well away from the face
    out = image.copy()
    out.putalpha(Image.fromarray(alpha))
    return out


def _too_small_for_rekognition(name: str, image: Image.Image) -> ImageCase:
    """A PNG under the integration's 80-pixel minimum: the bridge decodes it, the integration
    refuses it naming its size."""
    width, height = image.size
    return ImageCase(
        name,
        encode(image, "PNG"),
        None,
        None,
        "too_small",
        integration_words=(f"{width}x{height}", "80"),
        expected=bgr(image),
    )


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

    grey = portrait.convert("L")
    grey_jpeg = encode(grey, "JPEG", quality=92)
    grey_png = encode(grey, "PNG")
    grey16 = encode(Image.fromarray(np.asarray(grey).astype(np.uint16) * 257), "PNG")
    assert Image.open(io.BytesIO(grey16)).mode.startswith("I")  # 16 bits a sample

    on_white = upright.copy()
    on_white[:, 400:] = 255
    grey_on_white = pillow_bgr(grey_png)
    grey_on_white[:, 400:] = 255

    palette = portrait.quantize(255)  # index 255 is free for the transparent strip
    colours = palette.getpalette() or []
    palette.putpalette(colours + [0] * (768 - len(colours)))
    transparent = palette.copy()
    transparent.paste(255, (400, 0, 512, 512))
    palette_on_white = bgr(palette)
    palette_on_white[:, 400:] = 255

    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    sideways = portrait.transpose(Image.Transpose.ROTATE_90)  # the pixels lie on their side
    rotated = encode(sideways, "JPEG", quality=92, exif=exif.tobytes())

    narrow = portrait.crop((200, 100, 279, 400))  # 79 pixels wide
    short = portrait.crop((100, 200, 400, 279))  # 79 pixels high
    tiny = portrait.crop((200, 200, 240, 240))

    bmp = encode(portrait, "BMP")
    webp = encode(portrait, "WEBP", lossless=True)
    cases = [
        ImageCase("good.jpg", good, None, None, None, expected=upright),
        ImageCase("empty.jpg", b"", EMPTY, EMPTY, "empty", ("0 bytes",), ("empty",)),
        ImageCase(
            "truncated.jpg",
            good[: len(good) // 2],
            TRUNCATED,
            TRUNCATED,
            "truncated",
            ("truncated",),
            ("truncated",),
        ),
        ImageCase(
            "truncated-most.jpg",
            good[: len(good) * 9 // 10],
            TRUNCATED,
            TRUNCATED,
            "truncated",
            ("truncated",),
            ("truncated",),
        ),
        ImageCase(
            "truncated-header.jpg",
            good[: len(good) // 100],
            TRUNCATED,
            TRUNCATED,
            "truncated",
            integration_words=("truncated",),
        ),
        ImageCase(
            "page.jpg",
            b"<!DOCTYPE html><html><body>Not found</body></html>\n",
            NOT_IMAGE,
            NOT_IMAGE,
            "not_an_image",
            ("HTML",),
        ),
        ImageCase(
            "random.jpg", random.Random(7).randbytes(2048), NOT_IMAGE, NOT_IMAGE, "not_an_image"
        ),
        ImageCase(
            "disguised-gif.png",
            encode(portrait, "GIF"),
            NOT_IMAGE,
            NOT_IMAGE,
            "not_an_image",
            ("recognised",),
        ),
        ImageCase(
            "jpeg-garbage.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 10, CORRUPT, CORRUPT, "not_an_image"
        ),
        ImageCase(
            "jpeg-text.jpg",
            b"\xff\xd8\xff" + b"not a jpeg at all" * 10,
            TRUNCATED,
            TRUNCATED,
            "not_an_image",
        ),
        ImageCase(
            "png-garbage.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, CORRUPT, CORRUPT, "not_an_image"
        ),
        ImageCase(
            "bad-header-crc.png", bytes(bad_crc), CORRUPT, CORRUPT, "not_an_image", ("header",)
        ),
        ImageCase(
            "truncated.png",
            png[: len(png) // 2],
            TRUNCATED,
            TRUNCATED,
            "truncated",
            ("truncated",),
            ("truncated",),
        ),
        ImageCase(
            "truncated-header.png",
            png[:30],
            TRUNCATED,
            TRUNCATED,
            "truncated",
            ("truncated",),
            ("truncated",),
        ),
        ImageCase(
            "corrupt.png",
            png[:100] + noise.tobytes() + png[-20:],
            UNDECODABLE,
            UNDECODABLE,
            "not_an_image",
        ),
        ImageCase(
            "bomb.png",
            bilevel_png(20_000, 20_000),
            TOO_LARGE,
            TOO_LARGE,
            "too_many_pixels",
            ("20000x20000", "pixels"),
            ("20000x20000",),
        ),
        ImageCase(
            "bomb-header.png",
            png_claiming(20_000, 20_000),
            TOO_LARGE,
            TOO_LARGE,
            "too_many_pixels",
            ("20000x20000", "pixels"),
            ("20000x20000",),
        ),
        ImageCase(
            "bomb.jpg",
            jpeg_claiming(65_000, 65_000),
            TOO_LARGE,
            TOO_LARGE,
            "too_many_pixels",
            ("65000x65000", "pixels"),
            ("65000x65000",),
        ),
        ImageCase(
            "cmyk.jpg",
            encode(portrait.convert("CMYK"), "JPEG", quality=95),
            None,
            None,
            None,
            expected=upright,
            tolerance=8,
        ),
        ImageCase("grey.jpg", grey_jpeg, None, None, None, expected=pillow_bgr(grey_jpeg)),
        ImageCase("grey.png", grey_png, None, None, None, expected=pillow_bgr(grey_png)),
        ImageCase("grey16.png", grey16, None, None, None, expected=pillow_bgr(grey_png)),
        ImageCase(
            "alpha.png",
            encode(_with_strip(portrait, 0), "PNG"),
            None,
            None,
            None,
            expected=on_white,
        ),
        ImageCase(
            "grey-alpha.png",
            encode(_with_strip(grey, 0), "PNG"),
            None,
            None,
            None,
            expected=grey_on_white,
        ),
        ImageCase(
            "palette-alpha.png",
            encode(transparent, "PNG", transparency=255),
            None,
            None,
            None,
            expected=palette_on_white,
        ),
        ImageCase("exif-rotated.jpg", rotated, None, None, None, expected=upright, tolerance=2),
        *(
            _too_small_for_rekognition(name, image)
            for name, image in (("narrow.png", narrow), ("short.png", short), ("tiny.png", tiny))
        ),
        ImageCase("astronaut.bmp", bmp, None, UNSUPPORTED_FORMAT, None, ("BMP",), expected=upright),
        ImageCase(
            "truncated.bmp",
            bmp[: len(bmp) // 2],
            TRUNCATED,
            UNSUPPORTED_FORMAT,
            "truncated",
            ("BMP",),
            ("truncated",),
        ),
        ImageCase(
            "astronaut.webp",
            webp,
            None,
            UNSUPPORTED_FORMAT,
            "not_an_image",
            ("WebP",),
            expected=upright,
        ),
        ImageCase(
            "truncated.webp",
            webp[: len(webp) // 2],
            TRUNCATED,
            UNSUPPORTED_FORMAT,
            "not_an_image",
            ("WebP",),
        ),
        ImageCase(
            "webp-garbage.webp",
            b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 100,
            CORRUPT,
            UNSUPPORTED_FORMAT,
            "not_an_image",
            ("WebP",),
        ),
    ]
    by_name = {case.name: case for case in cases}
    assert tuple(by_name) == CASE_NAMES
    portraits = tuple(name for name in CASE_NAMES if by_name[name].portrait)
    assert portraits == PORTRAIT_CASE_NAMES
    return by_name
