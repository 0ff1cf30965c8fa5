"""Face events and their fan-out to WebSocket subscribers.

A face event carries one JPEG crop. It lives only in memory: in the hub's short replay buffer
(``api.replay_s``, so a client that reconnects within seconds misses nothing) and in the
subscribers' queues. Nothing here writes a crop to disk or to a log.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
import logging
import time

from .protocol import FaceEvent

_LOGGER = logging.getLogger(__name__)

SUBSCRIBER_QUEUE = 64
REPLAY_MAX_EVENTS = 200


class Subscription:
    """One subscriber's queue; slow subscribers lose their oldest events, counted."""

    def __init__(self, maxsize: int = SUBSCRIBER_QUEUE) -> None:
        self.queue: asyncio.Queue[FaceEvent] = asyncio.Queue(maxsize)
        self.dropped = 0

    def offer(self, event: FaceEvent) -> None:
        while self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)


class EventHub:
    """Receives events from pipeline threads and hands them to asyncio subscribers.

    ``publish`` is thread-safe; everything else runs on the event loop.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        replay_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._loop = loop
        self._replay_s = replay_s
        self._clock = clock
        self._recent: deque[FaceEvent] = deque(maxlen=REPLAY_MAX_EVENTS)
        self._subscribers: set[Subscription] = set()
        self.dropped_for_slow_clients = 0

    def publish(self, event: FaceEvent) -> None:
        """Called from any thread."""
        if self._loop.is_closed():
            return
        try:
            self._loop.call_soon_threadsafe(self._deliver, event)
        except RuntimeError:  # loop closed while shutting down
            _LOGGER.debug("event %s not delivered: event loop closed", event.event_id)

    def _deliver(self, event: FaceEvent) -> None:
        self._recent.append(event)
        self._prune()
        for subscription in list(self._subscribers):
            before = subscription.dropped
            subscription.offer(event)
            self.dropped_for_slow_clients += subscription.dropped - before

    def _prune(self) -> None:
        cutoff = self._clock() - self._replay_s
        while self._recent and (self._replay_s <= 0 or self._recent[0].emitted_at < cutoff):
            self._recent.popleft()

    def subscribe(self, since: float | None = None) -> Subscription:
        """A new subscription, pre-filled with buffered events emitted after ``since``."""
        subscription = Subscription()
        if since is not None:
            self._prune()
            for event in self._recent:
                if event.emitted_at > since:
                    subscription.offer(event)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def clear(self) -> None:
        """Forget buffered events (shutdown)."""
        self._recent.clear()
