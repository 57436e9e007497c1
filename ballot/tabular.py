"""Reading CSV and XLSX uploads into rows with their row numbers.

Imports are all-or-nothing: callers collect every row's error, each with the
row number a clerk sees in a spreadsheet, and import nothing unless all rows
are valid.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from ballot.errors import InvalidInput, Message

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
MAX_SCANNED_ROWS = 2 * MAX_ROWS
"""Rows looked at, empty ones included: a file cannot make the reader walk a
million blank rows before the row limit counts."""
MAX_COLUMNS = 64
MAX_XLSX_UNPACKED_BYTES = 32 * 1024 * 1024
MAX_XLSX_CELLS = 400_000
"""Cells a workbook's sheets may hold, counted in their XML before openpyxl parses
any: what a workbook *claims* (its dimension tag, say ``A1:XFD4000``) is never
believed, so its work is bounded by what it contains, and that is bounded here."""


@dataclass(frozen=True)
class Row:
    number: int
    """The spreadsheet row number (the header is row 1)."""
    values: dict[str, str]

    @property
    def problem(self) -> Message | None:
        """What makes this row unusable whatever its columns mean, if anything."""
        if any(has_control(v) for v in self.values.values()):
            return Message("row %(row)s: a cell contains a control character", row=self.number)
        return None


def _rows(header: list[str], body: Iterator[list[str]], aliases: dict[str, str]) -> list[Row]:
    columns = [aliases.get(h.strip().lower(), aliases.get(h.strip(), h.strip().lower()))
               for h in header]
    if len(header) > MAX_COLUMNS:
        raise InvalidInput("the file has more than %(max_columns)s columns",
                           max_columns=MAX_COLUMNS)
    rows: list[Row] = []
    for number, values in enumerate(body, 2):
        if number > MAX_SCANNED_ROWS + 1:
            raise InvalidInput("the file has more than %(max_scanned_rows)s rows, counting empty "
                               "ones", max_scanned_rows=MAX_SCANNED_ROWS)
        if len(values) > MAX_COLUMNS and any(str(v).strip() for v in values[MAX_COLUMNS:]):
            raise InvalidInput("row %(number)s: the file has more than %(max_columns)s columns",
                               number=number, max_columns=MAX_COLUMNS)
        if not any(str(v).strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise InvalidInput("the file has more than %(max_rows)s rows", max_rows=MAX_ROWS)
        padded = [*values, *[""] * (len(columns) - len(values))]
        rows.append(Row(number, {c: str(v).strip() for c, v in zip(columns, padded,
                                                                    strict=False) if c}))
    return rows


def read_table(data: bytes, filename: str, aliases: dict[str, str]) -> tuple[list[str], list[Row]]:
    """Columns (after aliases) and rows of a .csv or .xlsx file."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("the file is larger than %(max_upload_bytes)s MB",
                           max_upload_bytes=MAX_UPLOAD_BYTES // (1024 * 1024))
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
        raise InvalidInput("not a readable CSV file (line %(line_num)s): %(reason)s",
                           line_num=reader.line_num, reason=reason) from None


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


WIDE_CELL = re.compile(rb'<(?:\w+:)?c r="([A-Z]{2,3})[0-9]')
"""A cell's reference in columns AA and beyond (the rest are within the limit)."""


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _check_xlsx_size(data: bytes) -> None:
    """Refuse a workbook that unpacks too large or holds too many cells, before parsing."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_XLSX_UNPACKED_BYTES:
                raise InvalidInput("the workbook unpacks to more than "
                                   "%(max_xlsx_unpacked_bytes)s MB",
                                   max_xlsx_unpacked_bytes=MAX_XLSX_UNPACKED_BYTES // (1024 * 1024))
            cells = widest = 0
            for member in members:
                if member.filename.startswith("xl/worksheets/"):
                    xml = archive.read(member)
                    cells += xml.count(b"<c ") + xml.count(b"<c>") + xml.count(b":c ")
                    widest = max([widest, *map(_column_number, WIDE_CELL.findall(xml))])
            if cells > MAX_XLSX_CELLS:
                raise InvalidInput("the workbook has more than %(max_xlsx_cells)s cells",
                                   max_xlsx_cells=MAX_XLSX_CELLS)
            if widest > MAX_COLUMNS:
                raise InvalidInput("the file has more than %(max_columns)s columns",
                                   max_columns=MAX_COLUMNS)
    except XLSX_ERRORS as exc:
        raise InvalidInput("not a readable XLSX workbook: %(exc)s", exc=exc) from None


def _trimmed(values: tuple[object, ...]) -> list[str]:
    cells = ["" if v is None else _cell_text(v) for v in values]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _read_xlsx_quietly(data: bytes, aliases: dict[str, str]) -> tuple[list[str], list[Row]]:
    from openpyxl import load_workbook

    _check_xlsx_size(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except XLSX_ERRORS as exc:
        raise InvalidInput("not a readable XLSX workbook: %(exc)s", exc=exc) from None
    try:
        if not book.worksheets:
            raise InvalidInput("the workbook has no sheet")
        sheet = book.worksheets[0]
        # The dimension the file states is not believed (openpyxl would pad every row
        # to it); rows are read only as wide as one column past the limit.
        sheet.reset_dimensions()
        cells = (_trimmed(row)
                 for row in sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True))
        header = next(cells, None)
        if not header:
            raise InvalidInput("the workbook's first sheet is empty: a header row is expected")
        return header, _rows(header, cells, aliases)
    except XLSX_ERRORS as exc:
        raise InvalidInput("not a readable XLSX workbook: %(exc)s", exc=exc) from None
    finally:
        book.close()
