"""Safe decoding of untrusted image bytes (JPEG and PNG) into BGR arrays.

The header is parsed first and the pixel count checked before any pixel data is decoded, so a
small file that claims to be 20000x20000 is refused without allocating gigabytes. EXIF
orientation is applied; CMYK, greyscale, 16-bit, palette and transparent images are converted to
8-bit BGR (transparency composited on white).
"""

from __future__ import annotations

import io
from typing import Final

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

INVALID_FORMAT: Final = "InvalidImageFormatException"
TOO_LARGE: Final = "ImageTooLargeException"
ALLOWED_FORMATS: Final = ("JPEG", "PNG")
# Pillow reports multi-picture JPEGs (common from phone cameras) as MPO.
_DECODED_FORMATS: Final = frozenset({"JPEG", "MPO", "PNG"})
DEFAULT_MAX_BYTES: Final = 5 * 1024 * 1024
DEFAULT_MAX_PIXELS: Final = 40_000_000


class ImageDecodeError(Exception):
    """The bytes are not a usable image; ``code`` is the Rekognition error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def decode_image(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Decode JPEG/PNG bytes into an HxWx3 uint8 BGR array, upright per its EXIF orientation."""
    if not data:
        raise ImageDecodeError(INVALID_FORMAT, "Image is empty (0 bytes)")
    if len(data) > max_bytes:
        raise ImageDecodeError(
            TOO_LARGE, f"Image is {len(data)} bytes; the maximum is {max_bytes} bytes"
        )
    image = _open_checked(data, max_pixels)
    try:
        image = _load(image)
        upright = ImageOps.exif_transpose(image)
        rgb = _to_rgb(upright)
    finally:
        image.close()
    array = np.asarray(rgb, dtype=np.uint8)
    if array.ndim != 3 or array.shape[2] != 3:  # pragma: no cover - _to_rgb guarantees RGB
        raise ImageDecodeError(INVALID_FORMAT, "Image could not be converted to RGB")
    return np.ascontiguousarray(array[:, :, ::-1])


def _open_checked(data: bytes, max_pixels: int) -> Image.Image:
    """Open lazily (header only) and refuse unsupported formats and oversized dimensions."""
    try:
        image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError as err:
        raise ImageDecodeError(
            TOO_LARGE,
            f"Image dimensions exceed the {max_pixels} pixel limit (decompression bomb guard)",
        ) from err
    except UnidentifiedImageError as err:
        raise ImageDecodeError(
            INVALID_FORMAT, "Image format not recognised; send JPEG or PNG bytes"
        ) from err
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageDecodeError(INVALID_FORMAT, f"Image header is corrupt: {err}") from err
    if image.format not in _DECODED_FORMATS:
        fmt = image.format
        image.close()
        raise ImageDecodeError(
            INVALID_FORMAT, f"Image format {fmt} is not supported; send JPEG or PNG bytes"
        )
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise ImageDecodeError(INVALID_FORMAT, "Image has zero width or height")
    if width * height > max_pixels:
        image.close()
        raise ImageDecodeError(
            TOO_LARGE,
            f"Image is {width}x{height} pixels; the maximum is {max_pixels} pixels",
        )
    return image


def _load(image: Image.Image) -> Image.Image:
    """Decode the pixel data, refusing truncated or corrupt streams."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # pragma: no cover - process-wide setting by others
        raise ImageDecodeError(
            INVALID_FORMAT, "Refusing to decode: PIL.ImageFile.LOAD_TRUNCATED_IMAGES is enabled"
        )
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ImageDecodeError(
            INVALID_FORMAT, f"Image data is truncated or corrupt: {err}"
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
        raise ImageDecodeError(INVALID_FORMAT, f"Unsupported image mode {mode}") from err


def _high_depth_to_rgb(image: Image.Image) -> Image.Image:
    """Scale 16-bit or 32-bit greyscale down to 8 bits instead of clipping it."""
    values = np.asarray(image, dtype=np.float64)
    top = 65535.0 if image.mode.startswith("I;16") else float(values.max(initial=0.0))
    if image.mode in {"I", "F"} and top <= 255.0:
        top = 255.0
    factor = 255.0 / top if top > 0 else 1.0
    scaled = np.clip(np.rint(values * factor), 0, 255).astype(np.uint8)
    return Image.fromarray(scaled).convert("RGB")
