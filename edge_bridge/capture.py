"""Per-camera capture: an isolated reader thread, a watchdog, reconnects and a bounded queue.

Each camera has a supervisor thread. It starts a reader thread per connection attempt; the
reader opens the source (with open/read timeouts) and pushes frames into a small queue that
drops the OLDEST frame when the pipeline falls behind, so analysis always works on the newest
picture and memory stays flat. The supervisor watches the reader's heartbeat: a reader that
makes no progress for ``stall_timeout_s`` is abandoned (its generation is retired, so anything
it produces later is ignored) and a new one is started. Failed connections are retried with
exponential backoff, capped at ``backoff_max_s`` (0.5 s -> 5 s by default), so a camera that comes
back is streaming again within about ``backoff_max_s`` + its connect time.

Every timing decision (pacing, the live fps limit, the watchdog, the backoff) reads one
:class:`Clock`, by default the system's monotonic clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
import itertools
import logging
import threading
import time
from typing import Any, Protocol

import numpy as np

from .settings import CameraConfig
from .sources import BadInputCounter, FrameSource, SourceError, make_source

_LOGGER = logging.getLogger(__name__)

DEFAULT_FILE_FPS = 25.0
STABLE_SESSION_S = 10.0  # a connection that lasted this long resets the backoff


class Clock(Protocol):
    """Monotonic time and interruptible waits: what capture timing is measured with."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (only differences are meaningful)."""
        ...

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Sleep ``seconds``, returning early (True) as soon as ``stop`` is set."""
        ...


class SystemClock:
    """:func:`time.monotonic` and :meth:`threading.Event.wait`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        return stop.wait(seconds)


SYSTEM_CLOCK = SystemClock()


@dataclass(slots=True)
class Frame:
    """One captured picture.

    ``captured_at`` is wall-clock epoch seconds (for event timestamps); ``media_ts`` is the
    source's own clock in seconds (file position for recordings, monotonic time for live
    cameras), used for tracking and visit timing so a recording analysed faster than real time
    behaves like one watched live. ``session`` changes whenever continuity is broken (reconnect,
    loop restart).
    """

    image: np.ndarray
    seq: int
    captured_at: float
    media_ts: float
    session: int


class FrameQueue:
    """A bounded FIFO that drops the oldest frame when full (or blocks, for lossless replay)."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._items: deque[Frame] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.dropped = 0

    def put(self, frame: Frame) -> int:
        """Add a frame, dropping the oldest ones if full; return how many were dropped."""
        with self._cond:
            dropped = 0
            while len(self._items) >= self.maxsize:
                self._items.popleft()
                dropped += 1
            self._items.append(frame)
            self.dropped += dropped
            self._cond.notify()
            return dropped

    def put_wait(self, frame: Frame, stop: threading.Event, poll_s: float = 0.1) -> bool:
        """Add a frame, waiting for room (back-pressure); False if stopped or closed first."""
        with self._cond:
            while len(self._items) >= self.maxsize:
                if self._closed or stop.is_set():
                    return False
                self._cond.wait(poll_s)
            if self._closed:
                return False
            self._items.append(frame)
            self._cond.notify_all()
            return True

    def get(self, timeout: float | None = None) -> Frame | None:
        """The oldest queued frame, or None after ``timeout`` or once closed and empty."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._items:
                if self._closed:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            frame = self._items.popleft()
            self._cond.notify_all()
            return frame

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)


@dataclass(slots=True)
class CameraStats:
    """Counters for one camera (read by the API and /metrics)."""

    frames_in: int = 0
    frames_analysed: int = 0
    frames_dropped: int = 0
    frames_skipped: int = 0  # live frames over the configured fps limit
    reconnects: int = 0
    stalls: int = 0
    last_frame_at: float | None = None
    connected: bool = False
    connected_since: float | None = None
    state: str = "starting"
    last_error: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(slots=True)
class _Reader:
    generation: int
    source: FrameSource
    thread: threading.Thread = field(init=False)
    outcome: str = "running"  # running | eof | error | stopped
    error: str | None = None
    opened_at: float | None = None
    frames: int = 0
    heartbeat: float = 0.0


type SourceFactory = Callable[[CameraConfig, BadInputCounter], FrameSource]


class Camera:
    """One camera's capture: supervisor + reader threads, queue, latest frame and counters."""

    def __init__(
        self,
        config: CameraConfig,
        *,
        source_factory: SourceFactory = make_source,
        wall_clock: Callable[[], float] = time.time,
        clock: Clock = SYSTEM_CLOCK,
        tap: Callable[[Frame], None] | None = None,
    ) -> None:
        """``tap`` sees every delivered frame on the capture thread (the footage buffer's
        hand-over); it must return at once and never raise."""
        self.config = config
        self._tap = tap
        self.id = config.id
        self.queue = FrameQueue(config.queue_size)
        self.bad_inputs = BadInputCounter(config.id)
        self._source_factory = source_factory
        self._wall_clock = wall_clock
        self._clock = clock
        self._stats = CameraStats()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._active_generation = 0
        self._reader: _Reader | None = None
        self._latest: Frame | None = None
        self._seq = itertools.count(1)
        self._session = 0
        self._media_offset = 0.0
        self._ended = threading.Event()

    # ------------------------------------------------------------------ public

    def start(self) -> None:
        if self._supervisor is not None:
            raise RuntimeError(f"camera {self.id} already started")
        self._supervisor = threading.Thread(
            target=self._supervise, name=f"camera-{self.id}", daemon=True
        )
        self._supervisor.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        reader = self._reader
        if reader is not None:
            reader.source.interrupt()
        self.queue.close()
        if self._supervisor is not None:
            self._supervisor.join(timeout)
        self._set(state="stopped", connected=False)

    @property
    def ended(self) -> bool:
        """True when a non-looping file or folder has been played to the end."""
        return self._ended.is_set()

    def wait_ended(self, timeout: float | None = None) -> bool:
        return self._ended.wait(timeout)

    def stats(self) -> CameraStats:
        with self._lock:
            snap = CameraStats(**{name: getattr(self._stats, name) for name in _STAT_FIELDS})
        snap.frames_dropped = self.queue.dropped
        return snap

    def add_analysed(self, count: int = 1) -> None:
        with self._lock:
            self._stats.frames_analysed += count

    def latest_frame(self) -> Frame | None:
        return self._latest

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.config.name,
            "location": self.config.location,
            "source": self.config.source.redacted(),
            "kind": self.config.source.kind,
        }

    # ------------------------------------------------------------------ internals

    def _set(self, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self._stats, name, value)

    def _supervise(self) -> None:
        cfg = self.config
        failures = 0
        while not self._stop.is_set():
            reader = self._start_reader()
            self._watch(reader)
            if self._stop.is_set():
                break
            if reader.outcome == "eof":
                _LOGGER.info("camera %s: end of %s", self.id, cfg.source.redacted())
                self._set(state="ended", connected=False)
                self._ended.set()
                break
            was_connected = self.stats().connected
            self._set(connected=False, state="reconnecting", last_error=reader.error)
            lasted = (self._clock.monotonic() - reader.opened_at) if reader.opened_at else 0.0
            if reader.frames and lasted >= STABLE_SESSION_S:
                failures = 0
            delay = min(cfg.backoff_max_s, cfg.backoff_min_s * (2**failures))
            failures = min(failures + 1, 30)
            if was_connected or failures == 1:
                _LOGGER.warning(
                    "camera %s: %s; reconnecting (retrying every %.1f-%.1f s)",
                    self.id,
                    reader.error or "source failed",
                    cfg.backoff_min_s,
                    cfg.backoff_max_s,
                )
            else:
                _LOGGER.debug("camera %s: still failing: %s", self.id, reader.error)
            with self._lock:
                self._stats.reconnects += 1
            if self._clock.wait(self._stop, delay):
                break
        self.queue.close()

    def _start_reader(self) -> _Reader:
        with self._lock:
            self._active_generation += 1
            generation = self._active_generation
        reader = _Reader(generation, self._source_factory(self.config, self.bad_inputs))
        reader.heartbeat = self._clock.monotonic()
        reader.thread = threading.Thread(
            target=self._read_loop,
            args=(reader,),
            name=f"camera-{self.id}-reader-{generation}",
            daemon=True,  # an abandoned reader stuck in a driver call must not block exit
        )
        self._reader = reader
        self._set(state="connecting")
        reader.thread.start()
        return reader

    def _watch(self, reader: _Reader) -> None:
        cfg = self.config
        while reader.thread.is_alive():
            reader.thread.join(0.2)
            if self._stop.is_set():
                reader.source.interrupt()
                reader.thread.join(1.0)
                return
            limit = cfg.stall_timeout_s
            if reader.opened_at is None:
                limit = max(limit, cfg.open_timeout_s + 2.0)
            if reader.thread.is_alive() and self._clock.monotonic() - reader.heartbeat > limit:
                with self._lock:
                    self._active_generation += 1  # retire the stuck reader
                    self._stats.stalls += 1
                reader.outcome = "error"
                reader.error = f"no frame for {limit:g} s (reader abandoned)"
                reader.source.interrupt()
                _LOGGER.warning("camera %s: reader stalled; abandoning it", self.id)
                return

    def _current(self, reader: _Reader) -> bool:
        return reader.generation == self._active_generation and not self._stop.is_set()

    def _read_loop(self, reader: _Reader) -> None:
        source = reader.source
        try:
            reader.heartbeat = self._clock.monotonic()
            source.open()
            if not self._current(reader):
                return
            reader.opened_at = reader.heartbeat = self._clock.monotonic()
            self._session += 1
            self._pump(reader)
        except SourceError as err:
            reader.outcome, reader.error = "error", str(err)
        except Exception as err:  # a driver bug must not kill the camera thread for good
            _LOGGER.exception("camera %s: unexpected capture error", self.id)
            reader.outcome, reader.error = "error", f"{type(err).__name__}: {err}"
        finally:
            try:
                source.close()
            except Exception:  # closing a broken driver must not raise
                _LOGGER.debug("camera %s: error closing source", self.id, exc_info=True)

    def _pump(self, reader: _Reader) -> None:
        cfg = self.config
        source = reader.source
        pacer = _Pacer(cfg, source, self._media_offset, self._stop, self._clock)
        first = True
        while self._current(reader):
            image = source.read()
            reader.heartbeat = self._clock.monotonic()
            if not self._current(reader):
                return
            if image is None:  # end of a file or folder pass
                if not cfg.loop:
                    reader.outcome = "eof"
                    return
                source.rewind()
                self._session += 1
                pacer.restart()
                continue
            keep = pacer.admit()
            self._media_offset = pacer.media_ts
            if keep is None:  # stopped while waiting
                return
            if not keep:
                with self._lock:
                    self._stats.frames_in += 1
                    self._stats.frames_skipped += 1
                continue
            reader.frames += 1
            frame = Frame(
                image=image,
                seq=next(self._seq),
                captured_at=self._wall_clock(),
                media_ts=pacer.media_ts,
                session=self._session,
            )
            if first:
                first = False
                self._on_connected(frame)
            self._deliver(frame, lossless=not (source.live or cfg.realtime))
            if self.queue.closed:
                return

    def _deliver(self, frame: Frame, *, lossless: bool) -> None:
        with self._lock:
            self._stats.frames_in += 1
            self._stats.last_frame_at = frame.captured_at
        self._latest = frame
        if self._tap is not None:
            try:
                self._tap(frame)
            except Exception:  # a recording problem must never stop capture
                _LOGGER.debug("camera %s: frame tap failed", self.id, exc_info=True)
        if lossless:
            self.queue.put_wait(frame, self._stop)
        else:
            self.queue.put(frame)

    def _on_connected(self, frame: Frame) -> None:
        height, width = frame.image.shape[:2]
        stats = self.stats()
        self._set(
            connected=True,
            connected_since=frame.captured_at,
            state="streaming",
            last_error=None,
            width=width,
            height=height,
        )
        if stats.reconnects:
            _LOGGER.info(
                "camera %s: streaming again (%dx%d; reconnect attempts so far: %d)",
                self.id,
                width,
                height,
                stats.reconnects,
            )
        else:
            _LOGGER.info("camera %s: streaming %dx%d", self.id, width, height)


class _Pacer:
    """Frame pacing and the media clock for one connection.

    Live cameras: the media clock is monotonic time; frames over the fps limit are skipped.
    Files and folders: the media clock advances one frame period per frame; in real-time mode
    frames are released at that rate, otherwise as fast as they are consumed.
    """

    def __init__(
        self,
        cfg: CameraConfig,
        source: FrameSource,
        media_offset: float,
        stop: threading.Event,
        clock: Clock,
    ) -> None:
        self.live = source.live
        self.stop = stop
        self.clock = clock
        rate = cfg.fps or source.nominal_fps or DEFAULT_FILE_FPS
        self.media_step = 1.0 / rate
        if self.live:
            self.interval = 1.0 / cfg.fps if cfg.fps else None
        else:
            self.interval = self.media_step if cfg.realtime else None
        self.media_ts = media_offset
        self.next_due = clock.monotonic()
        self.last_kept = 0.0

    def restart(self) -> None:
        self.next_due = self.clock.monotonic()

    def admit(self) -> bool | None:
        """True: keep this frame; False: skip it (rate limit); None: stopped while waiting."""
        now = self.clock.monotonic()
        if self.live:
            self.media_ts = now
            if self.interval is not None and now - self.last_kept < self.interval * 0.95:
                return False
            self.last_kept = now
            return True
        self.media_ts += self.media_step
        if self.interval is None:
            return True
        self.next_due += self.interval
        delay = self.next_due - now
        if delay < -1.0:  # far behind (the machine was busy): restart the schedule
            self.next_due = now
        elif delay > 0 and self.clock.wait(self.stop, delay):
            return None
        return True


_STAT_FIELDS = tuple(CameraStats.__dataclass_fields__)
