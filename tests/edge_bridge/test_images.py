"""decode_image on good, odd and hostile inputs."""

from __future__ import annotations

import io
import struct
from typing import Any
import zlib

import numpy as np
from PIL import Image, ImageFile
import pytest

from edge_bridge.images import ImageDecodeError, decode_image


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


def rgb_test_image() -> Image.Image:
    """200x100: left half red, right half blue."""
    pixels = np.zeros((100, 200, 3), dtype=np.uint8)
    pixels[:, :100] = (255, 0, 0)
    pixels[:, 100:] = (0, 0, 255)
    return Image.fromarray(pixels, "RGB")


def test_decodes_jpeg_to_bgr(astronaut_jpeg: bytes) -> None:
    bgr = decode_image(astronaut_jpeg)
    assert bgr.shape == (512, 512, 3)
    assert bgr.dtype == np.uint8
    assert bgr.flags["C_CONTIGUOUS"]
    rgb = np.asarray(Image.open(io.BytesIO(astronaut_jpeg)).convert("RGB"))
    assert np.array_equal(bgr[:, :, ::-1], rgb)


def test_png_channel_order_is_bgr() -> None:
    bgr = decode_image(encode(rgb_test_image(), "PNG"))
    assert tuple(bgr[50, 10]) == (0, 0, 255)  # red in BGR
    assert tuple(bgr[50, 150]) == (255, 0, 0)  # blue in BGR


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"", "InvalidImageFormatException", "0 bytes"),
        (
            b"<!DOCTYPE html><html><body>not a photo</body></html>",
            "InvalidImageFormatException",
            "JPEG or PNG",
        ),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "InvalidImageFormatException", ""),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 10, "InvalidImageFormatException", ""),
    ],
    ids=["empty", "html", "png-garbage", "jpeg-garbage"],
)
def test_refuses_non_images(data: bytes, code: str, words: str) -> None:
    with pytest.raises(ImageDecodeError) as info:
        decode_image(data)
    assert info.value.code == code
    assert words in str(info.value)
    assert str(info.value)


def test_refuses_truncated_jpeg(astronaut_jpeg: bytes) -> None:
    with pytest.raises(ImageDecodeError) as info:
        decode_image(astronaut_jpeg[: len(astronaut_jpeg) // 2])
    assert info.value.code == "InvalidImageFormatException"
    assert "truncated" in info.value.message


def test_refuses_other_formats() -> None:
    gif = encode(rgb_test_image(), "GIF")
    with pytest.raises(ImageDecodeError) as info:
        decode_image(gif)
    assert info.value.code == "InvalidImageFormatException"


def test_refuses_too_many_bytes(astronaut_jpeg: bytes) -> None:
    with pytest.raises(ImageDecodeError) as info:
        decode_image(astronaut_jpeg, max_bytes=1000)
    assert info.value.code == "ImageTooLargeException"
    assert "1000" in info.value.message


def test_decompression_bomb_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = bilevel_png(20_000, 20_000)
    assert len(bomb) < 200_000  # tiny on disk, 400 megapixels when decoded
    decoded: list[tuple[int, int]] = []
    pixel_decoder = ImageFile.ImageFile.load

    def watched_load(image: ImageFile.ImageFile) -> Any:
        decoded.append(image.size)
        return pixel_decoder(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", watched_load)
    with pytest.raises(ImageDecodeError) as info:
        decode_image(bomb)
    assert info.value.code == "ImageTooLargeException"
    assert decoded == []  # refused from its header: not one pixel was decoded
    assert decode_image(bilevel_png(300, 200)).shape == (200, 300, 3)
    assert (300, 200) in decoded  # (a real image does go through the watched decoder)


def test_header_only_bomb_refused() -> None:
    with pytest.raises(ImageDecodeError) as info:
        decode_image(bilevel_png(20_000, 20_000, with_pixels=False))
    assert info.value.code == "ImageTooLargeException"


def test_pixel_limit_below_pillow_guard() -> None:
    with pytest.raises(ImageDecodeError) as info:
        decode_image(bilevel_png(7_000, 7_000, with_pixels=False))
    assert info.value.code == "ImageTooLargeException"
    assert "7000x7000" in info.value.message
    small = bilevel_png(300, 200)
    assert decode_image(small).shape == (200, 300, 3)
    with pytest.raises(ImageDecodeError):
        decode_image(small, max_pixels=300 * 200 - 1)


def test_cmyk_jpeg(astronaut_jpeg: bytes) -> None:
    original = Image.open(io.BytesIO(astronaut_jpeg)).convert("RGB")
    cmyk = encode(original.convert("CMYK"), "JPEG", quality=95)
    assert Image.open(io.BytesIO(cmyk)).mode == "CMYK"
    bgr = decode_image(cmyk)
    assert bgr.shape == (512, 512, 3)
    difference = np.abs(bgr[:, :, ::-1].astype(int) - np.asarray(original, dtype=int))
    assert difference.mean() < 8


def test_greyscale_jpeg(astronaut_jpeg: bytes) -> None:
    grey = encode(Image.open(io.BytesIO(astronaut_jpeg)).convert("L"), "JPEG")
    bgr = decode_image(grey)
    assert bgr.shape == (512, 512, 3)
    assert np.array_equal(bgr[:, :, 0], bgr[:, :, 1])
    assert np.array_equal(bgr[:, :, 1], bgr[:, :, 2])


def test_sixteen_bit_greyscale_png_is_scaled_not_clipped() -> None:
    values = np.array([[0, 32768, 65535]], dtype=np.uint16)
    data = encode(Image.fromarray(values), "PNG")
    bgr = decode_image(data)
    assert bgr[0, :, 0].tolist() == [0, 128, 255]


def test_png_alpha_composited_on_white() -> None:
    rgba = np.zeros((10, 20, 4), dtype=np.uint8)
    rgba[:, :10] = (255, 0, 0, 255)  # opaque red
    rgba[:, 10:] = (0, 0, 255, 0)  # fully transparent blue
    bgr = decode_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert tuple(bgr[5, 2]) == (0, 0, 255)
    assert tuple(bgr[5, 15]) == (255, 255, 255)


def test_palette_png_with_transparency() -> None:
    image = Image.new("P", (4, 4), 0)
    image.putpalette([0, 255, 0] + [255, 0, 0] * 255)
    image.info["transparency"] = 0
    data = encode(image, "PNG", transparency=0)
    bgr = decode_image(data)
    assert tuple(bgr[0, 0]) == (255, 255, 255)


def test_exif_orientation_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored image must be rotated 90 degrees clockwise for display
    data = encode(rgb_test_image(), "JPEG", exif=exif.tobytes(), quality=95)
    bgr = decode_image(data)
    assert bgr.shape == (200, 100, 3)
    # Clockwise: the stored left (red) half ends up on top.
    assert bgr[20, 50, 2] > 200 and bgr[20, 50, 0] < 60
    assert bgr[180, 50, 0] > 200 and bgr[180, 50, 2] < 60
