"""Tables as downloads: CSV (UTF-8 with a byte order mark, so that Excel reads æøå) and
Excel workbooks (openpyxl, one sheet per table, headings in bold, dates as dates). Every
download of the portal is written here: the statistics, the lists of app/exports/routes.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from app.dates import local_zone

# A table: its title (the sheet's name) and its rows, the first one the headings.
Sheet = tuple[str, Sequence[Sequence[object]]]
FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value: object) -> object:
    """Aware datetimes in local time without the zone (Excel has none); None as empty;
    numbers and dates as they are; anything else (a lazily translated label) as text."""
    if isinstance(value, datetime):
        return value.astimezone(local_zone()).replace(tzinfo=None, microsecond=0)
    if value is None:
        return ""
    return value if isinstance(value, int | float | date | str) else str(value)


def csv_text(sheets: Sequence[Sheet]) -> str:
    """Every table one after the other, a blank line between them (dates in ISO form)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for k, (_title, rows) in enumerate(sheets):
        if k:
            writer.writerow([])
        for row in rows:
            cells = [_cell(v) for v in row]
            writer.writerow([v.isoformat() if isinstance(v, date) else v for v in cells])
    return out.getvalue()


def workbook(sheets: Sequence[Sheet], title: str) -> bytes:
    book = Workbook()
    for sheet in list(book.worksheets):  # the empty sheet a new workbook starts with
        book.remove(sheet)
    book.properties.title = title
    for name, rows in sheets:
        sheet = book.create_sheet(name[:31])  # Excel's limit on sheet names
        for row in rows:
            sheet.append([_cell(v) for v in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.iter_cols(min_row=2):
            if any(isinstance(c.value, datetime) for c in column):
                for c in column:
                    c.number_format = "yyyy-mm-dd hh:mm"
            elif any(isinstance(c.value, date) for c in column):
                for c in column:
                    c.number_format = "yyyy-mm-dd"
        sheet.column_dimensions["A"].width = 30
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(sheets: Sequence[Sheet], fmt: str, filename: str, title: str) -> Response:
    """The tables as a CSV or Excel attachment named `filename` (without its suffix)."""
    disposition = {"Content-Disposition": f"attachment; filename={filename}.{fmt}"}
    if fmt == "xlsx":
        return Response(workbook(sheets, title), mimetype=XLSX, headers=disposition)
    body = "\ufeff" + csv_text(sheets)
    return Response(body, mimetype="text/csv", headers=disposition)
