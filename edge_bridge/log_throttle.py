"""At most one log line per key per interval, with a count of the lines held back.

A device on the shop LAN can make the bridge refuse thousands of requests a second; logging each
refusal would fill the disk and the journal faster than the requests cost anything else. Every
place that logs something a peer can cause goes through a :class:`LogThrottle`::

    _THROTTLE = LogThrottle(interval_s=60.0)
    ...
    _THROTTLE.log(_LOGGER, logging.WARNING, "refused:" + reason, "Refused %s: %s", peer, reason)

The first line for a key is logged at once; further lines for it within the interval are
counted, and the next line logged after the interval ends with "(N similar suppressed)".
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
import logging
import threading
import time
from typing import Final

DEFAULT_INTERVAL_S: Final = 60.0
DEFAULT_MAX_KEYS: Final = 1024


class LogThrottle:
    """Rate-limit log lines by key; thread-safe. ``clock`` is a seam for tests (monotonic s)."""

    def __init__(
        self,
        interval_s: float = DEFAULT_INTERVAL_S,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        if interval_s <= 0 or max_keys < 1:
            raise ValueError("interval_s must be positive and max_keys at least 1")
        self.interval_s = interval_s
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        # key -> (time of the last line logged, lines suppressed since)
        self._keys: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def allow(self, key: str) -> int | None:
        """None to stay silent; otherwise log now, mentioning the returned suppressed count."""
        now = self._clock()
        with self._lock:
            entry = self._keys.get(key)
            if entry is not None and now - entry[0] < self.interval_s:
                self._keys[key] = (entry[0], entry[1] + 1)
                return None
            suppressed = entry[1] if entry is not None else 0
            self._keys[key] = (now, 0)
            self._keys.move_to_end(key)
            while len(self._keys) > self._max_keys:  # bounded: forget the stalest key
                self._keys.popitem(last=False)
            return suppressed

    def log(
        self,
        logger: logging.Logger,
        level: int,
        key: str,
        msg: str,
        *args: object,
    ) -> bool:
        """Log ``msg % args`` unless ``key`` was logged within the interval; True if logged."""
        suppressed = self.allow(key)
        if suppressed is None:
            return False
        if suppressed:
            logger.log(level, msg + " (%d similar suppressed)", *args, suppressed)
        else:
            logger.log(level, msg, *args)
        return True
