"""Watchlists: collections on the recognition backend plus the people this store put in them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
import re
from typing import Final
import uuid

from homeassistant.config_entries import ConfigSubentry
from homeassistant.util import dt as dt_util, slugify

from .const import (
    CONF_CATEGORY,
    CONF_COLLECTION_ID,
    CONF_NAME,
    CONF_OWNED,
    DEFAULT_REVIEW_DAYS,
    LOGGER,
    SUBENTRY_WATCHLIST,
    Category,
)
from .people import KnownWatchlist, Person, PersonStore, validate_entry
from .recognition import CollectionNotFoundError, FaceMatch, RecognitionClient

COLLECTION_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9_.\-]{1,255}$")


def collection_id_for(store_key: str, name: str, shared: str = "") -> str:
    """The collection of a new watchlist: the one the owner named (shared with other stores),
    or one of the store's own, named after its id (never its name) and the watchlist's."""
    return (shared or f"smartshop-{store_key}-{slugify(name)}").replace("_", "-")


async def async_prepare_collection(
    client: RecognitionClient, collection_id: str, *, shared: bool
) -> bool:
    """Create the collection, or join the existing one the owner named; True when this store
    owns it (created it). Raises RecognitionError."""
    try:
        await client.describe_collection(collection_id)
    except CollectionNotFoundError:
        await client.ensure_collection(collection_id)
        return True
    return not shared


@dataclass(frozen=True, slots=True)
class Watchlist:
    """A watchlist as configured in a subentry."""

    watchlist_id: str
    name: str
    category: Category
    collection_id: str
    owned: bool

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> Watchlist:
        """Build from a watchlist subentry."""
        return cls(
            watchlist_id=subentry.subentry_id,
            name=subentry.data[CONF_NAME],
            category=Category(subentry.data[CONF_CATEGORY]),
            collection_id=subentry.data[CONF_COLLECTION_ID],
            owned=subentry.data.get(CONF_OWNED, True),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEntry:
    """What staff provide to put someone on a watchlist."""

    display_name: str
    reason: str
    incident_reference: str
    added_by: str
    category: Category | None = None
    expires_at: datetime | None = None
    review_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ResolvedMatch:
    """A backend match joined with what this store knows about the person."""

    match: FaceMatch
    watchlist: Watchlist
    person: Person | None  # None: the face was enrolled by another store sharing the collection


class WatchlistManager:
    """Everything that changes watchlists, for one store."""

    def __init__(
        self,
        client: RecognitionClient,
        store: PersonStore,
        subentries: Mapping[str, ConfigSubentry],
        *,
        default_expiry_days: int,
        max_expiry_days: int,
    ) -> None:
        """Bind the backend client, the local store and the configured watchlists."""
        self.client = client
        self.store = store
        self.watchlists = {
            sub_id: Watchlist.from_subentry(sub)
            for sub_id, sub in subentries.items()
            if sub.subentry_type == SUBENTRY_WATCHLIST
        }
        self._by_collection = {wl.collection_id: wl for wl in self.watchlists.values()}
        self.default_expiry_days = default_expiry_days
        self.max_expiry_days = max_expiry_days
        # Called after a person is removed (by staff, expiry or a removed watchlist) to delete
        # what else is held about them: reference photo, incidents and their snapshots.
        self.on_removed: Callable[[Person], Awaitable[None]] | None = None

    @property
    def collection_ids(self) -> list[str]:
        """Collections searched for this store."""
        return [wl.collection_id for wl in self.watchlists.values()]

    def find_watchlist(self, name_or_id: str) -> Watchlist | None:
        """Find a watchlist by subentry id or (case-insensitive) name."""
        if name_or_id in self.watchlists:
            return self.watchlists[name_or_id]
        wanted = name_or_id.strip().casefold()
        return next((wl for wl in self.watchlists.values() if wl.name.casefold() == wanted), None)

    async def async_sync(self) -> None:
        """Make the backend match the configured watchlists.

        New watchlists get their collection (already created by the subentry flow; this repairs a
        collection deleted behind our back). Watchlists whose subentry the owner removed are
        cleaned up: an owned collection is deleted, a shared one loses only this store's faces;
        either way this store's people on it are forgotten.
        """
        known = self.store.watchlists
        for watchlist_id in [key for key in known if key not in self.watchlists]:
            await self._async_forget_watchlist(watchlist_id, known[watchlist_id])
        for watchlist in self.watchlists.values():
            if watchlist.watchlist_id not in known:
                known[watchlist.watchlist_id] = KnownWatchlist(
                    collection_id=watchlist.collection_id, owned=watchlist.owned
                )
            await self.client.ensure_collection(watchlist.collection_id)
        await self.store.async_save()

    async def _async_forget_watchlist(self, watchlist_id: str, known: KnownWatchlist) -> None:
        people = list(self.store.people(watchlist_id))
        if known.owned:
            await self.client.delete_collection(known.collection_id)
        else:
            face_ids = [face for person in people for face in person.face_ids]
            if face_ids:
                with suppress(CollectionNotFoundError):
                    await self.client.delete_faces(known.collection_id, face_ids)
        for person in people:
            self.store.pop(person.person_id)
            if self.on_removed is not None:
                await self.on_removed(person)
        del self.store.watchlists[watchlist_id]
        LOGGER.info(
            "Watchlist removed: %s people forgotten, collection %s",
            len(people),
            "deleted" if known.owned else "kept (shared), this store's faces deleted",
        )

    def build_person(self, watchlist: Watchlist, entry: NewEntry, now: datetime) -> Person:
        """Turn staff input into a validated entry (defaults applied), without side effects."""
        expires_at = entry.expires_at or now + timedelta(days=self.default_expiry_days)
        review_at = entry.review_at or min(expires_at, now + timedelta(days=DEFAULT_REVIEW_DAYS))
        person = Person(
            person_id=str(uuid.uuid4()),
            watchlist_id=watchlist.watchlist_id,
            display_name=entry.display_name.strip(),
            category=entry.category or watchlist.category,
            reason=entry.reason.strip(),
            incident_reference=entry.incident_reference.strip(),
            added_by=entry.added_by.strip(),
            added_at=now,
            expires_at=expires_at,
            review_at=review_at,
            updated_at=now,
        )
        validate_entry(person, now=now, max_expiry_days=self.max_expiry_days)
        return person

    async def async_enroll(self, watchlist: Watchlist, entry: NewEntry, image: bytes) -> Person:
        """Validate, index exactly one face, then store the entry."""
        person = self.build_person(watchlist, entry, dt_util.utcnow())
        face = await self.client.index_face(watchlist.collection_id, image, person.person_id)
        person.face_ids.append(face.face_id)
        self.store.put(person)
        await self.store.async_save()
        return person

    async def async_update(
        self,
        person: Person,
        *,
        category: Category | None = None,
        reason: str | None = None,
        incident_reference: str | None = None,
        expires_at: datetime | None = None,
        review_at: datetime | None = None,
    ) -> Person:
        """Change an entry's metadata; the same rules as at enrolment apply."""
        now = dt_util.utcnow()
        updated = Person.from_dict(person.as_dict())  # a copy, validated before it replaces
        if category is not None:
            updated.category = category
        if reason is not None:
            updated.reason = reason.strip()
        if incident_reference is not None:
            updated.incident_reference = incident_reference.strip()
        if expires_at is not None:
            updated.expires_at = expires_at
            # A shortened expiry pulls the review date in with it, unless a new one is given.
            updated.review_at = min(updated.review_at, expires_at)
        if review_at is not None:
            updated.review_at = review_at
        updated.updated_at = now
        validate_entry(updated, now=now, max_expiry_days=self.max_expiry_days)
        self.store.put(updated)
        await self.store.async_save()
        return updated

    async def async_remove(self, person: Person) -> list[str]:
        """Delete a person's faces from the backend, then the entry. Returns deleted face ids."""
        deleted: list[str] = []
        watchlist = self.watchlists.get(person.watchlist_id)
        if watchlist is not None and person.face_ids:
            try:
                deleted = await self.client.delete_faces(watchlist.collection_id, person.face_ids)
            except CollectionNotFoundError:
                deleted = []
        self.store.pop(person.person_id)
        await self.store.async_save()
        if self.on_removed is not None:
            await self.on_removed(person)
        return deleted

    async def async_purge_expired(self, now: datetime | None = None) -> int:
        """Remove every entry past its expiry (faces deleted from the backend)."""
        now = now or dt_util.utcnow()
        expired = [person for person in self.store.people() if person.is_expired(now)]
        for person in expired:
            await self.async_remove(person)
        if expired:
            LOGGER.info("Removed %s expired watchlist entries", len(expired))
        return len(expired)

    def resolve(self, match: FaceMatch) -> ResolvedMatch | None:
        """Join a backend match with the watchlist and, when held here, the person."""
        watchlist = self._by_collection.get(match.collection_id)
        if watchlist is None:
            return None
        person = self.store.get(match.external_image_id)
        if person is not None and (
            person.watchlist_id != watchlist.watchlist_id or person.is_expired(dt_util.utcnow())
        ):
            return None
        return ResolvedMatch(match=match, watchlist=watchlist, person=person)
