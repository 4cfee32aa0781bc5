"""CSV and XLSX files of report tables: the same rows the page shows, values unformatted
(seconds, fractions), so a spreadsheet can compute with them. XLSX is written by openpyxl in
its write-only mode (rows streamed, not held as cell objects)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from kiosk.reporting.tables import FRACTION, SECONDS, Table

_SHEET = re.compile(r"[\[\]:*?/\\]")


def table_csv(table: Table) -> str:
    """One table as CSV text: a header line, its rows and its totals line. Starts with a
    byte-order mark so that spreadsheet programs read the Vietnamese as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for line in table.lines():
        writer.writerow(["" if v is None else v for v in line])
    return out.getvalue()


def workbook(tables: Iterable[Table], heading: list[str]) -> bytes:
    """An XLSX file with one sheet per table: ``heading`` lines (site, period, filters), a
    blank line, then the header, rows and totals line of the table."""
    book = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        name = _SHEET.sub(" ", table.name)[:31] or "sheet"
        while name in used:
            name = name[:28] + f"_{len(used)}"
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.column_dimensions["A"].width = 34
        for text in [table.title, *heading]:
            sheet.append([text])
        sheet.append([])
        bold = []
        for title in table.columns:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = Font(bold=True)
            bold.append(cell)
        sheet.append(bold)
        for line in table.lines():
            cells = []
            for value, kind in zip(line, table.kinds, strict=True):
                cell = WriteOnlyCell(sheet, value=value)
                if kind == FRACTION and value is not None:
                    cell.number_format = "0.0%"
                elif kind == SECONDS and value is not None:
                    cell.number_format = "0"
                cells.append(cell)
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
