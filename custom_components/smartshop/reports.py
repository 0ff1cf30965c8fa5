"""Period reports for the shop's security plans: one PDF and one CSV in the exports folder.

``smartshop.generate_report`` covers a period (local days; default the last seven full days)
and one store or every store. Every figure comes from the console's SQL (``console_queries``):
totals per store, the weekday x hour heatmap, incidents per week, by category, confirmed vs
dismissed per watchlist and per camera, and time to review; the table lists every incident of
the period without names. ``smartshop_report_progress`` events (``report``, ``step``, ``done``,
``total``) follow the work. A report holds no name and no photo, so besides the
administrators' download link the response carries a link signed for seven days (until Home
Assistant restarts) that a notification can carry: the weekly report blueprint sends it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Final

from homeassistant.components.http.auth import async_sign_path
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from .audit import AuditAction
from .console_queries import (
    MAX_PAGE_SIZE,
    IncidentFilters,
    Outcome,
    ReviewTimes,
    heatmap,
    outcomes,
    page as incident_page,
    review_times,
    store_totals,
    weekly,
)
from .const import DOMAIN
from .database import async_audit, incident_store
from .exports import REPORT_PREFIX, download_path, export_name, exports_dir, write_export
from .incidents import IncidentStore
from .permissions import async_register_action
from .report_pdf import (
    Outcomes,
    ReportContent,
    ReportRow,
    render_report_csv,
    render_report_pdf,
)

SERVICE_GENERATE_REPORT: Final = "generate_report"
EVENT_REPORT_PROGRESS: Final = "smartshop_report_progress"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
DEFAULT_DAYS: Final = 7
MAX_DAYS: Final = 366
SIGNED_LINK_LIFETIME: Final = timedelta(days=7)
REPORT_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_START): cv.date,
        probatio.Optional(ATTR_END): cv.date,
    }
)
# The steps a report takes, for progress: figures, then pages of the incident table, then files.
_FIGURE_STEPS: Final = (
    "totals",
    "heatmap",
    "weeks",
    "categories",
    "watchlists",
    "cameras",
    "review times",
)


@dataclass(frozen=True, slots=True)
class Period:
    """Local days ``first`` to ``last`` (inclusive), as UTC-aware instants [start, end)."""

    first: date
    last: date
    start: datetime
    end: datetime


def report_period(first: date | None, last: date | None, today: date) -> Period:
    """The period asked for: by default the seven full days before today."""
    last = last or today - timedelta(days=1)
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="report_period_reversed",
            translation_placeholders={"start": first.isoformat(), "end": last.isoformat()},
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="report_period_too_long",
            translation_placeholders={"days": str(MAX_DAYS)},
        )
    return Period(
        first,
        last,
        dt_util.start_of_local_day(first),
        dt_util.start_of_local_day(last + timedelta(days=1)),
    )


def _outcomes(rows: list[Outcome]) -> dict[str, Outcomes]:
    return {
        row.label or row.key: Outcomes(row.confirmed, row.dismissed, row.pending) for row in rows
    }


def _figures(
    store: IncidentStore,
    filters: IncidentFilters,
    zone: tzinfo,
    step: Callable[[str], None],
) -> dict[str, Any]:
    """Every figure of the report, each counted in SQL (blocking)."""
    figures: dict[str, Any] = {}
    figures["stores"] = _outcomes(store_totals(store, filters))
    step("totals")
    grid = [[0] * 24 for _ in range(7)]
    for cell in heatmap(store, filters, zone):
        grid[cell.weekday - 1][cell.hour] = cell.count
    figures["heatmap"] = grid
    step("heatmap")
    weeks: Counter[str] = Counter()
    for week in weekly(store, filters, zone, "store"):
        weeks[week.week] += week.count
    figures["weekly"] = [(week.split("-")[-1], count) for week, count in sorted(weeks.items())]
    step("weeks")
    categories: Counter[str] = Counter()
    for week in weekly(store, filters, zone, "category"):
        categories[week.label or week.key] += week.count
    figures["by_category"] = dict(categories.most_common())
    step("categories")
    figures["by_watchlist"] = _outcomes(outcomes(store, filters, "watchlist"))
    step("watchlists")
    figures["by_camera"] = _outcomes(outcomes(store, filters, "camera"))
    step("cameras")
    figures["review_times"] = review_times(store, filters)
    step("review times")
    return figures


def _rows(
    store: IncidentStore,
    filters: IncidentFilters,
    zone: tzinfo,
    step: Callable[[str], None],
) -> list[ReportRow]:
    """Every incident of the period, oldest first, without names (blocking)."""
    rows: list[ReportRow] = []
    cursor: str | None = None
    while True:
        batch = incident_page(store, filters, MAX_PAGE_SIZE, cursor)
        rows.extend(
            ReportRow(
                occurred_at=incident.occurred_at.astimezone(zone),
                store=incident.store_name,
                camera=incident.camera,
                location=incident.location,
                watchlist=incident.watchlist,
                category=incident.category,
                review_status=str(incident.review_status),
                similarity=incident.similarity,
                incident_id=incident.incident_id,
            )
            for incident in batch.incidents
        )
        step("incidents")
        if batch.next_cursor is None:
            return list(reversed(rows))
        cursor = batch.next_cursor


async def async_generate_report(
    hass: HomeAssistant, period: Period, store_ids: tuple[str, ...], title: str
) -> dict[str, Any]:
    """Count, render and write one report; returns what the action answers."""
    name = export_name(REPORT_PREFIX.rstrip("-"), "")
    pdf_name, csv_name = f"{name}.pdf", f"{name}.csv"
    store = incident_store(hass)
    zone = dt_util.get_default_time_zone()
    filters = IncidentFilters(store_ids=store_ids, start=period.start, end=period.end)
    done = 0

    def step(what: str) -> None:
        nonlocal done
        done += 1
        hass.loop.call_soon_threadsafe(
            hass.bus.async_fire,
            EVENT_REPORT_PROGRESS,
            {"report": pdf_name, "step": what, "done": done},
        )

    figures = await hass.async_add_executor_job(_figures, store, filters, zone, step)
    rows = await hass.async_add_executor_job(_rows, store, filters, zone, step)
    times: ReviewTimes = figures["review_times"]
    content = ReportContent(
        title=title,
        start=period.start,
        end=period.end,
        generated_at=dt_util.now(),
        stores=figures["stores"],
        heatmap=figures["heatmap"],
        weekly=figures["weekly"],
        by_category=figures["by_category"],
        by_watchlist=figures["by_watchlist"],
        by_camera=figures["by_camera"],
        review_count=times.count,
        review_median_s=times.median_seconds,
        review_p90_s=times.p90_seconds,
        rows=rows,
    )
    pdf = await hass.async_add_executor_job(render_report_pdf, content)
    step("pdf")
    folder = exports_dir(hass)
    try:
        await hass.async_add_executor_job(write_export, folder, pdf_name, pdf)
        await hass.async_add_executor_job(
            write_export, folder, csv_name, render_report_csv(rows).encode()
        )
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="export_write_failed",
            translation_placeholders={"error": str(err)},
        ) from err
    step("files")
    totals = Outcomes(
        confirmed=sum(o.confirmed for o in content.stores.values()),
        dismissed=sum(o.dismissed for o in content.stores.values()),
        pending=sum(o.pending for o in content.stores.values()),
    )
    return {
        "pdf": pdf_name,
        "csv": csv_name,
        "pdf_download_path": download_path(pdf_name),
        "csv_download_path": download_path(csv_name),
        "pdf_link": async_sign_path(
            hass, download_path(pdf_name), SIGNED_LINK_LIFETIME, use_content_user=True
        ),
        "start": period.first.isoformat(),
        "end": period.last.isoformat(),
        "incidents": len(rows),
        "confirmed": totals.confirmed,
        "dismissed": totals.dismissed,
        "pending": totals.pending,
    }


async def _async_generate(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    period = report_period(call.data.get(ATTR_START), call.data.get(ATTR_END), dt_util.now().date())
    if entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID):
        # A store's incidents are reported even while it is not loaded (its bridge is down).
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="store_not_found",
                translation_placeholders={"store": entry_id},
            )
        store_ids: tuple[str, ...] = (entry.entry_id,)
        title = f"SmartShop report: {entry.title}"
    else:
        store_ids = ()
        title = "SmartShop report: all stores"
    result = await async_generate_report(hass, period, store_ids, title)
    await async_audit(
        hass,
        call.context,
        AuditAction.EXPORT,
        store_id=store_ids[0] if store_ids else "",
        details={
            "kind": "report",
            "file": result["pdf"],
            "start": result["start"],
            "end": result["end"],
            "incidents": result["incidents"],
        },
    )
    return result


@callback
def async_setup_report_action(hass: HomeAssistant) -> None:
    """Register ``smartshop.generate_report`` (administrators and automations)."""
    async_register_action(
        hass,
        SERVICE_GENERATE_REPORT,
        _async_generate,
        REPORT_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
