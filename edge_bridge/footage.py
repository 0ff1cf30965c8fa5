"""The footage buffer: a short rolling recording of each camera, encrypted at rest.

Like any CCTV recorder, the bridge keeps the last ``footage.minutes`` (default 30, at most 72 h)
of every camera at a modest rate (``footage.fps``, default 1 frame/s), so staff can go back to a
moment and enrol a face from it. Nothing here looks for faces: frames are stored and served,
never analysed, until staff pick one.

Storage: ``<data_dir>/footage/<camera>/<start>.seg`` (directories 0700, files 0600), one segment
per ``SEGMENT_S`` seconds of wall-clock time. A segment is ``MAGIC`` followed by records: the
frame's capture time in epoch milliseconds and the payload length (``RECORD_HEAD``), then the
payload, a fresh 12-byte nonce and the JPEG sealed with AES-GCM under the key in
``<data_dir>/footage.key`` (0600, made at the first start), the camera and time bound in as
associated data. Segments older than the retention are deleted by the clock; when the buffer
exceeds ``footage.max_disk_mb`` the oldest segments go first.

The capture thread only *offers* a frame (a time comparison and a non-blocking put on a small
queue); one writer thread encodes, encrypts and writes. When the disk is slow the queue fills and
further frames are dropped and counted, so recording never slows capture or analysis.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
import logging
import os
from pathlib import Path
import queue
import secrets
import shutil
import struct
import threading
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
import cv2
import numpy as np

from .metrics import FootageCounts
from .settings import FootageSettings

_LOGGER = logging.getLogger(__name__)

FOOTAGE_DIR = "footage"
KEY_FILE = "footage.key"
KEY_BYTES = 32
NONCE_BYTES = 12
MAGIC = b"SSFOOT1\n"
RECORD_HEAD = struct.Struct(">QI")  # capture time (epoch ms), payload length
SEGMENT_S = 60
SEGMENT_SUFFIX = ".seg"
QUEUE_FRAMES = 4  # frames waiting for the writer; more are dropped and counted
EXPIRE_EVERY_S = 10.0
MAX_SPAN_S = 300.0  # a listing covers at most this many seconds either side of its moment
MAX_LISTED = 600  # timestamps in one listing (the nearest to the moment)
MAX_RECORD_BYTES = 32 * 1024 * 1024

type WallClock = Callable[[], float]


class FootageError(Exception):
    """The footage buffer cannot be opened (unusable directory or key); one-line message."""


@dataclass(slots=True)
class _Pending:
    camera_id: str
    image: np.ndarray
    captured_at: float


def to_millis(timestamp: float) -> int:
    """A capture time as the whole milliseconds it is stored under."""
    return round(timestamp * 1000.0)


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def load_key(data_dir: Path) -> bytes:
    """The footage key, made (0600) at the first start."""
    path = data_dir / KEY_FILE
    try:
        _private_dir(data_dir)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes()
        else:
            key = secrets.token_bytes(KEY_BYTES)
            try:
                os.write(fd, key)
            finally:
                os.close(fd)
        path.chmod(0o600)
    except OSError as err:
        raise FootageError(f"footage key {path}: {err.strerror or err}") from err
    if len(key) != KEY_BYTES:
        raise FootageError(f"footage key {path}: not a {KEY_BYTES}-byte key")
    return key


def purge_footage(data_dir: Path) -> None:
    """Delete every recorded segment (the buffer was turned off)."""
    root = data_dir / FOOTAGE_DIR
    if root.is_dir():
        shutil.rmtree(root, ignore_errors=True)
        _LOGGER.info("footage buffer off: recorded footage deleted")


class FootageRecorder:
    """Every camera's footage buffer: the writer thread, the segments and their reading."""

    def __init__(
        self,
        data_dir: Path,
        settings: FootageSettings,
        *,
        clock: WallClock = time.time,
        max_bytes: int | None = None,
    ) -> None:
        if settings.minutes <= 0:
            raise ValueError("the footage buffer is off (footage.minutes is 0)")
        self.settings = settings
        self.root = data_dir / FOOTAGE_DIR
        self.retention_s = settings.minutes * 60.0
        self.max_bytes = settings.max_disk_mb * 1024 * 1024 if max_bytes is None else max_bytes
        self._clock = clock
        self._interval = 1.0 / settings.fps
        try:
            _private_dir(self.root)
        except OSError as err:
            raise FootageError(f"footage directory {self.root}: {err.strerror or err}") from err
        self._aead = AESGCM(load_key(data_dir))
        self._lock = threading.Lock()
        self._segments: dict[tuple[str, int], int] = {}  # (camera, start) -> bytes
        self._last_offer: dict[str, float] = {}
        self._recorded: dict[str, int] = {}
        self._dropped: dict[str, int] = {}
        self._queue: queue.Queue[_Pending] = queue.Queue(QUEUE_FRAMES)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_expire = float("-inf")
        self._scan()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self.expire()
        self._thread = threading.Thread(target=self._run, name="footage-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    # ------------------------------------------------------------------ capture side

    def offer(self, camera_id: str, image: np.ndarray, captured_at: float) -> bool:
        """Hand a captured frame over (cheap; never blocks). True if it was queued."""
        last = self._last_offer.get(camera_id)
        if last is not None and 0.0 <= captured_at - last < self._interval * 0.95:
            return False
        self._last_offer[camera_id] = captured_at
        try:
            self._queue.put_nowait(_Pending(camera_id, image, captured_at))
        except queue.Full:
            with self._lock:
                self._dropped[camera_id] = self._dropped.get(camera_id, 0) + 1
            return False
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                pending = self._queue.get(timeout=0.5)
            except queue.Empty:
                pending = None
            if pending is not None:
                try:
                    self.record(pending.camera_id, self._encode(pending.image), pending.captured_at)
                except (OSError, cv2.error, ValueError) as err:
                    with self._lock:
                        self._dropped[pending.camera_id] = (
                            self._dropped.get(pending.camera_id, 0) + 1
                        )
                    _LOGGER.warning("footage %s: frame not recorded: %s", pending.camera_id, err)
            if self._clock() - self._last_expire >= EXPIRE_EVERY_S:
                self.expire()

    def _encode(self, image: np.ndarray) -> bytes:
        width = self.settings.width
        if image.shape[1] > width:
            height = max(1, round(image.shape[0] * width / image.shape[1]))
            image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.settings.quality])
        if not ok:
            raise ValueError("JPEG encoding failed")
        return bytes(data.tobytes())

    # ------------------------------------------------------------------ storage

    def _camera_dir(self, camera_id: str) -> Path:
        return self.root / camera_id

    def _segment_path(self, camera_id: str, start: int) -> Path:
        return self._camera_dir(camera_id) / f"{start}{SEGMENT_SUFFIX}"

    @staticmethod
    def _aad(camera_id: str, millis: int) -> bytes:
        return f"{camera_id}\x00{millis}".encode()

    def record(self, camera_id: str, jpeg: bytes, captured_at: float) -> None:
        """Encrypt one JPEG and append it to its segment (the writer thread's work)."""
        millis = to_millis(captured_at)
        start = (millis // 1000) // SEGMENT_S * SEGMENT_S
        nonce = secrets.token_bytes(NONCE_BYTES)
        payload = nonce + self._aead.encrypt(nonce, jpeg, self._aad(camera_id, millis))
        directory = self._camera_dir(camera_id)
        if not directory.is_dir():
            _private_dir(directory)
        path = self._segment_path(camera_id, start)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            data = RECORD_HEAD.pack(millis, len(payload)) + payload
            if size == 0:
                os.fchmod(fd, 0o600)
                data = MAGIC + data
            os.write(fd, data)
        finally:
            os.close(fd)
        with self._lock:
            self._segments[(camera_id, start)] = size + len(data)
            self._recorded[camera_id] = self._recorded.get(camera_id, 0) + 1
            over = sum(self._segments.values()) > self.max_bytes
        if over:
            self._enforce_cap()

    def _scan(self) -> None:
        """Learn the segments already on disk (from an earlier run)."""
        for directory in self.root.iterdir():
            if not directory.is_dir():
                continue
            for path in directory.glob(f"*{SEGMENT_SUFFIX}"):
                stem = path.name.removesuffix(SEGMENT_SUFFIX)
                if stem.isdigit():
                    self._segments[(directory.name, int(stem))] = path.stat().st_size

    def _delete(self, key: tuple[str, int]) -> None:
        camera_id, start = key
        self._segment_path(camera_id, start).unlink(missing_ok=True)
        with self._lock:
            self._segments.pop(key, None)

    def expire(self) -> int:
        """Delete segments older than the retention, then enforce the disk cap; how many went."""
        now = self._clock()
        self._last_expire = now
        oldest_kept = now - self.retention_s
        with self._lock:
            expired = [key for key in self._segments if key[1] + SEGMENT_S <= oldest_kept]
        for key in expired:
            self._delete(key)
        return len(expired) + self._enforce_cap()

    def _enforce_cap(self) -> int:
        removed = 0
        while True:
            with self._lock:
                if not self._segments or sum(self._segments.values()) <= self.max_bytes:
                    return removed
                oldest = min(self._segments, key=lambda key: (key[1], key[0]))
            self._delete(oldest)
            removed += 1

    # ------------------------------------------------------------------ reading

    def _records(self, camera_id: str, start: int) -> Iterator[tuple[int, int, int]]:
        """(epoch ms, payload offset, payload length) of each whole record of a segment."""
        try:
            with self._segment_path(camera_id, start).open("rb") as file:
                if file.read(len(MAGIC)) != MAGIC:
                    return
                while len(head := file.read(RECORD_HEAD.size)) == RECORD_HEAD.size:
                    millis, length = RECORD_HEAD.unpack(head)
                    offset = file.tell()
                    if length > MAX_RECORD_BYTES:
                        return
                    file.seek(length, os.SEEK_CUR)
                    if file.tell() > os.fstat(file.fileno()).st_size:
                        return  # a record still being written
                    yield millis, offset, length
        except FileNotFoundError:
            return  # expired meanwhile

    def _in_retention(self, millis: int) -> bool:
        return millis / 1000.0 >= self._clock() - self.retention_s

    def timestamps(self, camera_id: str, around: float, span: float) -> list[float]:
        """Capture times (epoch seconds) of the frames within ``span`` s of ``around``."""
        span = min(max(span, 0.0), MAX_SPAN_S)
        low, high = to_millis(around - span), to_millis(around + span)
        with self._lock:
            starts = sorted(
                start
                for camera, start in self._segments
                if camera == camera_id and start * 1000 <= high and (start + SEGMENT_S) * 1000 > low
            )
        found = sorted(
            {
                millis
                for start in starts
                for millis, _, _ in self._records(camera_id, start)
                if low <= millis <= high and self._in_retention(millis)
            }
        )
        if len(found) > MAX_LISTED:
            centre = to_millis(around)
            found = sorted(sorted(found, key=lambda m: abs(m - centre))[:MAX_LISTED])
        return [millis / 1000.0 for millis in found]

    def frame(self, camera_id: str, timestamp: float) -> bytes | None:
        """The JPEG captured at ``timestamp`` (to the millisecond), decrypted; None if gone."""
        millis = to_millis(timestamp)
        if not self._in_retention(millis):
            return None
        start = (millis // 1000) // SEGMENT_S * SEGMENT_S
        for found, offset, length in self._records(camera_id, start):
            if found != millis:
                continue
            try:
                with self._segment_path(camera_id, start).open("rb") as file:
                    file.seek(offset)
                    payload = file.read(length)
                return self._aead.decrypt(
                    payload[:NONCE_BYTES], payload[NONCE_BYTES:], self._aad(camera_id, millis)
                )
            except (FileNotFoundError, InvalidTag):
                return None
        return None

    def figures(self) -> FootageCounts:
        with self._lock:
            return FootageCounts(
                recorded=dict(self._recorded),
                dropped=dict(self._dropped),
                bytes_on_disk=sum(self._segments.values()),
            )

    @property
    def queued(self) -> int:
        """Frames waiting for the writer."""
        return self._queue.qsize()
