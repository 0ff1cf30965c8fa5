"""Erasure reaches the exports folder: every subject-access archive and evidence pack about the
person is deleted (real files, scanned byte by byte, inside zips and PDF streams too), unless the
owner keeps the evidence packs for a legal claim; files deleted by hand or impossible to delete
are told apart in the receipt; an export written during an erasure does not survive it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
import io
from pathlib import Path
import re
import shutil
import threading
from typing import Any
from unittest.mock import patch
import zipfile
import zlib

from freezegun.api import FrozenDateTimeFactory
from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest

from custom_components.smartshop import subject_access
from custom_components.smartshop.audit import AuditAction
from custom_components.smartshop.const import DOMAIN
from custom_components.smartshop.data import SmartShopConfigEntry
from custom_components.smartshop.database import export_records
from custom_components.smartshop.export_records import ExportKind
from custom_components.smartshop.exports import exports_dir
from custom_components.smartshop.incidents import ReviewStatus
from custom_components.smartshop.snapshots import SnapshotKind

from .conftest import COLLECTION, FIXTURES, Rekognition, setup_store, store_entry
from .helpers import as_admin, incident_with_crop
from .test_rights import FACE_A, FACE_B, _audit, _enrol

ALICE = "Alice Example"
BOB = "Bob Example"
CLAIM = "Police reference 41/1234/26"
OTHER_PHOTO = FIXTURES / "faces" / "grace_hopper.jpg"


@pytest.fixture
def photos(hass: HomeAssistant, tmp_path: Path, face_jpeg: bytes) -> tuple[str, str]:
    """Two different photos (Alice's, Bob's) in a directory Home Assistant may read."""
    folder = tmp_path / "photos"
    folder.mkdir()
    hass.config.allowlist_external_dirs = {str(folder)}
    (folder / "alice.jpg").write_bytes(face_jpeg)
    shutil.copy(OTHER_PHOTO, folder / "bob.jpg")
    return str(folder / "alice.jpg"), str(folder / "bob.jpg")


def _contents(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    """A file's bytes, then every zip member's (recursively) and every PDF stream inflated."""
    yield name, data
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield from _contents(f"{name}!{member}", archive.read(member))
    for number, stream in enumerate(re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S)):
        try:
            yield f"{name}#stream{number}", zlib.decompress(stream)
        except zlib.error:
            continue  # not deflated (a JPEG is there as it is, and in the file's bytes)


def _scan(folder: Path) -> list[tuple[str, bytes]]:
    """Every file under the folder (hidden ones too), opened as far as it goes (blocking)."""
    return [
        part
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        for part in _contents(str(path.relative_to(folder)), path.read_bytes())
    ]


def _needles(text: list[str], images: list[bytes]) -> dict[str, bytes]:
    """What must not be left: each text (UTF-8, as the archive's JSON and summary and the PDFs'
    inflated text hold it), and a slice of 1 KiB from the middle of each image (so a partial
    copy is found too)."""
    found: dict[str, bytes] = {value: value.encode() for value in text}
    for number, image in enumerate(images):
        middle = len(image) // 2
        found[f"image {number}"] = image[middle - 512 : middle + 512]
    return found


async def _where(hass: HomeAssistant, needles: dict[str, bytes]) -> dict[str, list[str]]:
    """Which of the needles are in the exports folder, and where."""
    parts = await hass.async_add_executor_job(_scan, exports_dir(hass))
    return {
        label: [name for name, data in parts if needle in data]
        for label, needle in needles.items()
        if any(needle in data for _, data in parts)
    }


async def _confirmed_incident(
    hass: HomeAssistant, entry: SmartShopConfigEntry, person_id: str, crop: bytes
) -> str:
    """An incident about the person with its evidence crop (as a sighting records it),
    confirmed by staff."""
    incident = await incident_with_crop(hass, entry, person_id, crop)
    await hass.async_add_executor_job(
        partial(
            entry.runtime_data.incidents.review,
            incident.incident_id,
            ReviewStatus.CONFIRMED,
            by="Sam (manager)",
            reason="Seen on CCTV taking two bottles",
            at=dt_util.utcnow(),
        )
    )
    return incident.incident_id


async def _evidence_pack(hass: HomeAssistant, admin: User, incident_id: str) -> str:
    response = await hass.services.async_call(
        DOMAIN,
        "create_evidence_pack",
        {"incident_id": incident_id},
        blocking=True,
        return_response=True,
        context=Context(user_id=admin.id),
    )
    return str(response["file"])


async def _archive(hass: HomeAssistant, person_id: str) -> str:
    response = await hass.services.async_call(
        DOMAIN,
        "export_person_data",
        {"person_id": person_id},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    return str(response["file"])


async def _stored(
    hass: HomeAssistant, entry: SmartShopConfigEntry, kind: SnapshotKind, ident: str
) -> bytes:
    image = await hass.async_add_executor_job(entry.runtime_data.snapshots.load, kind, ident)
    assert image is not None
    return image


def _expect_erasure(rekognition: Rekognition, person_id: str, face_id: str = FACE_A) -> None:
    rekognition.ok("delete_user", {}, {"CollectionId": COLLECTION, "UserId": person_id})
    rekognition.ok(
        "delete_faces",
        {"DeletedFaces": [face_id]},
        {"CollectionId": COLLECTION, "FaceIds": [face_id]},
    )


async def _remove(hass: HomeAssistant, person_id: str, **fields: Any) -> dict[str, Any]:
    receipt = await hass.services.async_call(
        DOMAIN,
        "remove_person",
        {"person_id": person_id, **fields},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    assert receipt is not None
    return dict(receipt)


def _files(hass: HomeAssistant) -> set[str]:
    return {path.name for path in exports_dir(hass).iterdir()}


async def _remove_row_is_the_receipt(hass: HomeAssistant, receipt: dict[str, Any]) -> None:
    (row,) = await _audit(hass, AuditAction.REMOVE)
    assert row.subject == receipt["person_id"]
    assert row.details == {
        key: value
        for key, value in receipt.items()
        if key not in ("person_id", "store", "config_entry_id", "removed_by")
    }


async def test_erasure_leaves_no_byte_of_the_person_in_the_exports_folder(
    hass: HomeAssistant,
    rekognition: Rekognition,
    photos: tuple[str, str],
    face_jpeg: bytes,
    hass_admin_user: User,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Alice and Bob each have an evidence pack and a subject-access archive; an audit-log CSV
    and a period report are there too. Before the erasure Alice's name, reason, photos and crop
    are in the folder; after it, not one of them is (in no file, zip member or PDF stream),
    while Bob's files, the CSV and the report stay: they hold no name or photo of Alice."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    alice = await _enrol(hass, rekognition, photos[0], FACE_A, ALICE)
    bob = await _enrol(hass, rekognition, photos[1], FACE_B, BOB)
    bob_photo = OTHER_PHOTO.read_bytes()
    alice_incident = await _confirmed_incident(hass, entry, alice, face_jpeg)
    bob_incident = await _confirmed_incident(hass, entry, bob, bob_photo)
    alice_files = {
        await _evidence_pack(hass, hass_admin_user, alice_incident),
        await _archive(hass, alice),
    }
    freezer.tick(timedelta(seconds=1))  # a second archive of Alice: another file name
    alice_files.add(await _archive(hass, alice))
    bob_files = {
        await _evidence_pack(hass, hass_admin_user, bob_incident),
        await _archive(hass, bob),
    }
    audit_csv = await hass.services.async_call(
        DOMAIN,
        "export_audit_log",
        {},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    report = await hass.services.async_call(
        DOMAIN,
        "generate_report",
        {},
        blocking=True,
        return_response=True,
        context=await as_admin(hass),
    )
    others = bob_files | {audit_csv["file"], report["pdf"], report["csv"]}
    assert len(alice_files) == 3
    assert _files(hass) == alice_files | others
    needles = _needles(
        [ALICE, f"Reason about {ALICE}", f"REF-{ALICE}"],
        [
            face_jpeg,  # the enrolled photo (and the crop of her incident)
            await _stored(hass, entry, SnapshotKind.REFERENCE, alice),
            await _stored(hass, entry, SnapshotKind.PHOTO, FACE_A),
        ],
    )
    bob_needles = _needles(
        [BOB], [bob_photo, await _stored(hass, entry, SnapshotKind.REFERENCE, bob)]
    )
    before = await _where(hass, needles)
    assert set(before) == set(needles)  # the scan finds everything while it is there
    pack = next(name for name in alice_files if name.startswith("evidence-"))
    # The pack shows the crop and her reference photo.
    assert any(place.startswith(pack) for place in before["image 0"])
    assert any(place.startswith(pack) for place in before["image 1"])
    assert set(await _where(hass, bob_needles)) == set(bob_needles)

    _expect_erasure(rekognition, alice)
    receipt = await _remove(hass, alice)
    rekognition.assert_done()

    assert receipt["status"] == "complete"
    assert receipt["counts"]["exports"] == 3
    assert receipt["counts"]["exports_already_gone"] == 0
    assert sorted(receipt["exports_deleted"]) == sorted(alice_files)
    assert (receipt["exports_kept"], receipt["exports_not_deleted"]) == ([], [])
    assert await _where(hass, needles) == {}
    assert _files(hass) == others  # nothing else deleted, no temporary left
    assert set(await _where(hass, bob_needles)) == set(bob_needles)
    records = export_records(hass)
    assert await hass.async_add_executor_job(records.of_person, alice) == []
    assert len(await hass.async_add_executor_job(records.of_person, bob)) == 2
    await _remove_row_is_the_receipt(hass, receipt)


async def test_evidence_packs_kept_for_a_legal_claim(
    hass: HomeAssistant,
    rekognition: Rekognition,
    photos: tuple[str, str],
    face_jpeg: bytes,
    hass_admin_user: User,
) -> None:
    """With ``keep_evidence_for`` the person's evidence packs stay, unchanged, listed in the
    receipt (and its audit row) with the claim; the subject-access archive goes all the same.
    A claim that names the person, or says nothing, is refused before anything is erased."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    alice = await _enrol(hass, rekognition, photos[0], FACE_A, ALICE)
    incident = await _confirmed_incident(hass, entry, alice, face_jpeg)
    pack = await _evidence_pack(hass, hass_admin_user, incident)
    archive = await _archive(hass, alice)
    pack_bytes = (exports_dir(hass) / pack).read_bytes()
    reference = await _stored(hass, entry, SnapshotKind.REFERENCE, alice)

    for claim, error in (
        ("Civil recovery claim against alice", "keep_evidence_for_names_person"),
        (f"Court case v {ALICE.upper()}", "keep_evidence_for_names_person"),
        ("  \n ", "keep_evidence_for_empty"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await _remove(hass, alice, keep_evidence_for=claim)
        assert err.value.translation_key == error
    assert entry.runtime_data.watchlists.store.get(alice) is not None
    assert _files(hass) == {pack, archive}
    assert await _audit(hass, AuditAction.REMOVE) == []

    _expect_erasure(rekognition, alice)
    receipt = await _remove(hass, alice, keep_evidence_for=f"  {CLAIM}\n")
    rekognition.assert_done()

    assert receipt["status"] == "complete"
    assert receipt["exports_kept"] == [{"file": pack, "kind": "evidence_pack", "reason": CLAIM}]
    assert receipt["exports_deleted"] == [archive]
    assert receipt["counts"]["exports"] == 1
    assert _files(hass) == {pack}
    assert (exports_dir(hass) / pack).read_bytes() == pack_bytes
    # The name was only in the archive; the kept pack still shows the face, as it must.
    where = await _where(hass, _needles([ALICE, f"Reason about {ALICE}"], [face_jpeg, reference]))
    assert set(where) == {"image 0", "image 1"}
    assert all(place.startswith(pack) for places in where.values() for place in places)
    (record,) = await hass.async_add_executor_job(export_records(hass).of_person, alice)
    assert (record.file, record.kind, record.held_reason) == (pack, ExportKind.EVIDENCE_PACK, CLAIM)
    assert record.held_at == dt_util.parse_datetime(receipt["removed_at"])
    await _remove_row_is_the_receipt(hass, receipt)


async def test_files_gone_by_hand_or_that_cannot_be_deleted(
    hass: HomeAssistant,
    rekognition: Rekognition,
    photos: tuple[str, str],
    face_jpeg: bytes,
    hass_admin_user: User,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An archive the owner already deleted counts as already gone; a pack that cannot be
    deleted (a folder stands in its place) makes the receipt say so, with the reason, and stays
    recorded; the other archive is deleted."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    alice = await _enrol(hass, rekognition, photos[0], FACE_A, ALICE)
    incident = await _confirmed_incident(hass, entry, alice, face_jpeg)
    pack = await _evidence_pack(hass, hass_admin_user, incident)
    first = await _archive(hass, alice)
    freezer.tick(timedelta(seconds=1))
    second = await _archive(hass, alice)
    folder = exports_dir(hass)
    (folder / first).unlink()
    (folder / pack).unlink()
    (folder / pack).mkdir()
    (folder / pack / "keep").write_bytes(b"x")

    _expect_erasure(rekognition, alice)
    receipt = await _remove(hass, alice)
    rekognition.assert_done()

    assert receipt["status"] == "exports_not_deleted"
    assert receipt["counts"]["exports"] == 1
    assert receipt["counts"]["exports_already_gone"] == 1
    assert receipt["exports_deleted"] == [second]
    assert receipt["exports_not_deleted"] == [
        {"file": pack, "kind": "evidence_pack", "error": "Is a directory"}
    ]
    assert _files(hass) == {pack}
    (record,) = await hass.async_add_executor_job(export_records(hass).of_person, alice)
    assert (record.file, record.held_reason) == (pack, None)
    await _remove_row_is_the_receipt(hass, receipt)


async def test_an_archive_being_written_is_erased_too(
    hass: HomeAssistant, rekognition: Rekognition, photos: tuple[str, str]
) -> None:
    """An erasure asked for while the person's archive is being written waits for it and
    deletes it; an export asked for after the erasure finds nobody."""
    entry = store_entry(camera=None)
    await setup_store(hass, rekognition, entry)
    alice = await _enrol(hass, rekognition, photos[0], FACE_A, ALICE)
    writing, release = threading.Event(), threading.Event()
    real_write = subject_access.write_archive

    def slow_write(*args: Any) -> Any:
        writing.set()
        assert release.wait(10)
        return real_write(*args)

    with patch.object(subject_access, "write_archive", slow_write):
        export = hass.async_create_task(_archive(hass, alice))
        assert await hass.async_add_executor_job(writing.wait, 10)
        _expect_erasure(rekognition, alice)
        erasure = hass.async_create_task(_remove(hass, alice))
        for _ in range(20):
            await asyncio.sleep(0)
        # The backend part went ahead; what is held here waits for the archive.
        assert not erasure.done()
        assert entry.runtime_data.watchlists.store.get(alice) is not None
        release.set()
        name = await export
        receipt = await erasure
    rekognition.assert_done()
    assert receipt["exports_deleted"] == [name]
    assert receipt["status"] == "complete"
    assert _files(hass) == set()

    with pytest.raises(ServiceValidationError) as err:
        await _archive(hass, alice)
    assert err.value.translation_key == "person_not_found"
    assert _files(hass) == set()
