"""Frame sources: RTSP/FFmpeg, HTTP MJPEG or JPEG snapshots, USB, video files, image folders.

A source is used by exactly one reader thread: ``open()``, then ``read()`` until it returns None
(end of a file or folder pass) or raises :class:`SourceError`; ``rewind()`` starts a file or
folder again; ``close()`` releases it. ``interrupt()`` may be called from another thread to
unblock a stuck network read where the transport allows it.
"""

from __future__ import annotations

import base64
from collections import Counter
import contextlib
import http.client
import logging
from pathlib import Path
import socket
import ssl
import threading
from typing import Protocol
from urllib.parse import unquote, urlsplit

import cv2
import numpy as np

from .image_decoder import ImageFormat, ImageLimits, ImageRejected, check_size, decode
from .settings import CameraConfig
from .source_spec import SourceSpec
from .version import BRIDGE_VERSION

_LOGGER = logging.getLogger(__name__)

DEFAULT_FOLDER_FPS = 5.0
DEFAULT_SNAPSHOT_FPS = 2.0
MAX_PART_BYTES = 20 * 1024 * 1024
MAX_HEADER_LINE = 8192
MAX_GARBAGE_BYTES = 1024 * 1024
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})
# Still images from cameras and folders: every real camera frame fits, a decompression bomb not.
CAMERA_IMAGE_LIMITS = ImageLimits(
    formats=(ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.BMP, ImageFormat.WEBP),
    max_bytes=50 * 1024 * 1024,
    max_pixels=50_000_000,
    max_side=16384,
)


class SourceError(Exception):
    """The source failed (cannot open, stream broke, timed out); the camera reconnects."""


class FrameSource(Protocol):
    """What the capture thread needs from a source."""

    live: bool  # a camera (True) or a recording/folder (False)

    @property
    def nominal_fps(self) -> float | None: ...

    def open(self) -> None: ...

    def read(self) -> np.ndarray | None: ...

    def rewind(self) -> None: ...

    def close(self) -> None: ...

    def interrupt(self) -> None: ...


class BadInputCounter:
    """Counts skipped inputs by reason, logging each distinct (reason, item) once."""

    def __init__(self, camera_id: str) -> None:
        self.camera_id = camera_id
        self.counts: Counter[str] = Counter()
        self._logged: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def add(self, reason: str, item: str, detail: str) -> None:
        with self._lock:
            self.counts[reason] += 1
            first = (reason, item) not in self._logged
            if first and len(self._logged) < 10_000:
                self._logged.add((reason, item))
        if first:
            _LOGGER.warning("camera %s: skipped %s: %s", self.camera_id, item, detail)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)


# --------------------------------------------------------------------------- OpenCV / FFmpeg


class OpenCVSource:
    """RTSP and other FFmpeg URLs, USB devices and video files through ``cv2.VideoCapture``.

    FFmpeg-backed captures get open and read timeouts, so a dead network camera makes
    ``read()`` fail instead of hanging. A capture is never released from another thread while a
    read is in progress (that can crash FFmpeg); the capture watchdog abandons a stuck reader.
    """

    def __init__(self, spec: SourceSpec, *, open_timeout_s: float, read_timeout_s: float) -> None:
        self.spec = spec
        self.live = spec.kind != "file"
        self.open_timeout_ms = round(open_timeout_s * 1000)
        self.read_timeout_ms = round(read_timeout_s * 1000)
        self._cap: cv2.VideoCapture | None = None
        self._fps: float | None = None

    @property
    def nominal_fps(self) -> float | None:
        return self._fps

    def open(self) -> None:
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            self.open_timeout_ms,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            self.read_timeout_ms,
        ]
        if self.spec.kind == "usb":
            cap = cv2.VideoCapture(self.spec.device_index, cv2.CAP_V4L2)
        else:
            cap = cv2.VideoCapture(self.spec.location, cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            cap.release()
            what = "device" if self.spec.kind == "usb" else "stream"
            raise SourceError(f"cannot open {what} {self.spec.redacted()}")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self._fps = fps if 1.0 <= fps <= 240.0 else None
        self._cap = cap

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            raise SourceError("source is not open")
        ok, frame = self._cap.read()
        if ok and frame is not None and frame.size:
            return frame
        if self.spec.kind == "file":
            return None
        raise SourceError("stream read failed or timed out")

    def rewind(self) -> None:
        if self._cap is not None and self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
            return
        self.close()
        self.open()

    def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()

    def interrupt(self) -> None:
        """Nothing safe to do: FFmpeg's own read timeout ends a stuck read."""


# --------------------------------------------------------------------------- HTTP MJPEG / JPEG


class HttpMjpegSource:
    """An HTTP(S) camera: a ``multipart/x-mixed-replace`` MJPEG stream or a JPEG snapshot URL.

    Parsed here rather than by FFmpeg so that connect and read timeouts are exact, credentials in
    the URL become Basic auth, and a stuck socket can be shut down from the watchdog.
    """

    live = True

    def __init__(
        self,
        url: str,
        *,
        open_timeout_s: float,
        read_timeout_s: float,
        bad_inputs: BadInputCounter,
    ) -> None:
        self.url = url
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.bad_inputs = bad_inputs
        self._conn: http.client.HTTPConnection | None = None
        self._response: http.client.HTTPResponse | None = None
        self._boundary: bytes | None = None
        self._snapshot_mode = False
        self._after_boundary = False
        self._pending: bytes | None = None
        self._lock = threading.Lock()

    @property
    def nominal_fps(self) -> float | None:
        return DEFAULT_SNAPSHOT_FPS if self._snapshot_mode else None

    def _request(self) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                host, parts.port, timeout=self.open_timeout_s, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(host, parts.port, timeout=self.open_timeout_s)
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        headers = {"User-Agent": f"smartshop-bridge/{BRIDGE_VERSION}", "Accept": "*/*"}
        if parts.username is not None:
            creds = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(creds.encode()).decode()
        try:
            conn.request("GET", path, headers=headers)
            if conn.sock is not None:
                conn.sock.settimeout(self.read_timeout_s)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as err:
            conn.close()
            raise SourceError(f"cannot connect to {_redact(self.url)}: {_describe(err)}") from err
        if response.status != 200:
            conn.close()
            raise SourceError(
                f"{_redact(self.url)} answered HTTP {response.status} {response.reason}"
            )
        return conn, response

    def open(self) -> None:
        conn, response = self._request()
        content_type = response.getheader("Content-Type", "")
        media = content_type.split(";", 1)[0].strip().lower()
        if media.startswith("multipart/"):
            boundary = _boundary(content_type)
            if boundary is None:
                conn.close()
                raise SourceError(f"{_redact(self.url)}: multipart response without a boundary")
            self._boundary = boundary
            self._snapshot_mode = False
            self._after_boundary = False
            with self._lock:
                self._conn, self._response = conn, response
            return
        if media in ("image/jpeg", "image/jpg", "image/png"):
            self._snapshot_mode = True
            self._pending = self._read_body(response, conn)
            return
        conn.close()
        raise SourceError(
            f"{_redact(self.url)} sent {media or 'no content type'}; expected an MJPEG stream "
            "or a JPEG snapshot (use ffmpeg:<url> for other video streams)"
        )

    def _read_body(
        self, response: http.client.HTTPResponse, conn: http.client.HTTPConnection
    ) -> bytes:
        try:
            body = response.read(MAX_PART_BYTES + 1)
        except (OSError, http.client.HTTPException) as err:
            raise SourceError(f"snapshot read failed: {_describe(err)}") from err
        finally:
            conn.close()
        if len(body) > MAX_PART_BYTES:
            raise SourceError("snapshot is larger than 20 MB")
        return body

    def read(self) -> np.ndarray | None:
        if self._snapshot_mode:
            return self._read_snapshot()
        response = self._response
        if response is None or self._boundary is None:
            raise SourceError("source is not open")
        while True:
            data = self._next_part(response, self._boundary)
            try:
                return decode(data, CAMERA_IMAGE_LIMITS)
            except ImageRejected as err:
                self.bad_inputs.add(err.reason, "stream part", err.message)

    def _read_snapshot(self) -> np.ndarray:
        pending, self._pending = self._pending, None
        while True:
            if pending is None:
                conn, response = self._request()
                pending = self._read_body(response, conn)
            try:
                return decode(pending, CAMERA_IMAGE_LIMITS)
            except ImageRejected as err:
                self.bad_inputs.add(err.reason, "snapshot", err.message)
                raise SourceError(f"snapshot is not a usable image: {err}") from err

    def _next_part(self, response: http.client.HTTPResponse, boundary: bytes) -> bytes:
        marker = b"--" + boundary
        try:
            if not self._after_boundary:
                self._skip_to_boundary(response, marker, boundary)
            self._after_boundary = False
            length = self._part_length(response)
            if length is not None:
                if not 0 < length <= MAX_PART_BYTES:
                    raise SourceError(f"MJPEG part length {length} out of range")
                data = response.read(length)
                if len(data) != length:
                    raise SourceError("MJPEG stream ended inside a part")
                return data
            # No Content-Length: the part runs to the next boundary line, which is consumed here.
            data = self._read_until_boundary(response, marker)
        except TimeoutError as err:
            raise SourceError(f"no data for {self.read_timeout_s:g} s") from err
        except (OSError, http.client.HTTPException, ValueError) as err:
            raise SourceError(f"MJPEG stream broke: {_describe(err)}") from err
        self._after_boundary = True
        return data

    @staticmethod
    def _skip_to_boundary(
        response: http.client.HTTPResponse, marker: bytes, boundary: bytes
    ) -> None:
        """Consume lines up to and including the next boundary line."""
        garbage = 0
        while True:
            line = response.readline(MAX_HEADER_LINE)
            if not line:
                raise SourceError("MJPEG stream ended")
            stripped = line.strip()
            if stripped == marker + b"--":
                raise SourceError("MJPEG stream closed by the camera")
            # Some cameras omit the leading "--" of the boundary line.
            if stripped.startswith(marker) or stripped == boundary:
                return
            garbage += len(line)
            if garbage > MAX_GARBAGE_BYTES:
                raise SourceError("MJPEG stream has no part boundaries")

    @staticmethod
    def _part_length(response: http.client.HTTPResponse) -> int | None:
        """Consume a part's headers; return its Content-Length if it has one."""
        length: int | None = None
        while True:
            line = response.readline(MAX_HEADER_LINE)
            if not line:
                raise SourceError("MJPEG stream ended inside part headers")
            if not line.strip():
                return length
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                text = value.strip()
                length = int(text) if text.isdigit() else None

    @staticmethod
    def _read_until_boundary(response: http.client.HTTPResponse, marker: bytes) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = response.readline(65536)
            if not line:
                raise SourceError("MJPEG stream ended inside a part")
            if line.startswith(marker):
                break
            chunks.append(line)
            total += len(line)
            if total > MAX_PART_BYTES:
                raise SourceError("MJPEG part larger than 20 MB")
        data = b"".join(chunks)
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        return data

    def rewind(self) -> None:
        """Live stream: nothing to rewind."""

    def close(self) -> None:
        with self._lock:
            conn, self._conn, self._response = self._conn, None, None
        if conn is not None:
            conn.close()

    def interrupt(self) -> None:
        with self._lock:
            conn = self._conn
        if conn is not None and conn.sock is not None:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)


def _boundary(content_type: str) -> bytes | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "boundary":
            value = value.strip().strip('"')
            if value.startswith("--"):
                value = value[2:]
            return value.encode("latin-1") if value else None
    return None


def _redact(url: str) -> str:
    return SourceSpec("http", url).redacted()


def _describe(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return "timed out"
    text = str(err) or type(err).__name__
    return text.splitlines()[0]


# --------------------------------------------------------------------------- image folder


class ImageFolderSource:
    """Every image in a folder, in name order, again and again (demos and tests).

    Files that are not acceptable images are skipped with a counted, logged reason.
    """

    live = False

    def __init__(self, folder: Path, *, bad_inputs: BadInputCounter) -> None:
        self.folder = folder
        self.bad_inputs = bad_inputs
        self._files: list[Path] = []
        self._index = 0
        self._delivered = 0

    @property
    def nominal_fps(self) -> float | None:
        return DEFAULT_FOLDER_FPS

    def open(self) -> None:
        self._scan()

    def _scan(self) -> None:
        try:
            entries = sorted(p for p in self.folder.iterdir() if not p.name.startswith("."))
        except OSError as err:
            raise SourceError(f"cannot list image folder {self.folder}: {err.strerror}") from err
        files = []
        for path in entries:
            if not path.is_file():
                continue
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                self.bad_inputs.add("unsupported_name", path.name, "not an image file name")
                continue
            files.append(path)
        if not files:
            raise SourceError(f"no image files in {self.folder}")
        self._files = files
        self._index = 0
        self._delivered = 0

    def read(self) -> np.ndarray | None:
        while self._index < len(self._files):
            path = self._files[self._index]
            self._index += 1
            try:
                image = _read_image_file(path)
            except ImageRejected as err:
                self.bad_inputs.add(err.reason, path.name, err.message)
                continue
            except OSError as err:
                self.bad_inputs.add("unreadable", path.name, err.strerror or str(err))
                continue
            self._delivered += 1
            return image
        if self._delivered == 0:
            raise SourceError(f"no readable images in {self.folder}")
        return None

    def rewind(self) -> None:
        self._scan()

    def close(self) -> None:
        self._files = []

    def interrupt(self) -> None:
        """Local files do not hang."""


def _read_image_file(path: Path) -> np.ndarray:
    check_size(path.stat().st_size, CAMERA_IMAGE_LIMITS)  # before reading it
    return decode(path.read_bytes(), CAMERA_IMAGE_LIMITS)


def make_source(camera: CameraConfig, bad_inputs: BadInputCounter) -> FrameSource:
    """The source for a camera's configuration."""
    spec = camera.source
    if spec.kind == "http":
        return HttpMjpegSource(
            spec.location,
            open_timeout_s=camera.open_timeout_s,
            read_timeout_s=camera.read_timeout_s,
            bad_inputs=bad_inputs,
        )
    if spec.kind == "folder":
        return ImageFolderSource(spec.path, bad_inputs=bad_inputs)
    return OpenCVSource(
        spec, open_timeout_s=camera.open_timeout_s, read_timeout_s=camera.read_timeout_s
    )
