"""The audit log: append-only, hash-chained, a changed/removed row found, CSV export."""

from __future__ import annotations

import csv
from pathlib import Path
import sqlite3

import pytest

from custom_components.smartshop.audit import AuditAction, AuditLog
from custom_components.smartshop.incidents import IncidentStore


@pytest.fixture
def database(tmp_path: Path) -> IncidentStore:
    return IncidentStore(tmp_path / "smartshop.db")


@pytest.fixture
def log(database: IncidentStore) -> AuditLog:
    audit = AuditLog(database)
    audit.append(
        AuditAction.ENROL,
        actor="Sam (u1)",
        store_id="s1",
        subject="p1",
        details={"watchlist": "w1", "category": "theft"},
    )
    audit.append(AuditAction.LIST_PEOPLE, actor="Ali (u2)", store_id="s1", details={"people": 1})
    audit.append(
        AuditAction.REMOVE,
        actor="Sam (u1)",
        store_id="s1",
        subject="p1",
        details={"faces": 2, "incidents": 1},
    )
    return audit


def _raw(database: IncidentStore) -> sqlite3.Connection:
    """A connection that edits the file directly, as someone bypassing SmartShop would."""
    connection = sqlite3.connect(database.path, isolation_level=None)
    connection.execute("DROP TRIGGER audit_log_no_update")
    connection.execute("DROP TRIGGER audit_log_no_delete")
    return connection


def test_rows_chain_and_verify(log: AuditLog) -> None:
    entries = log.entries()
    assert [entry.seq for entry in entries] == [1, 2, 3]
    assert [entry.action for entry in entries] == ["enrol", "list_people", "remove"]
    assert entries[0].details == {"category": "theft", "watchlist": "w1"}
    assert len({entry.hash for entry in entries}) == 3
    check = log.verify()
    assert check.intact
    assert check.rows == 3
    assert [entry.seq for entry in log.entries(subject="p1")] == [1, 3]


def test_smartshop_cannot_rewrite_history(log: AuditLog, database: IncidentStore) -> None:
    with database.connect() as connection:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("DELETE FROM audit_log WHERE seq = 2")
    assert log.verify().intact


def test_an_edited_row_is_found(log: AuditLog, database: IncidentStore) -> None:
    with _raw(database) as connection:
        connection.execute("UPDATE audit_log SET actor = 'Nobody (u9)' WHERE seq = 2")
    check = log.verify()
    assert not check.intact
    assert check.first_broken == 2
    assert "changed" in check.reason


def test_a_rehashed_row_breaks_the_next_link(log: AuditLog, database: IncidentStore) -> None:
    """Someone who edits a row and recomputes its hash still breaks the row after it."""
    from custom_components.smartshop.audit import row_hash

    with _raw(database) as connection:
        row = connection.execute("SELECT * FROM audit_log WHERE seq = 1").fetchone()
        forged = row_hash(row[7], 1, row[1], "Nobody (u9)", row[3], row[4], row[5], row[6])
        connection.execute(
            "UPDATE audit_log SET actor = 'Nobody (u9)', hash = ? WHERE seq = 1", (forged,)
        )
    check = log.verify()
    assert check.first_broken == 2
    assert "follow" in check.reason


def test_a_removed_row_is_found(log: AuditLog, database: IncidentStore) -> None:
    with _raw(database) as connection:
        connection.execute("DELETE FROM audit_log WHERE seq = 2")
    check = log.verify()
    assert check.first_broken == 3
    assert "row 2 is missing" in check.reason


def test_csv_export(log: AuditLog, tmp_path: Path) -> None:
    target = tmp_path / "audit.csv"
    assert log.export_csv(target) == 3
    assert target.stat().st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [row["action"] for row in rows] == ["enrol", "list_people", "remove"]
    assert rows[2]["hash"] == log.entries()[2].hash


def test_empty_log_verifies(database: IncidentStore) -> None:
    check = AuditLog(database).verify()
    assert check.intact
    assert check.rows == 0
