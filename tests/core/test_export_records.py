"""The records of which export files hold whose data: written, held, forgotten, and found for
the exports made before the records existed (the migration reads the audit log)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import sqlite3

import pytest

from custom_components.smartshop.audit import AuditAction, AuditLog
from custom_components.smartshop.export_records import ExportKind, ExportRecord, ExportRecords
from custom_components.smartshop.incidents import MIGRATIONS, SCHEMA_VERSION, IncidentStore

NOW = datetime(2026, 12, 2, 10, 15, tzinfo=UTC)
ALICE = "0f7c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5"
BOB = "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"


def test_add_hold_forget(tmp_path: Path) -> None:
    """Records per person, oldest first; a file written again is recorded once; a held file
    keeps its claim and time; a forgotten one goes."""
    records = ExportRecords(IncidentStore(tmp_path / "smartshop.db"))
    records.add("evidence-1.pdf", ALICE, ExportKind.EVIDENCE_PACK, at=NOW)
    records.add("subject-access-1.zip", ALICE, ExportKind.SUBJECT_ACCESS, at=NOW)
    records.add("subject-access-1.zip", ALICE, ExportKind.SUBJECT_ACCESS, at=NOW)
    records.add("subject-access-2.zip", BOB, ExportKind.SUBJECT_ACCESS, at=NOW)
    assert [r.file for r in records.of_person(ALICE)] == [
        "evidence-1.pdf",
        "subject-access-1.zip",
    ]
    records.hold("evidence-1.pdf", ALICE, reason="Police reference 41/1234/26", at=NOW)
    records.forget("subject-access-1.zip", ALICE)
    assert records.of_person(ALICE) == [
        ExportRecord(
            file="evidence-1.pdf",
            person_id=ALICE,
            kind=ExportKind.EVIDENCE_PACK,
            created_at=NOW,
            held_reason="Police reference 41/1234/26",
            held_at=NOW,
        )
    ]
    assert [r.file for r in records.of_person(BOB)] == ["subject-access-2.zip"]
    with pytest.raises(ValueError, match="person"):
        records.add("evidence-2.pdf", "", ExportKind.EVIDENCE_PACK, at=NOW)


def _audit_row(
    connection: sqlite3.Connection, seq: int, action: str, subject: str, details: str
) -> None:
    connection.execute(
        "INSERT INTO audit_log (seq, at, actor, action, store_id, subject, details, prev_hash, "
        "hash) VALUES (?, ?, 'Sam (u1)', ?, 's1', ?, ?, '', '')",
        (seq, (NOW + timedelta(minutes=seq)).isoformat(), action, subject, details),
    )


def test_migration_finds_the_exports_made_before(tmp_path: Path) -> None:
    """A database of schema 4 gains the table, filled from the audit log's export rows about a
    person: subject-access archives and evidence packs. A report (no subject), another action
    and a row whose details are not JSON (edited by hand) add nothing and stop nothing."""
    path = tmp_path / "smartshop.db"
    connection = sqlite3.connect(path)
    for migration in MIGRATIONS[:4]:
        for statement in migration:
            connection.execute(statement)
    connection.execute("PRAGMA user_version = 4")
    archive = {"file": "subject-access-0f7c1d2e-20261202T101600Z.zip", "photos": 2}
    pack = {"kind": "evidence_pack", "incident": "i1", "file": "evidence-11111111-x.pdf"}
    report = {"kind": "report", "file": "report-20261202T101800Z.pdf"}
    export = str(AuditAction.EXPORT)
    for seq, action, subject, details in (
        (1, export, ALICE, json.dumps(archive)),
        (2, export, ALICE, json.dumps(pack)),
        (3, export, "", json.dumps(report)),
        (4, str(AuditAction.AUDIT_EXPORTED), "", json.dumps({"file": "audit-log.csv"})),
        (5, export, BOB, "not json {"),
        (6, export, BOB, json.dumps({"file": 12})),
    ):
        _audit_row(connection, seq, action, subject, details)
    connection.commit()
    connection.close()

    store = IncidentStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    records = ExportRecords(store)
    assert records.of_person(ALICE) == [
        ExportRecord(
            file=archive["file"],
            person_id=ALICE,
            kind=ExportKind.SUBJECT_ACCESS,
            created_at=NOW + timedelta(minutes=1),
        ),
        ExportRecord(
            file=pack["file"],
            person_id=ALICE,
            kind=ExportKind.EVIDENCE_PACK,
            created_at=NOW + timedelta(minutes=2),
        ),
    ]
    assert records.of_person(BOB) == []
    assert records.of_person("") == []
    # The audit log itself is untouched (its rows are append-only).
    assert len(AuditLog(store).entries(subject=ALICE)) == 2
