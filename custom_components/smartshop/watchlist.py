"""Watchlists: collections on the recognition backend plus the people this store put in them.

A person is a *user* of their watchlist's collection (``UserId`` = the person's UUID) with one
face per photo (``ExternalImageId`` = the same UUID) associated with it, so a search decides per
person, however many photos they have. Entries from before users (one face, no user) are made
users at set-up (:meth:`WatchlistManager.async_migrate_users`), and again later if the backend
was not ready; until then the store searches faces, as before.
"""

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
from .people import EntryValidationError, KnownWatchlist, Person, PersonStore, validate_entry
from .recognition import (
    CollectionNotFoundError,
    FaceMatch,
    RecognitionClient,
    RecognitionError,
)

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
    justification: str = ""
    attest_adult: bool = False
    attest_not_vulnerable: bool = False
    # False: the store requires a second user's approval before the entry alerts.
    active: bool = True
    enrolled_by_user_id: str | None = None


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
        # Called with the entries the expiry purge removed (also when it stopped part-way).
        self.on_expired: Callable[[list[Person]], Awaitable[None]] | None = None
        # True after the backend refused to make an entry a user: retried later.
        self.users_to_retry = False

    @property
    def collection_ids(self) -> list[str]:
        """Collections searched for this store."""
        return [wl.collection_id for wl in self.watchlists.values()]

    @property
    def search_by_user(self) -> bool:
        """True when the store has entries and every one is a user on the backend, so searches
        decide per person (SearchUsersByImage). False while an entry still waits to become one,
        or when the store has no entries of its own (only, perhaps, another store's in a shared
        collection): a face search finds everyone."""
        return self.store.count() > 0 and not self.store.pending_users()

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
            with suppress(CollectionNotFoundError):
                for person in people:
                    await self._async_delete_user(known.collection_id, person)
                face_ids = [face for person in people for face in person.face_ids]
                if face_ids:
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
            justification=entry.justification,
            attest_adult=entry.attest_adult,
            attest_not_vulnerable=entry.attest_not_vulnerable,
            active=entry.active,
            enrolled_by_user_id=entry.enrolled_by_user_id,
        )
        validate_entry(person, now=now, max_expiry_days=self.max_expiry_days)
        return person

    async def async_enroll(self, watchlist: Watchlist, entry: NewEntry, image: bytes) -> Person:
        """Validate, index exactly one face (quality gate first), make the person a user with
        that face, then store the entry.

        A backend that cannot make the user now (down, or an engine without users yet) leaves
        the entry found by face search; the user is made at the next set-up or retry.
        """
        person = self.build_person(watchlist, entry, dt_util.utcnow())
        face = await self.client.index_face(watchlist.collection_id, image, person.person_id)
        person.face_ids.append(face.face_id)
        person.photo_added_at[face.face_id] = person.added_at
        self.store.put(person)
        await self._async_make_user(watchlist.collection_id, person)
        await self.store.async_save()
        return person

    async def _async_make_user(self, collection_id: str, person: Person) -> bool:
        """Create the person's user and associate their faces (idempotent); False, logged, if
        the backend refused (the person stays searchable by face until it works)."""
        try:
            await self.client.create_user(collection_id, person.person_id)
            if person.face_ids:
                await self.client.associate_faces(collection_id, person.person_id, person.face_ids)
        except RecognitionError as err:
            LOGGER.warning(
                "Entry %s is not a user on the backend yet (will retry): %s", person.person_id, err
            )
            self.users_to_retry = True
            return False
        person.user_created = True
        return True

    async def async_migrate_users(self) -> int:
        """Make every entry from before users (one face, no user) a user with its face.

        Idempotent (an existing user or an already associated face is fine). Stops at the first
        refusal, so a backend that is down is not asked again for every entry; the rest are
        tried at the next call. Returns how many entries became users.
        """
        migrated = 0
        self.users_to_retry = False
        for person in self.store.pending_users():
            watchlist = self.watchlists.get(person.watchlist_id)
            if watchlist is None:
                continue
            if not await self._async_make_user(watchlist.collection_id, person):
                break
            migrated += 1
        if migrated:
            await self.store.async_save()
            LOGGER.info("%s watchlist entries are now users on the backend", migrated)
        return migrated

    async def async_add_photo(self, person: Person, image: bytes) -> str:
        """Index another photo of the person (quality gate first) and associate it with their
        user; returns its face id. The entry's dismissal threshold is reset: a new photo is a
        new chance for the entry to match only its person.

        A photo the backend will not associate (e.g. not similar enough to the person's other
        photos) is deleted again and the error raised.
        """
        watchlist = self.watchlists.get(person.watchlist_id)
        if watchlist is None:
            raise CollectionNotFoundError(f"Watchlist {person.watchlist_id} is not configured")
        if not person.user_created:
            await self._async_make_user(watchlist.collection_id, person)
        face = await self.client.index_face(watchlist.collection_id, image, person.person_id)
        if person.user_created:
            try:
                await self.client.associate_faces(
                    watchlist.collection_id, person.person_id, [face.face_id]
                )
            except RecognitionError:
                with suppress(RecognitionError):
                    await self.client.delete_faces(watchlist.collection_id, [face.face_id])
                raise
        person.face_ids.append(face.face_id)
        person.photo_added_at[face.face_id] = dt_util.utcnow()
        person.updated_at = dt_util.utcnow()
        self.store.put(person)
        await self.store.async_save()
        return face.face_id

    async def async_replace_face(self, person: Person, old_face_id: str, image: bytes) -> str:
        """Index a kept photo again (the backend's current embedding) in place of its old face;
        returns the new face id. Used to re-embed a watchlist after an engine upgrade.

        The new face joins the person's user before the old one leaves it, so the person stays
        findable throughout. If the backend refuses the new face, it is deleted again and the
        old one kept; if only removing the old face fails, the person keeps both (nothing is
        lost; a later run replaces the old one) and the error is raised.
        """
        watchlist = self.watchlists.get(person.watchlist_id)
        if watchlist is None:
            raise CollectionNotFoundError(f"Watchlist {person.watchlist_id} is not configured")
        collection_id = watchlist.collection_id
        face = await self.client.index_face(collection_id, image, person.person_id)
        if person.user_created:
            try:
                await self.client.associate_faces(collection_id, person.person_id, [face.face_id])
            except RecognitionError:
                with suppress(RecognitionError):
                    await self.client.delete_faces(collection_id, [face.face_id])
                raise
        added_at = person.photo_time(old_face_id)
        position = person.face_ids.index(old_face_id)
        person.face_ids.insert(position + 1, face.face_id)
        person.photo_added_at[face.face_id] = added_at
        self.store.put(person)
        await self.store.async_save()
        if person.user_created:
            await self.client.disassociate_faces(collection_id, person.person_id, [old_face_id])
        await self.client.delete_faces(collection_id, [old_face_id])
        person.face_ids.remove(old_face_id)
        person.photo_added_at.pop(old_face_id, None)
        self.store.put(person)
        await self.store.async_save()
        return face.face_id

    async def async_remove_photo(self, person: Person, face_id: str) -> None:
        """Remove one photo: disassociate its face from the user, then delete it.

        Raises EntryValidationError for a face that is not the person's, or for their last
        photo (an entry needs one; remove the person instead).
        """
        if face_id not in person.face_ids:
            raise EntryValidationError(
                "photo_not_found", face_id=face_id, person_id=person.person_id
            )
        if len(person.face_ids) == 1:
            raise EntryValidationError("last_photo", person_id=person.person_id)
        watchlist = self.watchlists.get(person.watchlist_id)
        if watchlist is not None:
            with suppress(CollectionNotFoundError):
                if person.user_created:
                    # AWS refuses to delete a face associated with a user.
                    await self.client.disassociate_faces(
                        watchlist.collection_id, person.person_id, [face_id]
                    )
                await self.client.delete_faces(watchlist.collection_id, [face_id])
        person.face_ids.remove(face_id)
        person.photo_added_at.pop(face_id, None)
        person.updated_at = dt_util.utcnow()
        self.store.put(person)
        await self.store.async_save()

    async def _async_delete_user(self, collection_id: str, person: Person) -> None:
        """Delete the person's user (its faces are disassociated by the backend). For an entry
        not known to be a user, a refusal is only logged: there may be no user at all."""
        if person.user_created:
            await self.client.delete_user(collection_id, person.person_id)
            return
        try:
            await self.client.delete_user(collection_id, person.person_id)
        except RecognitionError as err:
            LOGGER.debug("No user deleted for entry %s: %s", person.person_id, err)

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

    async def async_approve(self, person: Person, *, by: str) -> Person:
        """Activate an entry waiting for approval (the caller checks who may approve)."""
        person.active = True
        person.approved_by = by
        person.approved_at = person.updated_at = dt_util.utcnow()
        self.store.put(person)
        await self.store.async_save()
        return person

    async def async_remove(self, person: Person) -> list[str]:
        """Delete a person's user and faces from the backend, then the entry. Returns deleted
        face ids. The user goes first: AWS refuses to delete faces associated with a user."""
        deleted: list[str] = []
        watchlist = self.watchlists.get(person.watchlist_id)
        if watchlist is not None:
            try:
                await self._async_delete_user(watchlist.collection_id, person)
                if person.face_ids:
                    deleted = await self.client.delete_faces(
                        watchlist.collection_id, person.face_ids
                    )
            except CollectionNotFoundError:
                deleted = []
        self.store.pop(person.person_id)
        await self.store.async_save()
        if self.on_removed is not None:
            await self.on_removed(person)
        return deleted

    async def async_purge_expired(self, now: datetime | None = None) -> list[Person]:
        """Remove every entry past its expiry (faces deleted from the backend); returns them."""
        now = now or dt_util.utcnow()
        expired = [person for person in self.store.people() if person.is_expired(now)]
        removed: list[Person] = []
        try:
            for person in expired:
                await self.async_remove(person)
                removed.append(person)
        finally:
            if removed:
                LOGGER.info("Removed %s expired watchlist entries", len(removed))
                if self.on_expired is not None:
                    await self.on_expired(removed)
        return removed

    def resolve(self, match: FaceMatch) -> ResolvedMatch | None:
        """Join a backend match with the watchlist and, when held here, the person."""
        watchlist = self._by_collection.get(match.collection_id)
        if watchlist is None:
            return None
        person = self.store.get(match.external_image_id)
        if person is not None and (
            person.watchlist_id != watchlist.watchlist_id
            or person.is_expired(dt_util.utcnow())
            or not person.active  # waiting for a second user's approval: never alerts
        ):
            return None
        return ResolvedMatch(match=match, watchlist=watchlist, person=person)
