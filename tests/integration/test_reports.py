"""Period reports: figures from the console's SQL, a PDF and a CSV without names, progress,
the administrators' download and the signed link a notification carries."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from functools import partial
import io
from pathlib import Path
import subprocess

from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartshop.const import DOMAIN
from custom_components.smartshop.database import audit_log, incident_store
from custom_components.smartshop.incidents import Incident, ReviewStatus
from custom_components.smartshop.reports import EVENT_REPORT_PROGRESS

FIRST = date(2026, 11, 23)  # a Monday
LAST = date(2026, 11, 29)
SECRET_NAME = "Alice Example"  # never in a report


def _incident(n: int, day: date, hour: int, store: str, camera: str) -> Incident:
    return Incident(
        incident_id=f"{n:08d}-aaaa-4bbb-8ccc-000000000000",
        dedup_key=f"k{n}",
        occurred_at=dt_util.as_utc(
            datetime(day.year, day.month, day.day, hour, 15, tzinfo=dt_util.get_default_time_zone())
        ),
        store_id=store,
        store_name={"s1": "High Street", "s2": "Market Square"}[store],
        camera=camera,
        location="Entrance",
        watchlist_id="w-theft",
        watchlist="Theft",
        category="theft",
        person_id="0f7c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5",
        similarity=96.0,
    )


@pytest.fixture
async def seeded(hass: HomeAssistant) -> None:
    """Five incidents in the period (two stores), one before and one after it; two reviewed."""
    assert await async_setup_component(hass, DOMAIN, {})
    store = incident_store(hass)
    plan = [
        (1, FIRST, 9, "s1", "Front door"),
        (2, FIRST + timedelta(days=4), 17, "s1", "Front door"),  # Friday 17:00
        (3, FIRST + timedelta(days=4), 17, "s1", "Till"),
        (4, LAST, 12, "s2", "Door"),
        (5, LAST, 23, "s1", "Front door"),
        (6, FIRST - timedelta(days=1), 10, "s1", "Front door"),  # before the period
        (7, LAST + timedelta(days=1), 10, "s1", "Front door"),  # after it
    ]

    def seed() -> None:
        for row in plan:
            store.add(_incident(*row))
        first = _incident(*plan[0])
        store.review(
            first.incident_id,
            ReviewStatus.CONFIRMED,
            by="Sam",
            reason="seen",
            at=first.occurred_at + timedelta(minutes=5),
        )
        second = _incident(*plan[1])
        store.review(
            second.incident_id,
            ReviewStatus.DISMISSED,
            by="Sam",
            reason="not them",
            at=second.occurred_at + timedelta(minutes=15),
        )

    await hass.async_add_executor_job(seed)


async def _report(hass: HomeAssistant, user: User | None, **data: object) -> dict:
    response = await hass.services.async_call(
        DOMAIN,
        "generate_report",
        data,
        blocking=True,
        return_response=True,
        context=Context(user_id=user.id) if user else None,
    )
    assert response is not None
    return dict(response)


async def _pdf_text(hass: HomeAssistant, path: Path) -> str:
    result = await hass.async_add_executor_job(
        partial(
            subprocess.run,
            ["pdftotext", str(path), "-"],
            capture_output=True,
            check=True,
            text=True,
        )
    )
    return " ".join(result.stdout.split())


@pytest.mark.usefixtures("seeded")
async def test_report_of_a_period_for_every_store(
    hass: HomeAssistant, hass_admin_user: User
) -> None:
    progress = async_capture_events(hass, EVENT_REPORT_PROGRESS)
    result = await _report(hass, hass_admin_user, start=FIRST.isoformat(), end=LAST.isoformat())
    assert (result["start"], result["end"]) == (FIRST.isoformat(), LAST.isoformat())
    assert (result["incidents"], result["confirmed"], result["dismissed"], result["pending"]) == (
        5,
        1,
        1,
        3,
    )
    assert result["pdf_download_path"] == f"/api/smartshop/exports/{result['pdf']}"
    await hass.async_block_till_done()
    steps = [event.data["step"] for event in progress]
    assert steps[0] == "totals"
    assert steps[-2:] == ["pdf", "files"]
    assert [event.data["done"] for event in progress] == list(range(1, len(progress) + 1))

    folder = Path(hass.config.path(DOMAIN, "exports"))
    rows = list(csv.DictReader(io.StringIO((folder / result["csv"]).read_text())))
    assert [row["incident_id"][:8] for row in rows] == [f"{n:08d}" for n in (1, 2, 3, 4, 5)]
    assert {row["store"] for row in rows} == {"High Street", "Market Square"}
    assert (folder / result["pdf"]).stat().st_mode & 0o777 == 0o600

    text = await _pdf_text(hass, folder / result["pdf"])
    assert "SmartShop report: all stores" in text
    assert (
        "5 possible matches: 1 confirmed by staff, 1 dismissed as not them, 3 not reviewed" in text
    )
    assert "median 5 min" in text
    assert "High Street: 4" in text and "Market Square: 1" in text
    assert "W48" in text
    for absent in (SECRET_NAME, "0f7c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5"):
        assert absent not in text

    (row,) = await hass.async_add_executor_job(audit_log(hass).entries)
    assert row.details["kind"] == "report"
    assert row.details["incidents"] == 5


@pytest.mark.usefixtures("seeded")
async def test_report_of_one_store_and_bad_periods(
    hass: HomeAssistant, hass_admin_user: User, hass_read_only_user: User
) -> None:
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    entry = MockConfigEntry(domain=DOMAIN, title="High Street", entry_id="s1")
    entry.add_to_hass(hass)
    result = await _report(
        hass, None, config_entry_id="s1", start=FIRST.isoformat(), end=LAST.isoformat()
    )
    assert result["incidents"] == 4
    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, hass_admin_user, config_entry_id="nope")
    assert err.value.translation_key == "store_not_found"
    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, hass_admin_user, start=LAST.isoformat(), end=FIRST.isoformat())
    assert err.value.translation_key == "report_period_reversed"
    with pytest.raises(ServiceValidationError) as err:
        await _report(hass, hass_admin_user, start="2025-01-01", end=LAST.isoformat())
    assert err.value.translation_key == "report_period_too_long"
    with pytest.raises(Unauthorized):
        await _report(hass, hass_read_only_user)


@pytest.mark.usefixtures("seeded")
async def test_signed_link_opens_a_report_and_nothing_else(
    hass: HomeAssistant,
    hass_admin_user: User,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """The notification's link needs no sign-in, for a report only; without the signature
    the download is for administrators."""
    result = await _report(hass, hass_admin_user, start=FIRST.isoformat(), end=LAST.isoformat())
    anonymous = await hass_client_no_auth()
    response = await anonymous.get(result["pdf_link"])
    assert response.status == 200
    assert (await response.read()).startswith(b"%PDF")
    assert (await anonymous.get(result["pdf_download_path"])).status == 401

    admin = await hass_client()
    assert (await admin.get(result["csv_download_path"])).status == 200

    # A signed link for any other export does not open it.
    from homeassistant.components.http.auth import async_sign_path

    folder = Path(hass.config.path(DOMAIN, "exports"))
    (folder / "subject-access-0f7c1d2e-20261130T000000Z.zip").write_bytes(b"private")
    signed = async_sign_path(
        hass,
        "/api/smartshop/exports/subject-access-0f7c1d2e-20261130T000000Z.zip",
        timedelta(minutes=5),
        use_content_user=True,
    )
    assert (await anonymous.get(signed)).status == 401
