"""Reading CSV and XLSX uploads into rows with their row numbers.

Imports are all-or-nothing: callers collect every row's error, each with the
row number a clerk sees in a spreadsheet, and import nothing unless all rows
are valid.
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
import zlib
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
        header, rows = _read_csv(data, aliases)
    elif name.endswith(".xlsx"):
        header, rows = _read_xlsx(data, aliases)
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


def _read_csv(data: bytes, aliases: dict[str, str]) -> tuple[list[str], list[Row]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise InvalidInput("the CSV file is neither UTF-8 nor GB18030 text") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
        if not header:
            raise InvalidInput("the file is empty: a header row is expected")
        return header, _rows(header, reader, aliases)
    except csv.Error as exc:  # e.g. a cell over 128 KB; reported with its line
        reason = str(exc).split(" - ", 1)[0]  # without Python's advice on opening files
        raise InvalidInput(f"not a readable CSV file (line {reader.line_num}): {reason}") from None


XLSX_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, KeyError, ValueError,
               TypeError, IndexError, AttributeError, EOFError, OSError, SyntaxError)
"""What openpyxl raises on a damaged workbook (SyntaxError covers the XML parsers'
ParseError); reading is lazy, so the rows are read inside the same guard."""


def _read_xlsx(data: bytes, aliases: dict[str, str]) -> tuple[list[str], list[Row]]:
    # openpyxl warns about parts of a workbook it skips (styles, extensions, a damaged
    # sheet entry); what it can read is checked row by row like any file, so the
    # warnings would only fill the server's log.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _read_xlsx_quietly(data, aliases)


def _read_xlsx_quietly(data: bytes, aliases: dict[str, str]) -> tuple[list[str], list[Row]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except XLSX_ERRORS as exc:
        raise InvalidInput(f"not a readable XLSX workbook: {exc}") from None
    try:
        if not book.worksheets:
            raise InvalidInput("the workbook has no sheet")
        sheet = book.worksheets[0]
        cells = ([("" if v is None else _cell_text(v)) for v in row]
                 for row in sheet.iter_rows(values_only=True))
        header = next(cells, None)
        if not header:
            raise InvalidInput("the workbook's first sheet is empty: a header row is expected")
        return header, _rows(header, cells, aliases)
    except XLSX_ERRORS as exc:
        raise InvalidInput(f"not a readable XLSX workbook: {exc}") from None
    finally:
        book.close()
