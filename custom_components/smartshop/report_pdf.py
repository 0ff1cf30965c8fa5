"""PDF and CSV rendering of the manager's reports and of an incident's evidence pack.

Pure rendering, no Home Assistant: what to show arrives as plain data (``ReportContent``,
``EvidencePack``) and the charts are drawn with fpdf2's own shapes, so no plotting stack is
needed. Reports carry no names: incidents are shown by time, place, watchlist, category and
outcome. Text uses the PDF core fonts, so characters outside Latin-1 are replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
import csv
from dataclasses import dataclass, field
from datetime import datetime
import hashlib
import io
from typing import Final

from fpdf import FPDF

WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CSV_COLUMNS: Final = (
    "occurred_at",
    "store",
    "camera",
    "location",
    "watchlist",
    "category",
    "review_status",
    "similarity",
    "incident_id",
)
_ACCENT: Final = (3, 169, 244)
_CONFIRMED: Final = (67, 160, 71)
_DISMISSED: Final = (229, 57, 53)
_PENDING: Final = (158, 158, 158)
_TABLE_ROWS_MAX: Final = 2000  # the PDF lists at most this many; the CSV has every row


def _text(value: object) -> str:
    """Text the core fonts can draw."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True, slots=True)
class Outcomes:
    """Review outcomes of a group of incidents."""

    confirmed: int = 0
    dismissed: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        """All incidents of the group."""
        return self.confirmed + self.dismissed + self.pending


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One incident in the report's table (no name, no person id)."""

    occurred_at: datetime
    store: str
    camera: str
    location: str
    watchlist: str
    category: str
    review_status: str
    similarity: float | None
    incident_id: str


@dataclass(frozen=True, slots=True)
class ReportContent:
    """Everything a period report shows."""

    title: str
    start: datetime
    end: datetime
    generated_at: datetime
    stores: dict[str, Outcomes]  # store name -> outcomes
    heatmap: Sequence[Sequence[int]]  # 7 weekdays (Monday first) x 24 hours, local time
    weekly: Sequence[tuple[str, int]]  # (ISO week label, incidents)
    by_category: dict[str, int]
    by_watchlist: dict[str, Outcomes]
    by_camera: dict[str, Outcomes]
    review_count: int
    review_median_s: float | None
    review_p90_s: float | None
    rows: Sequence[ReportRow] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class EvidencePack:
    """What a confirmed incident's evidence pack shows."""

    incident_id: str
    occurred_at: datetime
    store: str
    camera: str
    location: str
    watchlist: str
    category: str
    similarity: float | None
    reviewed_by: str
    reviewed_at: datetime | None
    review_reason: str
    match_jpeg: bytes | None
    reference_jpeg: bytes | None
    generated_at: datetime


def sha256_hex(data: bytes) -> str:
    """The SHA-256 printed for an image (so a copy can be checked against the pack)."""
    return hashlib.sha256(data).hexdigest()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class _Document(FPDF):
    def __init__(self, title: str, generated_at: datetime) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._title = _text(title)
        self._generated = generated_at.strftime("%Y-%m-%d %H:%M %Z").strip()
        self.set_auto_page_break(auto=True, margin=15)
        self.set_creator("SmartShop")
        self.set_title(self._title)

    def header(self) -> None:
        self.set_font("Helvetica", "B", 13)
        self.cell(0, 8, self._title, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*_ACCENT)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(120, 120, 120)
        self.cell(0, 5, f"SmartShop - generated {self._generated} - page {self.page_no()}")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, *, space_after: float = 10.0) -> None:
        """A section heading, on a new page when what follows it would not fit."""
        if self.get_y() + 9 + space_after > self.page_break_trigger:
            self.add_page()
        self.ln(2)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 7, _text(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 9)

    def line_of_text(self, text: str) -> None:
        self.set_font("Helvetica", "", 9)
        self.multi_cell(0, 5, _text(text), new_x="LMARGIN", new_y="NEXT")


def _heatmap(pdf: _Document, heatmap: Sequence[Sequence[int]]) -> None:
    """Incidents by weekday and hour as shaded cells, busiest darkest, with the counts."""
    peak = max((count for row in heatmap for count in row), default=0)
    cell_w, cell_h, label_w = 7.0, 6.0, 10.0
    x0 = pdf.l_margin
    pdf.set_font("Helvetica", "", 6)
    y = pdf.get_y()
    for hour in range(24):
        pdf.set_xy(x0 + label_w + hour * cell_w, y)
        pdf.cell(cell_w, 4, f"{hour:02d}", align="C")
    y += 4
    for day, row in enumerate(heatmap):
        pdf.set_xy(x0, y + day * cell_h)
        pdf.set_font("Helvetica", "", 7)
        pdf.cell(label_w, cell_h, WEEKDAYS[day])
        for hour, count in enumerate(row):
            share = count / peak if peak else 0.0
            shade = (
                int(255 - (255 - _ACCENT[0]) * share),
                int(255 - (255 - _ACCENT[1]) * share),
                int(255 - (255 - _ACCENT[2]) * share),
            )
            pdf.set_fill_color(*shade)
            pdf.set_draw_color(220, 220, 220)
            pdf.rect(x0 + label_w + hour * cell_w, y + day * cell_h, cell_w, cell_h, style="DF")
            if count:
                pdf.set_xy(x0 + label_w + hour * cell_w, y + day * cell_h)
                pdf.set_font("Helvetica", "", 6)
                pdf.cell(cell_w, cell_h, str(count), align="C")
    pdf.set_xy(x0, y + 7 * cell_h + 2)


def _bars(pdf: _Document, values: Sequence[tuple[str, int]], *, height: float = 40.0) -> None:
    """A bar chart of labelled counts."""
    if not values:
        pdf.line_of_text("No incidents in this period.")
        return
    peak = max(count for _, count in values) or 1
    width = pdf.w - pdf.l_margin - pdf.r_margin
    bar_w = min(12.0, width / len(values))
    x0, y0 = pdf.l_margin, pdf.get_y() + 5  # room for the tallest bar's count
    pdf.set_draw_color(180, 180, 180)
    pdf.line(x0, y0 + height, x0 + bar_w * len(values), y0 + height)
    for index, (label, count) in enumerate(values):
        bar_h = height * count / peak
        pdf.set_fill_color(*_ACCENT)
        x = x0 + index * bar_w
        if bar_h > 0:
            pdf.rect(x + 0.8, y0 + height - bar_h, bar_w - 1.6, bar_h, style="F")
        pdf.set_font("Helvetica", "", 6)
        pdf.set_xy(x, y0 + height - bar_h - 4)
        pdf.cell(bar_w, 4, str(count), align="C")
        pdf.set_xy(x, y0 + height + 0.5)
        pdf.cell(bar_w, 4, _text(label)[:6], align="C")
    pdf.set_xy(x0, y0 + height + 6)


def _outcome_bars(pdf: _Document, groups: dict[str, Outcomes]) -> None:
    """One stacked bar per group: confirmed, dismissed, pending."""
    if not groups:
        pdf.line_of_text("No incidents in this period.")
        return
    peak = max(outcome.total for outcome in groups.values()) or 1
    label_w, full_w, bar_h = 45.0, 110.0, 5.0
    for name, outcome in groups.items():
        if pdf.get_y() + bar_h + 1 > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_font("Helvetica", "", 8)
        pdf.cell(label_w, bar_h, _text(name)[:30])
        x = pdf.l_margin + label_w
        for count, colour in (
            (outcome.confirmed, _CONFIRMED),
            (outcome.dismissed, _DISMISSED),
            (outcome.pending, _PENDING),
        ):
            width = full_w * count / peak
            if width > 0:
                pdf.set_fill_color(*colour)
                pdf.rect(x, y + 0.5, width, bar_h - 1, style="F")
            x += width
        pdf.set_xy(x + 2, y)
        share = (
            f"{100 * outcome.confirmed / (outcome.confirmed + outcome.dismissed):.0f} % confirmed"
            if outcome.confirmed + outcome.dismissed
            else "none reviewed"
        )
        pdf.cell(0, bar_h, f"{outcome.confirmed}/{outcome.dismissed}/{outcome.pending}  {share}")
        pdf.ln(bar_h + 1)
    pdf.set_font("Helvetica", "", 7)
    pdf.line_of_text(
        "Bars: confirmed (green), dismissed as not them (red), not yet reviewed (grey)."
    )


def _table(pdf: _Document, rows: Sequence[ReportRow]) -> None:
    columns = (
        ("Time", 30),
        ("Store", 28),
        ("Camera", 30),
        ("Watchlist", 28),
        ("Category", 20),
        ("Outcome", 22),
        ("Sim.", 12),
    )
    pdf.set_font("Helvetica", "B", 7)
    pdf.set_fill_color(235, 235, 235)
    for title, width in columns:
        pdf.cell(width, 5, title, border=1, fill=True)
    pdf.ln()
    pdf.set_font("Helvetica", "", 7)
    for row in rows[:_TABLE_ROWS_MAX]:
        values = (
            row.occurred_at.strftime("%Y-%m-%d %H:%M"),
            row.store,
            row.camera,
            row.watchlist,
            row.category,
            row.review_status,
            "-" if row.similarity is None else f"{row.similarity:.1f}",
        )
        for (_, width), value in zip(columns, values, strict=True):
            pdf.cell(width, 4.5, _text(value)[: int(width / 1.6)], border=1)
        pdf.ln()
    if len(rows) > _TABLE_ROWS_MAX:
        pdf.line_of_text(f"... and {len(rows) - _TABLE_ROWS_MAX} more incidents: see the CSV.")


def render_report_pdf(content: ReportContent) -> bytes:
    """The period report: summary, charts, and the incident table without names."""
    pdf = _Document(content.title, content.generated_at)
    pdf.add_page()
    pdf.line_of_text(
        f"Period: {content.start:%Y-%m-%d %H:%M} to {content.end:%Y-%m-%d %H:%M}. "
        f"Stores: {', '.join(content.stores) or 'none'}."
    )
    pdf.heading("Summary")
    total = Outcomes(
        confirmed=sum(o.confirmed for o in content.stores.values()),
        dismissed=sum(o.dismissed for o in content.stores.values()),
        pending=sum(o.pending for o in content.stores.values()),
    )
    pdf.line_of_text(
        f"{total.total} possible matches: {total.confirmed} confirmed by staff, "
        f"{total.dismissed} dismissed as not them, {total.pending} not reviewed. "
        f"Time from alert to review: median {_duration(content.review_median_s)}, "
        f"90th percentile {_duration(content.review_p90_s)} ({content.review_count} reviewed)."
    )
    for store, outcome in content.stores.items():
        pdf.line_of_text(
            f"  {store}: {outcome.total} ({outcome.confirmed} confirmed, "
            f"{outcome.dismissed} dismissed, {outcome.pending} pending)"
        )
    if content.by_category:
        pdf.line_of_text(
            "By category: "
            + ", ".join(f"{name} {count}" for name, count in content.by_category.items())
        )
    pdf.heading("When: incidents by weekday and hour", space_after=50)
    _heatmap(pdf, content.heatmap)
    pdf.heading("Incidents per week", space_after=52)
    _bars(pdf, content.weekly)
    pdf.heading("Confirmed vs dismissed, per watchlist", space_after=12)
    _outcome_bars(pdf, content.by_watchlist)
    pdf.heading("Confirmed vs dismissed, per camera", space_after=12)
    _outcome_bars(pdf, content.by_camera)
    pdf.add_page()
    pdf.heading("Incidents (no names)")
    _table(pdf, content.rows)
    return bytes(pdf.output())


def render_report_csv(rows: Sequence[ReportRow]) -> str:
    """Every incident of the period as CSV (no names)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.occurred_at.isoformat(),
                row.store,
                row.camera,
                row.location,
                row.watchlist,
                row.category,
                row.review_status,
                "" if row.similarity is None else f"{row.similarity:.1f}",
                row.incident_id,
            ]
        )
    return buffer.getvalue()


def _image(pdf: _Document, jpeg: bytes | None, x: float, y: float, caption: str) -> None:
    pdf.set_xy(x, y)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(80, 5, caption)
    if jpeg is None:
        pdf.set_xy(x, y + 6)
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(80, 5, "(not held)")
        return
    pdf.image(io.BytesIO(jpeg), x=x, y=y + 6, w=70)
    pdf.set_xy(x, y + 80)
    pdf.set_font("Courier", "", 6)
    digest = sha256_hex(jpeg)
    pdf.multi_cell(75, 3, f"SHA-256 {digest[:32]}\n        {digest[32:]}")


def render_evidence_pdf(pack: EvidencePack) -> bytes:
    """A confirmed incident's evidence pack for the police or a civil recovery claim."""
    pdf = _Document(f"Evidence pack - incident {pack.incident_id}", pack.generated_at)
    pdf.add_page()
    details = (
        ("Incident", pack.incident_id),
        ("Time", pack.occurred_at.isoformat()),
        ("Store", pack.store),
        ("Camera", pack.camera),
        ("Location", pack.location),
        ("Watchlist", pack.watchlist),
        ("Category", pack.category),
        ("Similarity", "-" if pack.similarity is None else f"{pack.similarity:.1f} %"),
        ("Confirmed by", pack.reviewed_by),
        ("Confirmed at", pack.reviewed_at.isoformat() if pack.reviewed_at else "-"),
        ("Reason", pack.review_reason),
    )
    for label, value in details:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(30, 5.5, label)
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(0, 5.5, _text(value), new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y() + 4
    _image(pdf, pack.match_jpeg, pdf.l_margin, y, "Camera image (the match)")
    _image(pdf, pack.reference_jpeg, pdf.l_margin + 90, y, "Watchlist reference photo")
    pdf.set_xy(pdf.l_margin, y + 95)
    pdf.line_of_text(
        "The match was made by automated face recognition and confirmed by the staff member "
        "named above. The images are exactly as SmartShop stored them; their SHA-256 digests "
        "identify them."
    )
    return bytes(pdf.output())
