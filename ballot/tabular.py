"""Reading CSV and XLSX uploads into rows with their row numbers.

Imports are all-or-nothing: callers collect every row's error, each with the
row number a clerk sees in a spreadsheet, and import nothing unless all rows
are valid.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from ballot.errors import InvalidInput

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000


@dataclass(frozen=True)
class Row:
    number: int
    """The spreadsheet row number (the header is row 1)."""
    values: dict[str, str]

    @property
    def problem(self) -> str | None:
        """What makes this row unusable whatever its columns mean, if anything."""
        if any(has_control(v) for v in self.values.values()):
            return f"row {self.number}: a cell contains a control character"
        return None


def _rows(header: list[str], body: Iterator[list[str]], aliases: dict[str, str]) -> list[Row]:
    columns = [aliases.get(h.strip().lower(), aliases.get(h.strip(), h.strip().lower()))
               for h in header]
    rows = []
    for number, values in enumerate(body, 2):
        if not any(str(v).strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(f"the file has more than {MAX_ROWS} rows")
        padded = [*values, *[""] * (len(columns) - len(values))]
        rows.append(Row(number, {c: str(v).strip() for c, v in zip(columns, padded,
                                                                    strict=False) if c}))
    return rows


def read_table(data: bytes, filename: str, aliases: dict[str, str]) -> tuple[list[str], list[Row]]:
    """Columns (after aliases) and rows of a .csv or .xlsx file."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    name = filename.lower()
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise InvalidInput("the CSV file is neither UTF-8 nor GB18030 text") from None
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if not header:
            raise InvalidInput("the file is empty: a header row is expected")
        rows = _rows(header, reader, aliases)
    elif name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise InvalidInput(f"not a readable XLSX workbook: {exc}") from None
        sheet = book.worksheets[0]
        cells = ([("" if v is None else _cell_text(v)) for v in row]
                 for row in sheet.iter_rows(values_only=True))
        header = next(cells, None)
        if not header:
            raise InvalidInput("the workbook's first sheet is empty: a header row is expected")
        rows = _rows(header, cells, aliases)
        book.close()
    else:
        raise InvalidInput("upload a .csv or .xlsx file")
    columns = [aliases.get(h.strip().lower(), aliases.get(h.strip(), h.strip().lower()))
               for h in header]
    return columns, rows


def has_control(text: str) -> bool:
    """Control characters (but tab and newlines) have no place in names and titles."""
    return any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 for ch in text)


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
