"""Refusal of a signed mutating request received a second time.

SigV4 binds a signature to the request and to its ``X-Amz-Date``, and the engine accepts a date
within ``max_clock_skew`` (5 minutes) of its clock. Within that window a captured request
verifies again: someone who recorded an IndexFaces on the LAN (plain HTTP, or a TLS proxy)
could store the same face any number of times, or replay a DeleteFaces later.

AWS itself accepts a repeated signed request inside its window; it relies on TLS to keep
requests from being captured. This engine is stricter for the operations that change the
store: it remembers (access key, signature) of each mutating request it ran until the signature
expires (``X-Amz-Date`` + the skew), and answers a repeat with HTTP 403
``InvalidSignatureException`` "this signed request was already used; sign a new one". A
legitimate client never sends the same signature twice: botocore signs every retry attempt
anew (a fresh ``X-Amz-Date`` and signature for each attempt), so retries are unaffected.
Read-only operations (searches, listings, DetectFaces) are not tracked: repeating them changes
nothing.

Memory is bounded: entries expire with their signatures, and when ``max_entries`` are held the
guard refuses new mutating requests with ``ThrottlingException`` (botocore backs off and
retries) instead of forgetting a signature that is still valid. A request whose operation
failed (an error answer: nothing changed) is forgotten, so its retry is not refused.

One consequence for clients: ``X-Amz-Date`` has a resolution of one second, so the same
mutating call with the same parameters made twice within one second carries the same
signature, and the second is refused as a replay. botocore's retries after a refusal or an
error are not affected (the first attempt was forgotten); a client that wants the same change
twice makes the second call in a later second.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import heapq
import threading
from typing import Final

from .errors import INVALID_SIGNATURE, THROTTLING, AuthError, EngineError

DEFAULT_MAX_ENTRIES: Final = 20_000
REPLAY_MESSAGE: Final = "this signed request was already used; sign a new one"
# Operations that only read; every other operation the engine implements changes the store.
READ_ONLY_OPERATIONS: Final = frozenset(
    {
        "CompareFaces",
        "DescribeCollection",
        "DetectFaces",
        "ListCollections",
        "ListFaces",
        "ListUsers",
        "SearchFaces",
        "SearchFacesByImage",
        "SearchUsers",
        "SearchUsersByImage",
    }
)


def is_mutating(operation: str) -> bool:
    """True for operations that change the store (tracked against replay)."""
    return operation not in READ_ONLY_OPERATIONS


class ReplayGuard:
    """Remembers used signatures until they expire; thread-safe."""

    def __init__(
        self,
        max_skew: timedelta,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_skew = max_skew
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._expiry: dict[tuple[str, str], float] = {}
        self._heap: list[tuple[float, tuple[str, str]]] = []

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry)

    def admit(self, access_key: str, signature: str, signed_at: datetime) -> None:
        """Record a mutating request about to run, or raise if it ran before or memory is full.

        Raises :class:`AuthError` (403 InvalidSignatureException) for a repeat and
        :class:`EngineError` (400 ThrottlingException) when ``max_entries`` are all still valid.
        """
        now = self._clock().timestamp()
        expires = (signed_at + self.max_skew).timestamp()
        key = (access_key, signature)
        with self._lock:
            self._expire(now)
            if key in self._expiry:
                raise AuthError(INVALID_SIGNATURE, REPLAY_MESSAGE)
            if len(self._expiry) >= self.max_entries:
                raise EngineError(
                    THROTTLING,
                    "Too many recent changes to remember; retry in a moment",
                )
            self._expiry[key] = expires
            heapq.heappush(self._heap, (expires, key))

    def release(self, access_key: str, signature: str) -> None:
        """Forget a request whose operation failed (it changed nothing; a retry may run)."""
        with self._lock:
            self._expiry.pop((access_key, signature), None)

    def _expire(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] < now:
            _, key = heapq.heappop(heap)
            self._expiry.pop(key, None)
