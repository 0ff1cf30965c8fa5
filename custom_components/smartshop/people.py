"""Watchlist entries (people) and their storage.

Rekognition only ever sees a person's UUID (as the ``UserId`` of the person and the
``ExternalImageId`` of each of their photos); everything that identifies a person to staff lives
here, in Home Assistant's storage (written atomically).

Version 2 of the storage file keeps, per person, when each photo was added and whether the
person is a user on the backend yet (``user_created``). Version 1 entries (one face, no user)
load with ``user_created`` False and become users at the store's next set-up.

Version 2.2 adds the enrolment safeguards: the justification and the two attestations staff
gave, and whether the entry is active (an entry waiting for a second user's approval is not).
Entries from before load with no justification, no attestation and active: they are shown as
such, not blocked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, Category

STORAGE_VERSION: Final = 2
STORAGE_MINOR_VERSION: Final = 2
DATA_PEOPLE: HassKey[dict[str, PersonStore]] = HassKey(f"{DOMAIN}_people")

MANDATORY_TEXT_FIELDS: Final = ("display_name", "reason", "incident_reference", "added_by")


class EntryValidationError(ValueError):
    """A watchlist entry is missing something or has impossible dates."""

    def __init__(self, translation_key: str, **placeholders: str) -> None:
        """Remember which rule failed, for a translated error."""
        super().__init__(translation_key)
        self.translation_key = translation_key
        self.placeholders = placeholders


@dataclass(slots=True, kw_only=True)
class Person:
    """One watchlist entry."""

    person_id: str
    watchlist_id: str
    display_name: str
    category: Category
    reason: str
    incident_reference: str
    added_by: str
    added_at: datetime
    expires_at: datetime
    review_at: datetime
    updated_at: datetime
    face_ids: list[str] = field(default_factory=list)
    # The entry's own match threshold, raised by staff dismissing its matches ("Not them");
    # None: the store's threshold applies. A number only: nothing of the dismissed face is kept.
    dismissal_threshold: float | None = None
    # How many of the entry's matches staff dismissed: a count only, since a dismissed incident
    # is no longer linked to the entry.
    dismissals: int = 0
    # When each face (photo) was added; a face missing here was added with the entry.
    photo_added_at: dict[str, datetime] = field(default_factory=dict)
    # True once the person is a user on the backend with every face associated; False for an
    # entry from before users (or whose user could not be made yet): it is made at set-up.
    user_created: bool = False
    # The enrolment safeguards: why the entry is necessary (a Justification; '' for entries
    # from before), and what staff attested: the person is an adult, and not vulnerable.
    justification: str = ""
    attest_adult: bool = False
    attest_not_vulnerable: bool = False
    # False while the entry waits for a second user's approval (four-eyes): it never alerts.
    active: bool = True
    # The Home Assistant user who enrolled it (None: an automation or the system), and who
    # approved it and when (an entry that needed no approval has neither).
    enrolled_by_user_id: str | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None

    @property
    def status(self) -> str:
        """``active``, or ``pending_approval`` while a second user has not approved it."""
        return "active" if self.active else "pending_approval"

    def photo_time(self, face_id: str) -> datetime:
        """When a photo was added."""
        return self.photo_added_at.get(face_id, self.added_at)

    def is_expired(self, now: datetime) -> bool:
        """Return True once the entry's expiry has passed."""
        return now >= self.expires_at

    def as_dict(self) -> dict[str, Any]:
        """Serialise for storage and for responses to staff."""
        data = asdict(self)
        for key in ("added_at", "expires_at", "review_at", "updated_at"):
            data[key] = data[key].isoformat()
        data["category"] = str(self.category)
        data["approved_at"] = self.approved_at.isoformat() if self.approved_at else None
        data["photo_added_at"] = {
            face_id: added.isoformat() for face_id, added in self.photo_added_at.items()
        }
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Person:
        """Load from storage."""

        def when(key: str) -> datetime:
            value = dt_util.parse_datetime(data[key])
            if value is None:
                raise ValueError(f"bad {key} in stored person {data.get('person_id')}")
            return value

        return cls(
            person_id=data["person_id"],
            watchlist_id=data["watchlist_id"],
            display_name=data["display_name"],
            category=Category(data["category"]),
            reason=data["reason"],
            incident_reference=data["incident_reference"],
            added_by=data["added_by"],
            added_at=when("added_at"),
            expires_at=when("expires_at"),
            review_at=when("review_at"),
            updated_at=when("updated_at"),
            face_ids=list(data.get("face_ids", [])),
            dismissal_threshold=(
                None if (threshold := data.get("dismissal_threshold")) is None else float(threshold)
            ),
            dismissals=int(data.get("dismissals", 0)),
            photo_added_at={
                face_id: added
                for face_id, value in data.get("photo_added_at", {}).items()
                if (added := dt_util.parse_datetime(value)) is not None
            },
            user_created=bool(data.get("user_created", False)),
            justification=str(data.get("justification", "")),
            attest_adult=bool(data.get("attest_adult", False)),
            attest_not_vulnerable=bool(data.get("attest_not_vulnerable", False)),
            active=bool(data.get("active", True)),
            enrolled_by_user_id=data.get("enrolled_by_user_id"),
            approved_by=data.get("approved_by"),
            approved_at=(
                dt_util.parse_datetime(data["approved_at"]) if data.get("approved_at") else None
            ),
        )


def validate_entry(person: Person, *, now: datetime, max_expiry_days: int) -> None:
    """Refuse an entry that lacks mandatory metadata or has impossible dates."""
    for name in MANDATORY_TEXT_FIELDS:
        if not str(getattr(person, name)).strip():
            raise EntryValidationError("missing_field", field=name)
    if person.expires_at <= now:
        raise EntryValidationError("expiry_in_past")
    latest = now + timedelta(days=max_expiry_days)
    if person.expires_at > latest:
        raise EntryValidationError(
            "expiry_too_far", max_days=str(max_expiry_days), latest=latest.date().isoformat()
        )
    if person.review_at <= now:
        raise EntryValidationError("review_in_past")
    if person.review_at > person.expires_at:
        raise EntryValidationError("review_after_expiry")


@dataclass(slots=True, kw_only=True)
class KnownWatchlist:
    """What this store remembers about a watchlist, to clean up after it is removed."""

    collection_id: str
    owned: bool


class _PeopleFile(Store[dict[str, Any]]):
    """The people file, migrated on load from older versions."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        return migrate_people_data(old_major_version, old_data, old_minor_version)


def migrate_people_data(
    old_version: int, data: dict[str, Any], old_minor_version: int = STORAGE_MINOR_VERSION
) -> dict[str, Any]:
    """Bring a people file of an older version to the current one.

    1 -> 2: each entry's single face becomes a photo added with the entry, and the entry is
    marked as not yet a user on the backend (set-up makes it one).
    2.1 -> 2.2: entries from before the enrolment safeguards have no justification and no
    attestation (shown as such), and stay active.
    """
    if old_version < 2:
        people = []
        for item in data.get("people", []):
            person = dict(item)
            person.setdefault(
                "photo_added_at", dict.fromkeys(person.get("face_ids", []), person["added_at"])
            )
            person.setdefault("user_created", False)
            people.append(person)
        data = {**data, "people": people}
    if old_version < 2 or old_minor_version < STORAGE_MINOR_VERSION:
        data = {
            **data,
            "people": [
                {
                    "justification": "",
                    "attest_adult": False,
                    "attest_not_vulnerable": False,
                    "active": True,
                }
                | dict(item)
                for item in data.get("people", [])
            ],
        }
    return data


class PersonStore:
    """People and known watchlists of one store (config entry)."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Attach to the store file of one config entry."""
        self._store: Store[dict[str, Any]] = _PeopleFile(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}.people",
            private=True,
            atomic_writes=True,
            minor_version=STORAGE_MINOR_VERSION,
        )
        self._people: dict[str, Person] = {}
        self._by_face: dict[str, str] = {}
        self.watchlists: dict[str, KnownWatchlist] = {}
        self.loaded = False

    async def async_load(self) -> None:
        """Read the store from disk, once: the in-memory copy is the truth afterwards."""
        if self.loaded:
            return
        data = await self._store.async_load() or {}
        self.loaded = True
        self._people = {
            item["person_id"]: Person.from_dict(item) for item in data.get("people", [])
        }
        self.watchlists = {
            key: KnownWatchlist(**value) for key, value in data.get("watchlists", {}).items()
        }
        self._reindex()

    async def async_save(self) -> None:
        """Write the store to disk now (atomically)."""
        self._reindex()
        await self._store.async_save(
            {
                "people": [person.as_dict() for person in self._people.values()],
                "watchlists": {key: asdict(value) for key, value in self.watchlists.items()},
            }
        )

    async def async_remove_file(self) -> None:
        """Delete the store file (the config entry is being removed)."""
        await self._store.async_remove()

    def _reindex(self) -> None:
        self._by_face = {
            face_id: person.person_id
            for person in self._people.values()
            for face_id in person.face_ids
        }

    def get(self, person_id: str) -> Person | None:
        """Return a person by UUID."""
        return self._people.get(person_id)

    def put(self, person: Person) -> None:
        """Add or replace a person (call async_save afterwards)."""
        self._people[person.person_id] = person

    def pop(self, person_id: str) -> Person | None:
        """Forget a person (call async_save afterwards)."""
        return self._people.pop(person_id, None)

    def people(self, watchlist_id: str | None = None) -> Iterator[Person]:
        """Iterate over people, optionally of one watchlist."""
        for person in self._people.values():
            if watchlist_id is None or person.watchlist_id == watchlist_id:
                yield person

    def pending_users(self) -> list[Person]:
        """People not yet users on the backend (entries from before users, or not made yet)."""
        return [person for person in self._people.values() if not person.user_created]

    def count(self, watchlist_id: str | None = None) -> int:
        """Number of people, optionally of one watchlist."""
        return sum(1 for _ in self.people(watchlist_id))


def person_store(hass: HomeAssistant, entry_id: str) -> PersonStore:
    """The one person store of a config entry, kept across reloads.

    A reload (options, subentries, the bridge's camera list) must not read the file while an
    enrolment started before it is still making the user: that enrolment writes into this same
    object, so the reloaded store sees the person at once (a fresh object would miss them
    until the next reload and search by face meanwhile).
    """
    stores = hass.data.setdefault(DATA_PEOPLE, {})
    if (store := stores.get(entry_id)) is None:
        store = stores[entry_id] = PersonStore(hass, entry_id)
    return store


async def async_remove_person_store(hass: HomeAssistant, entry_id: str) -> None:
    """Forget a removed config entry's people: memory and file."""
    store = hass.data.get(DATA_PEOPLE, {}).pop(entry_id, None) or PersonStore(hass, entry_id)
    await store.async_remove_file()
