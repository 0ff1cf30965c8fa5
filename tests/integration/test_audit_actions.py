"""The audit log actions: verify the chain, export it as CSV and download it (administrators only)."""

from __future__ import annotations

import csv
from http import HTTPStatus
import io
from pathlib import Path
import sqlite3

from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import Unauthorized
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.smartshop.audit import AuditAction
from custom_components.smartshop.const import DOMAIN
from custom_components.smartshop.database import async_audit, audit_log, incident_store


@pytest.fixture
async def logged(hass: HomeAssistant, hass_admin_user: User) -> None:
    """SmartShop set up, with three rows in its audit log."""
    assert await async_setup_component(hass, DOMAIN, {})
    context = Context(user_id=hass_admin_user.id)
    await async_audit(hass, context, AuditAction.ENROL, store_id="s1", subject="p1")
    await async_audit(hass, context, AuditAction.LIST_PEOPLE, store_id="s1", details={"people": 1})
    await async_audit(hass, context, AuditAction.REMOVE, store_id="s1", subject="p1")


async def _call(hass: HomeAssistant, action: str, user: User) -> dict:
    response = await hass.services.async_call(
        DOMAIN,
        action,
        {},
        blocking=True,
        return_response=True,
        context=Context(user_id=user.id),
    )
    assert response is not None
    return dict(response)


def _edit_row(hass: HomeAssistant, seq: int) -> None:
    """Change a row in the file directly, as someone bypassing SmartShop would."""
    connection = sqlite3.connect(incident_store(hass).path, isolation_level=None)
    try:
        connection.execute("DROP TRIGGER audit_log_no_update")
        connection.execute("UPDATE audit_log SET subject = 'p2' WHERE seq = ?", (seq,))
    finally:
        connection.close()


@pytest.mark.usefixtures("logged")
async def test_verify_reports_an_intact_log(hass: HomeAssistant, hass_admin_user: User) -> None:
    response = await _call(hass, "verify_audit_log", hass_admin_user)
    assert response == {
        "rows": 3,
        "intact": True,
        "first_broken_row": None,
        "reason": "every row verifies",
    }


@pytest.mark.usefixtures("logged")
async def test_verify_names_a_tampered_row(hass: HomeAssistant, hass_admin_user: User) -> None:
    await hass.async_add_executor_job(_edit_row, hass, 2)
    response = await _call(hass, "verify_audit_log", hass_admin_user)
    assert response["intact"] is False
    assert response["first_broken_row"] == 2
    assert response["rows"] == 2
    assert "changed" in response["reason"]


@pytest.mark.usefixtures("logged")
@pytest.mark.parametrize("action", ["verify_audit_log", "export_audit_log"])
async def test_actions_are_for_administrators(
    hass: HomeAssistant, hass_read_only_user: User, action: str
) -> None:
    with pytest.raises(Unauthorized):
        await _call(hass, action, hass_read_only_user)
    assert not (Path(hass.config.path(DOMAIN, "exports"))).exists()
    rows = await hass.async_add_executor_job(audit_log(hass).entries)
    assert [row.action for row in rows] == ["enrol", "list_people", "remove"]


@pytest.mark.usefixtures("logged")
async def test_export_writes_a_csv_and_is_itself_logged(
    hass: HomeAssistant, hass_admin_user: User
) -> None:
    response = await _call(hass, "export_audit_log", hass_admin_user)
    name = response["file"]
    assert name.startswith("audit-log-")
    assert name.endswith(".csv")
    assert response["download_path"] == f"/api/smartshop/exports/{name}"
    assert response["rows"] == 3
    path = Path(hass.config.path(DOMAIN, "exports", name))
    assert path.stat().st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [row["action"] for row in rows] == ["enrol", "list_people", "remove"]
    assert [row["seq"] for row in rows] == ["1", "2", "3"]
    entries = await hass.async_add_executor_job(audit_log(hass).entries)
    last = entries[-1]
    assert last.action == AuditAction.AUDIT_EXPORTED
    assert last.details == {"file": name, "rows": 3}
    assert last.actor == f"{hass_admin_user.name} ({hass_admin_user.id})"
    check = await hass.async_add_executor_job(audit_log(hass).verify)
    assert check.intact
    assert check.rows == 4


@pytest.mark.usefixtures("logged")
async def test_export_downloads_for_an_administrator_only(
    hass: HomeAssistant,
    hass_admin_user: User,
    hass_client: ClientSessionGenerator,
    hass_read_only_access_token: str,
) -> None:
    response = await _call(hass, "export_audit_log", hass_admin_user)
    on_disk = Path(hass.config.path(DOMAIN, "exports", response["file"])).read_bytes()

    admin = await hass_client()
    download = await admin.get(response["download_path"])
    assert download.status == HTTPStatus.OK
    assert download.headers["Content-Type"].startswith("text/csv")
    assert download.headers["Cache-Control"] == "no-store"
    assert response["file"] in download.headers["Content-Disposition"]
    assert await download.read() == on_disk

    staff = await hass_client(hass_read_only_access_token)
    refused = await staff.get(response["download_path"])
    assert refused.status == HTTPStatus.UNAUTHORIZED


@pytest.mark.usefixtures("logged")
@pytest.mark.parametrize(
    "name",
    ["%2E%2E", "..%5Csecret.csv", "..secret.csv", ".secret.csv", "no-such-export.csv"],
)
async def test_names_that_leave_the_folder_are_not_found(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, name: str
) -> None:
    """Names the view itself judges: a dot first, a backslash, or no such export."""
    await hass.async_add_executor_job(_plant_files, Path(hass.config.path(DOMAIN)))
    admin = await hass_client()
    response = await admin.get(URL(f"/api/smartshop/exports/{name}", encoded=True))
    assert response.status == HTTPStatus.NOT_FOUND


@pytest.mark.usefixtures("logged")
@pytest.mark.parametrize("name", ["..%2Fsecret.csv", "%2E%2E%2Fsmartshop.db", "..%252Fsecret.csv"])
async def test_encoded_paths_are_refused(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, name: str
) -> None:
    """A path with an (encoded) ``../`` is refused before it reaches the view (Home Assistant's
    security filter answers 400); nothing is served either way."""
    await hass.async_add_executor_job(_plant_files, Path(hass.config.path(DOMAIN)))
    admin = await hass_client()
    response = await admin.get(URL(f"/api/smartshop/exports/{name}", encoded=True))
    assert response.status in {HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND}
    assert b"not for download" not in await response.read()


def _plant_files(folder: Path) -> None:
    """Files an escaped name would reach: one beside the exports folder, one hidden inside it."""
    (folder / "exports").mkdir(parents=True, exist_ok=True)
    (folder / "secret.csv").write_text("not for download")
    (folder / "exports" / ".secret.csv").write_text("not for download")
