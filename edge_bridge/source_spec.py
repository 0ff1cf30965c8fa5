"""What a camera source is: :class:`SourceSpec` and the grammar of source strings.

Camera settings hold a :class:`SourceSpec`; ``sources.make_source`` turns one into a reader.
Parsing refuses anything that is not a usable source with a one-line :class:`SourceSpecError`
naming the offending key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
import re
from typing import Any
from urllib.parse import urlsplit

VIDEO_SUFFIXES = frozenset({".avi", ".mp4", ".mkv", ".mov", ".m4v", ".webm", ".mjpg", ".mjpeg"})


class SourceSpecError(ValueError):
    """A camera source that cannot be used; the message is one line naming the key."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """Where a camera's frames come from.

    ``kind`` is one of ``rtsp`` (and anything else FFmpeg opens: ``ffmpeg``), ``http`` (MJPEG
    stream or JPEG snapshot URL), ``usb`` (device index), ``file`` (video file, looping) or
    ``folder`` (image folder, looping).
    """

    kind: str
    location: str  # URL, device index as text, or filesystem path

    @property
    def device_index(self) -> int:
        return int(self.location)

    @property
    def path(self) -> Path:
        return Path(self.location)

    def redacted(self) -> str:
        """The source as safe to log: URL passwords replaced by ``***``."""
        if self.kind not in ("rtsp", "http", "ffmpeg"):
            return f"{self.kind}:{self.location}"
        parts = urlsplit(self.location)
        if parts.password is None and parts.username is None:
            return self.location
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        user = parts.username or ""
        return parts._replace(netloc=f"{user}:***@{host}").geturl()


def parse_source(value: Any, key: str) -> SourceSpec:
    """Parse a camera source.

    Accepted forms: ``rtsp://``/``rtsps://``/``rtmp://`` URL; ``http(s)://`` MJPEG or JPEG
    snapshot URL; ``ffmpeg:<anything FFmpeg opens>``; ``usb:N``, ``/dev/videoN`` or a bare
    integer; ``file:<path>`` or a path to a video file; ``folder:<path>`` or a directory path.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return _usb(str(value), key)
    if not isinstance(value, str) or not value.strip():
        raise SourceSpecError(f"{key}: expected a URL, device or path, got {value!r}")
    text = value.strip()
    lower = text.lower()
    spec = _parse_url_source(text, lower, key)
    if spec is None:
        spec = _parse_local_source(text, lower, key)
    return spec


def _parse_local_source(text: str, lower: str, key: str) -> SourceSpec:
    prefixes: dict[str, Callable[[str, str], SourceSpec]] = {
        "usb:": _usb,
        "file:": lambda rest, where: _file(Path(rest).expanduser(), where),
        "folder:": lambda rest, where: _folder(Path(rest).expanduser(), where),
    }
    for prefix, handler in prefixes.items():
        if lower.startswith(prefix):
            return handler(text[len(prefix) :].strip(), key)
    if re.fullmatch(r"/dev/video\d+", text):
        return _usb(text[len("/dev/video") :], key)
    if text.isdigit():
        return _usb(text, key)
    path = Path(text).expanduser()
    if path.is_dir():
        return _folder(path, key)
    if path.is_file():
        return _file(path, key)
    raise SourceSpecError(f"{key}: {text!r} is not a URL, device, video file or image folder")


def _parse_url_source(text: str, lower: str, key: str) -> SourceSpec | None:
    kind: str | None = None
    if lower.startswith(("rtsp://", "rtsps://", "rtmp://")):
        kind = "rtsp"
    elif lower.startswith(("http://", "https://")):
        kind = "http"
    elif lower.startswith("ffmpeg:"):
        target = text[len("ffmpeg:") :].strip()
        if not target:
            raise SourceSpecError(f"{key}: 'ffmpeg:' needs a URL or path after it")
        return SourceSpec("ffmpeg", target)
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise SourceSpecError(
            f"{key}: unsupported URL scheme {scheme!r} "
            "(use rtsp://, http(s)://, or ffmpeg:<url> for other streams)"
        )
    if kind is None:
        return None
    _check_url(text, key)
    return SourceSpec(kind, text)


def _check_url(text: str, key: str) -> None:
    parts = urlsplit(text)
    try:
        _ = parts.port
    except ValueError as err:
        raise SourceSpecError(f"{key}: invalid port in URL") from err
    if not parts.hostname:
        raise SourceSpecError(f"{key}: URL has no host")


def _usb(index: str, key: str) -> SourceSpec:
    if not index.isdigit() or int(index) > 63:
        raise SourceSpecError(f"{key}: USB device must be a number 0-63, got {index!r}")
    return SourceSpec("usb", str(int(index)))


def _file(path: Path, key: str) -> SourceSpec:
    if not path.is_file():
        raise SourceSpecError(f"{key}: video file {str(path)!r} does not exist")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        allowed = ", ".join(sorted(VIDEO_SUFFIXES))
        raise SourceSpecError(f"{key}: {path.name!r} is not a video file ({allowed})")
    return SourceSpec("file", str(path.resolve()))


def _folder(path: Path, key: str) -> SourceSpec:
    if not path.is_dir():
        raise SourceSpecError(f"{key}: image folder {str(path)!r} does not exist")
    return SourceSpec("folder", str(path.resolve()))
