"""What the manager's console asks of the incident database: pages of incidents and trends.

No Home Assistant imports: every function takes an :class:`IncidentStore` and blocks, so callers
run it in an executor. All counting, grouping and ranking happens in SQL, on the indexes the
migrations create (``incidents_time``, ``incidents_store_time``, ``incidents_person`` and the
console's own); the benchmark ``benchmarks/console_queries.py`` times each query at 100k rows.

Incidents are paged by keyset, newest first on (occurred_at, incident_id), so a deep page costs
what the first does and a new incident arriving while staff page never shifts the rows they have
not seen yet. The cursor is an opaque string.

Local time: SQLite knows no time zones, so the shop's zone becomes a table of UTC offsets over the
range asked about (one row per daylight-saving change, found in Python with ``zoneinfo``) and each
incident's UTC time is shifted by the offset in force at that instant, in SQL. Hours and weekdays
are therefore right on both sides of a change, including the hour that repeats in autumn.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
import json
import sqlite3
from typing import Any, Final

from .audit import AuditAction
from .incidents import Incident, IncidentStore, ReviewStatus, incident_from_row

MAX_PAGE_SIZE: Final = 200
REPEAT_VISITORS_LIMIT: Final = 50
REPEAT_VISITORS_BATCH: Final = 100
WEEKLY_DIMENSIONS: Final = ("store", "camera", "category")


class InvalidCursorError(ValueError):
    """A cursor this module did not make (or made for another ordering)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentFilters:
    """Which incidents a page or a trend covers. Empty store_ids means every store.

    ``start`` is inclusive and ``end`` exclusive; both are timezone-aware.
    """

    store_ids: tuple[str, ...] = ()
    camera: str | None = None
    watchlist_id: str | None = None
    category: str | None = None
    review_status: ReviewStatus | None = None
    start: datetime | None = None
    end: datetime | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition (``1`` when nothing is filtered) and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.store_ids:
            # Unary plus: the stores are checked in whichever index a query reads, never chosen
            # as the index (the console asks for every store a user may see, and that index
            # would then have to be sorted again for the grouping or the page).
            clauses.append(f"+store_id IN ({', '.join('?' for _ in self.store_ids)})")
            params.extend(self.store_ids)
        for column, value in (
            ("camera", self.camera),
            ("watchlist_id", self.watchlist_id),
            ("category", self.category),
            ("review_status", str(self.review_status) if self.review_status else None),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.start is not None:
            clauses.append("occurred_at >= ?")
            params.append(utc_text(self.start))
        if self.end is not None:
            clauses.append("occurred_at < ?")
            params.append(utc_text(self.end))
        return (" AND ".join(clauses) or "1"), params


def utc_text(value: datetime) -> str:
    """A time as the incident store writes it (UTC, ISO 8601), so text comparison orders it."""
    if value.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return value.astimezone(UTC).isoformat()


def stores_present(connection: sqlite3.Connection) -> list[str]:
    """Every store with incidents, found by seeking from one store to the next in
    ``incidents_store_time`` (one seek per store, whatever the number of incidents)."""
    found: list[str] = []
    row = connection.execute("SELECT MIN(store_id) FROM incidents").fetchone()
    while row[0] is not None:
        found.append(row[0])
        row = connection.execute(
            "SELECT MIN(store_id) FROM incidents WHERE store_id > ?", (row[0],)
        ).fetchone()
    return found


@contextmanager
def _reading(
    store: IncidentStore, filters: IncidentFilters
) -> Iterator[tuple[sqlite3.Connection, str, list[Any]]]:
    """A connection reading one snapshot of the database, and the filters' SQL condition and
    parameters. A store filter that covers every store with incidents is left out (it would
    cost a check per row and exclude nothing)."""
    with store.connect() as connection:
        connection.execute("BEGIN")
        try:
            if filters.store_ids and set(stores_present(connection)) <= set(filters.store_ids):
                filters = replace(filters, store_ids=())
            where, params = filters.where()
            yield connection, where, params
        finally:
            connection.execute("COMMIT")


# --- paging ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    """One page of incidents, newest first; ``next_cursor`` None on the last page."""

    incidents: list[Incident]
    next_cursor: str | None


def encode_cursor(incident: Incident) -> str:
    """The cursor that continues after this incident."""
    key = json.dumps([utc_text(incident.occurred_at), incident.incident_id])
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """(occurred_at, incident_id) of a cursor; InvalidCursorError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError) as err:
        raise InvalidCursorError("not a cursor") from err
    if not (isinstance(key, list) and len(key) == 2 and all(isinstance(part, str) for part in key)):
        raise InvalidCursorError("not a cursor")
    occurred_at, incident_id = key
    try:
        datetime.fromisoformat(occurred_at)
    except ValueError as err:
        raise InvalidCursorError("not a cursor") from err
    return occurred_at, incident_id


def page(
    store: IncidentStore, filters: IncidentFilters, limit: int = 50, cursor: str | None = None
) -> Page:
    """Up to ``limit`` incidents (at most MAX_PAGE_SIZE) after ``cursor``, newest first."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    after = decode_cursor(cursor) if cursor is not None else None
    with _reading(store, filters) as (connection, where, params):
        keyset = " AND (occurred_at, incident_id) < (?, ?)" if after is not None else ""
        rows = connection.execute(
            f"SELECT * FROM incidents WHERE {where}{keyset} "  # noqa: S608 (fixed SQL)
            "ORDER BY occurred_at DESC, incident_id DESC LIMIT ?",
            (*params, *(after or ()), limit + 1),
        ).fetchall()
    incidents = [incident_from_row(row) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(incidents, encode_cursor(incidents[-1]) if more else None)


# --- local time --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalTime:
    """Turns UTC instants into the shop's local time in SQL.

    ``modifier(subject)`` is an SQLite date modifier ("+60 minutes") for the UTC instant in
    the SQL expression ``subject``, chosen by a CASE over the offset changes in the range; use it
    as ``strftime(format, subject, modifier)`` with ``params`` bound where it appears.
    """

    changes: list[tuple[str, str]]  # (from UTC instant, modifier), newest first
    first: str  # the modifier before every change

    def modifier(self, subject: str) -> str:
        """The SQL of the modifier for ``subject``."""
        if not self.changes:
            return "?"
        cases = " ".join(f"WHEN {subject} >= ? THEN ?" for _ in self.changes)
        return f"CASE {cases} ELSE ? END"

    @property
    def params(self) -> list[str]:
        """The values ``modifier`` binds, in order."""
        return [value for change in self.changes for value in change] + [self.first]


def _offset_minutes(zone: tzinfo, at: datetime) -> int:
    offset = at.astimezone(zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)


def _minutes(offset: int) -> str:
    return f"{offset:+d} minutes"


def offset_changes(zone: tzinfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The zone's UTC offset (minutes) from ``start``, then at each change until ``end``."""
    changes = [(start, _offset_minutes(zone, start))]
    day = timedelta(days=1)
    low = start
    while low < end:
        high = min(low + day, end)
        if _offset_minutes(zone, high) != changes[-1][1]:
            # The change lies in (low, high]: find its minute by bisection.
            before, after = low, high
            while after - before > timedelta(minutes=1):
                middle = before + (after - before) / 2
                if _offset_minutes(zone, middle) == changes[-1][1]:
                    before = middle
                else:
                    after = middle
            after = after.replace(second=0, microsecond=0)
            changes.append((after, _offset_minutes(zone, after)))
        low = high
    return changes


def time_range(
    connection: sqlite3.Connection, filters: IncidentFilters
) -> tuple[datetime, datetime] | None:
    """The span ``filters`` can cover: their start and end, or else the table's first and last
    incident (end exclusive); None for an open-ended span over an empty table."""
    start, end = filters.start, filters.end
    if start is None or end is None:
        # Two statements: SQLite seeks a lone MIN or MAX in the index, but scans for both.
        first = connection.execute("SELECT MIN(occurred_at) FROM incidents").fetchone()[0]
        last = connection.execute("SELECT MAX(occurred_at) FROM incidents").fetchone()[0]
        if first is None:
            return None
        start = start or datetime.fromisoformat(first)
        end = end or datetime.fromisoformat(last) + timedelta(seconds=1)
    return start, end


def local_time(connection: sqlite3.Connection, zone: tzinfo, filters: IncidentFilters) -> LocalTime:
    """The local time of the incidents ``filters`` can cover (the whole table's range when
    open-ended)."""
    span = time_range(connection, filters)
    if span is None:
        return LocalTime([], _minutes(_offset_minutes(zone, datetime.now(UTC))))
    start, end = span
    changes = offset_changes(zone, start.astimezone(UTC), end.astimezone(UTC))
    return LocalTime(
        [(utc_text(at), _minutes(offset)) for at, offset in reversed(changes[1:])],
        _minutes(changes[0][1]),
    )


# --- trends ------------------------------------------------------------------------------------
#
# Each query reads one covering index in its own order, so SQLite groups as it scans (no sort
# of every row): incidents are first counted per UTC hour (``incidents_hour``), and only the
# hours are turned into local weekdays, hours and weeks.

HOUR: Final = "substr(occurred_at, 1, 13)"  # the UTC hour, as the index incidents_hour has it
HOUR_START: Final = "h || ':00:00+00:00'"
WAIT: Final = "(julianday(reviewed_at) - julianday(occurred_at)) * 86400.0"  # incidents_review_wait


@dataclass(frozen=True, slots=True)
class HeatCell:
    """Incidents in one local hour of one weekday (ISO: 1 Monday … 7 Sunday)."""

    weekday: int
    hour: int
    count: int


@dataclass(frozen=True, slots=True)
class WeekCount:
    """Incidents of one ISO week (``2026-W07``, local time) for one store, camera or category."""

    week: str
    key: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class RepeatVisitor:
    """A watchlisted person seen on more than one (local) day or at more than one camera."""

    person_id: str
    visits: int
    days: int
    cameras: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    """Pending, confirmed and dismissed alerts of one watchlist, camera or store."""

    key: str
    label: str
    pending: int
    confirmed: int
    dismissed: int
    last_incident: datetime

    @property
    def total(self) -> int:
        """Every alert, reviewed or not."""
        return self.pending + self.confirmed + self.dismissed


@dataclass(frozen=True, slots=True)
class ReviewTimes:
    """Seconds from an alert to its review: how many, median and 90th percentile (nearest rank).

    None while nothing was reviewed.
    """

    count: int
    median_seconds: float | None
    p90_seconds: float | None


def heatmap(store: IncidentStore, filters: IncidentFilters, zone: tzinfo) -> list[HeatCell]:
    """Incidents per (local weekday, local hour); cells without incidents are left out."""
    with _reading(store, filters) as (connection, where, params):
        local = local_time(connection, zone, filters)
        rows = connection.execute(
            f"WITH buckets AS (SELECT {HOUR} AS h, COUNT(*) AS n FROM incidents "  # noqa: S608
            f"WHERE {where} GROUP BY h) "
            "SELECT (CAST(strftime('%w', t, m) AS INTEGER) + 6) % 7 + 1 AS wd, "
            "CAST(strftime('%H', t, m) AS INTEGER) AS hr, SUM(n) AS n "
            f"FROM (SELECT t, {local.modifier('t')} AS m, n "
            f"FROM (SELECT {HOUR_START} AS t, n FROM buckets)) "
            "GROUP BY wd, hr ORDER BY wd, hr",
            (*params, *local.params),
        ).fetchall()
    return [HeatCell(int(row["wd"]), int(row["hr"]), int(row["n"])) for row in rows]


# Per dimension: the column counted, and the index-ordered columns to group the hours by.
_WEEKLY: Final = {
    "store": ("store_id", "h, store_id"),  # incidents_hour
    "camera": ("camera", "h, store_id, camera"),  # incidents_hour
    "category": ("category", "category, h"),  # incidents_category_hour
}


def week_starts(zone: tzinfo, start: datetime, end: datetime) -> list[tuple[str, str]]:
    """(UTC hour, local date) of each local Monday 00:00 from the week holding ``start`` up to
    ``end``, newest first. The UTC hour is the first hour bucket of the week."""
    local = start.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    weeks: list[tuple[str, str]] = []
    while True:
        begins = datetime.combine(monday, time(), tzinfo=zone).astimezone(UTC)
        if weeks and begins >= end:
            break
        weeks.append((begins.isoformat()[:13], monday.isoformat()))
        monday += timedelta(weeks=1)
    return list(reversed(weeks))


def weekly(
    store: IncidentStore, filters: IncidentFilters, zone: tzinfo, by: str
) -> list[WeekCount]:
    """Incidents per ISO week (local time) and store, camera or category (``by``).

    Incidents are counted per UTC hour and key in index order; each hour is then given its
    local week by comparing it with the weeks' first hours (found in Python with the zone).
    """
    if by not in _WEEKLY:
        raise ValueError(f"weekly counts are by one of {', '.join(WEEKLY_DIMENSIONS)}")
    key, group = _WEEKLY[by]
    # A store is labelled with its newest name.
    label = (
        "(SELECT store_name FROM incidents AS named WHERE named.store_id = key "
        "ORDER BY occurred_at DESC LIMIT 1)"
        if by == "store"
        else "key"
    )
    with _reading(store, filters) as (connection, where, params):
        span = time_range(connection, filters)
        if span is None:
            return []
        weeks = week_starts(zone, *span)
        cases = " ".join("WHEN h >= ? THEN ?" for _ in weeks[:-1])
        monday = f"CASE {cases} ELSE ? END" if cases else "?"
        rows = connection.execute(
            f"WITH buckets AS (SELECT {HOUR} AS h, {key} AS key, COUNT(*) AS n "  # noqa: S608
            f"FROM incidents WHERE {where} GROUP BY {group}) "
            f"SELECT monday, key, {label} AS label, n FROM ("
            f"SELECT {monday} AS monday, key, SUM(n) AS n FROM buckets "
            "GROUP BY monday, key) ORDER BY monday, key",
            (*params, *(value for week in weeks[:-1] for value in week), weeks[-1][1]),
        ).fetchall()
    return [
        WeekCount(_iso_week(row["monday"]), row["key"], row["label"], int(row["n"])) for row in rows
    ]


def _iso_week(monday: str) -> str:
    year, week, _ = date.fromisoformat(monday).isocalendar()
    return f"{year}-W{week:02d}"


def repeat_visitors(
    store: IncidentStore,
    filters: IncidentFilters,
    zone: tzinfo,
    limit: int = REPEAT_VISITORS_LIMIT,
) -> list[RepeatVisitor]:
    """People seen on different (local) days or at different cameras: most visits first, then
    by person id.

    Anonymised incidents (person_id '') are not anyone and are left out. Visits are counted
    per person in one scan of ``incidents_person_visits``; then the days and cameras of the
    people with most visits are counted, a batch at a time, until ``limit`` came back.
    """
    with _reading(store, filters) as (connection, where, params):
        local = local_time(connection, zone, filters)
        candidates = connection.execute(
            "SELECT person_id, COUNT(*) AS visits FROM incidents "  # noqa: S608 (fixed SQL)
            f"WHERE person_id != '' AND {where} GROUP BY person_id HAVING visits > 1 "
            "ORDER BY visits DESC, person_id",
            params,
        ).fetchall()
        found: list[RepeatVisitor] = []
        for batch in range(0, len(candidates), REPEAT_VISITORS_BATCH):
            chosen = candidates[batch : batch + REPEAT_VISITORS_BATCH]
            marks = ", ".join("?" for _ in chosen)
            spread = {
                row["person_id"]: row
                for row in connection.execute(
                    "SELECT person_id, COUNT(DISTINCT date(occurred_at, m)) AS days, "  # noqa: S608
                    "COUNT(DISTINCT camera) AS cameras, MIN(occurred_at) AS first_seen, "
                    "MAX(occurred_at) AS last_seen FROM ("
                    f"SELECT person_id, camera, occurred_at, {local.modifier('occurred_at')} AS m "
                    f"FROM incidents WHERE person_id IN ({marks}) AND {where}) GROUP BY person_id",
                    (*local.params, *(row["person_id"] for row in chosen), *params),
                )
            }
            for candidate in chosen:
                row = spread[candidate["person_id"]]
                if row["days"] > 1 or row["cameras"] > 1:
                    found.append(
                        RepeatVisitor(
                            row["person_id"],
                            int(candidate["visits"]),
                            int(row["days"]),
                            int(row["cameras"]),
                            datetime.fromisoformat(row["first_seen"]),
                            datetime.fromisoformat(row["last_seen"]),
                        )
                    )
                    if len(found) == limit:
                        return found
    return found


# Per dimension: the column grouped by, and how the group is labelled (its newest name).
_OUTCOMES: Final = {
    "watchlist": ("watchlist_id", "watchlist"),
    "camera": ("camera", None),
    "store": ("store_id", "store_name"),
}


def outcomes(store: IncidentStore, filters: IncidentFilters, by: str) -> list[Outcome]:
    """Pending, confirmed and dismissed alerts per watchlist, camera or store (``by``)."""
    if by not in _OUTCOMES:
        raise ValueError(f"outcomes are by one of {', '.join(_OUTCOMES)}")
    key, name = _OUTCOMES[by]
    # The newest incident of the group names it (found by its time on incidents_time).
    label = (
        f"(SELECT {name} FROM incidents AS named WHERE named.occurred_at = last "  # noqa: S608
        f"AND named.{key} = key LIMIT 1)"
        if name
        else "key"
    )
    with _reading(store, filters) as (connection, where, params):
        rows = connection.execute(
            f"SELECT key, {label} AS label, last, pending, confirmed, dismissed FROM ("  # noqa: S608
            "SELECT key, MAX(last) AS last, "
            "SUM(CASE status WHEN 'pending' THEN n ELSE 0 END) AS pending, "
            "SUM(CASE status WHEN 'confirmed' THEN n ELSE 0 END) AS confirmed, "
            "SUM(CASE status WHEN 'dismissed' THEN n ELSE 0 END) AS dismissed FROM ("
            f"SELECT {key} AS key, review_status AS status, COUNT(*) AS n, "
            f"MAX(occurred_at) AS last FROM incidents WHERE {where} "
            f"GROUP BY {key}, review_status) GROUP BY key) ORDER BY label, key",
            params,
        ).fetchall()
    return [
        Outcome(
            row["key"],
            row["label"],
            int(row["pending"]),
            int(row["confirmed"]),
            int(row["dismissed"]),
            datetime.fromisoformat(row["last"]),
        )
        for row in rows
    ]


def store_totals(store: IncidentStore, filters: IncidentFilters) -> list[Outcome]:
    """Per store: incidents by review status, and the newest one's time."""
    return outcomes(store, filters, "store")


def review_times(store: IncidentStore, filters: IncidentFilters) -> ReviewTimes:
    """Seconds from alert (the incident's time) to review, over reviewed incidents.

    Read in order from the partial index ``incidents_review_wait``: the count, then the value
    at each rank.
    """
    with _reading(store, filters) as (connection, where, params):
        reviewed = f"reviewed_at IS NOT NULL AND {where}"
        count = int(
            connection.execute(
                f"SELECT COUNT(*) FROM incidents WHERE {reviewed}",  # noqa: S608 (fixed SQL)
                params,
            ).fetchone()[0]
        )

        def at_rank(rank: int) -> float | None:
            if count == 0:
                return None
            row = connection.execute(
                f"SELECT {WAIT} FROM incidents WHERE {reviewed} "  # noqa: S608 (fixed SQL)
                f"ORDER BY {WAIT} LIMIT 1 OFFSET ?",
                (*params, rank - 1),
            ).fetchone()
            return round(float(row[0]), 1)

        return ReviewTimes(count, at_rank((count + 1) // 2), at_rank((9 * count + 9) // 10))


def review_history(store: IncidentStore, subjects: Sequence[str]) -> list[dict[str, Any]]:
    """Audit rows of action ``review`` about any of ``subjects`` (an incident, its person),
    oldest first."""
    if not subjects:
        return []
    marks = ", ".join("?" for _ in subjects)
    with store.connect() as connection:
        rows = connection.execute(
            "SELECT seq, at, actor, subject, details FROM audit_log "  # noqa: S608 (fixed SQL)
            f"WHERE subject IN ({marks}) AND action = ? ORDER BY seq",
            [*subjects, str(AuditAction.REVIEW)],
        ).fetchall()
    return [
        {
            "seq": int(row["seq"]),
            "at": row["at"],
            "actor": row["actor"],
            "subject": row["subject"],
            "details": json.loads(row["details"]),
        }
        for row in rows
    ]
