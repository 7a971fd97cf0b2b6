"""The figures as CSV and as an Excel workbook (openpyxl): the same rows the page shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask_babel import format_date
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from .services import COUNTS, Figures


def count_labels() -> dict[str, str]:
    """The monthly counts' names, in the viewer's language (the page's column heads too)."""
    return {
        "published": _("Published"),
        "proposed": _("Proposed"),
        "filled": _("Filled"),
        "advertised": _("Advertised"),
        "declined": _("Declined"),
        "expired": _("Expired"),
        "passed_over": _("Passed over"),
    }


def _sheets(fig: Figures) -> Iterator[tuple[str, list[list[object]]]]:
    labels = count_labels()
    yield (
        _("Months"),
        [[_("Month"), *(labels[c] for c in COUNTS)]]
        + [[m.start.isoformat()[:7], *(getattr(m, c) for c in COUNTS)] for m in fig.months]
        + [[_("Total"), *(fig.total(c) for c in COUNTS)]],
    )
    yield (
        _("Summary"),
        [
            [_("Figure"), _("Value")],
            [_("Fill rate"), "" if fig.fill_rate is None else round(fig.fill_rate, 3)],
            [_("Median days from publication to proposal"), fig.days_to_proposal or ""],
            [_("Median days from publication to acceptance"), fig.days_to_acceptance or ""],
            [_("GPs waiting today"), fig.waiting],
            [_("Median days waiting"), fig.waiting_days or ""],
        ],
    )
    for title, rows in (
        (_("By trust"), fig.by_trust),
        (_("By specialty"), fig.by_specialty),
        (_("By municipality"), fig.by_municipality),
    ):
        yield title, [[title, _("Placements")], *([name, n] for name, n in rows)]


def as_csv(fig: Figures) -> str:
    """Every table one after the other, a blank line between them."""
    out = io.StringIO()
    writer = csv.writer(out)
    for k, (_title, rows) in enumerate(_sheets(fig)):
        if k:
            writer.writerow([])
        writer.writerows(rows)
    return out.getvalue()


def as_xlsx(fig: Figures, title: str) -> bytes:
    """One sheet per table, headings in bold, the title and span in the document."""
    book = Workbook(write_only=False)
    for sheet in list(book.worksheets):  # the empty sheet a new workbook starts with
        book.remove(sheet)
    book.properties.title = title
    book.properties.subject = f"{format_date(fig.span.first)} – {format_date(fig.span.end)}"
    for name, rows in _sheets(fig):
        sheet = book.create_sheet(name[:31])  # Excel's limit on sheet names
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 44
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
