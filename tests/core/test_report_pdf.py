"""Report and evidence-pack rendering: what the PDF shows, read back with poppler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
import shutil
import subprocess

import pytest

from custom_components.smartshop.report_pdf import (
    CSV_COLUMNS,
    Outcomes,
    ReportContent,
    ReportRow,
    render_report_csv,
    render_report_pdf,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _content(rows: int) -> ReportContent:
    heatmap = [[0] * 24 for _ in range(7)]
    heatmap[4][17] = 9  # Friday, 17:00: the busiest cell
    heatmap[0][9] = 2
    return ReportContent(
        title="SmartShop report: High Street",
        start=NOW - timedelta(days=7),
        end=NOW,
        generated_at=NOW,
        stores={"High Street": Outcomes(confirmed=6, dismissed=2, pending=3)},
        heatmap=heatmap,
        weekly=[("W47", 4), ("W48", 7)],
        by_category={"theft": 9, "banned": 2},
        by_watchlist={"Theft": Outcomes(5, 2, 2), "Banned": Outcomes(1, 0, 1)},
        by_camera={"Front door": Outcomes(6, 2, 3)},
        review_count=8,
        review_median_s=300.0,
        review_p90_s=5400.0,
        rows=[
            ReportRow(
                occurred_at=NOW - timedelta(hours=n),
                store="High Street",
                camera="Front door",
                location="Entrance",
                watchlist="Theft",
                category="theft",
                review_status="confirmed",
                similarity=96.5,
                incident_id=f"inc-{n}",
            )
            for n in range(rows)
        ],
    )


def _text(pdf: bytes, tmp_path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("poppler-utils is missing: run scripts/setup")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def test_report_shows_summary_charts_and_table(tmp_path: Path) -> None:
    text = _text(render_report_pdf(_content(rows=12)), tmp_path)
    flat = " ".join(text.split())
    assert (
        "11 possible matches: 6 confirmed by staff, 2 dismissed as not them, 3 not reviewed" in flat
    )
    assert "median 5 min, 90th percentile 90 min (8 reviewed)" in flat
    for heading in (
        "When: incidents by weekday and hour",
        "Incidents per week",
        "Confirmed vs dismissed, per watchlist",
        "Confirmed vs dismissed, per camera",
        "Incidents (no names)",
    ):
        assert heading in text
    assert "W48" in text
    assert "75 % confirmed" in text  # 6 of 8 reviewed at the camera
    assert text.count("High Street") >= 12
    # The busiest heatmap cell carries its count.
    assert "9" in text.split()


def test_report_without_incidents(tmp_path: Path) -> None:
    empty = ReportContent(
        title="SmartShop report",
        start=NOW - timedelta(days=7),
        end=NOW,
        generated_at=NOW,
        stores={},
        heatmap=[[0] * 24 for _ in range(7)],
        weekly=[],
        by_category={},
        by_watchlist={},
        by_camera={},
        review_count=0,
        review_median_s=None,
        review_p90_s=None,
    )
    text = _text(render_report_pdf(empty), tmp_path)
    assert "0 possible matches" in text
    assert "No incidents in this period." in text


def test_csv_has_every_row() -> None:
    csv_text = render_report_csv(_content(rows=3).rows)
    lines = csv_text.strip().splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert len(lines) == 4
    assert lines[1].startswith("2026-12-01T09:00:00+00:00,High Street,Front door,Entrance,Theft")
