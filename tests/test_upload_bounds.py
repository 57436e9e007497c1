"""Upload bombs: a spreadsheet is read with work bounded by limits, not by its claims.

The attack of issue 13: a 1.5 KB XLSX whose dimension tag claims ``A1:XFD4000``
took 14.8 s of server CPU, because openpyxl padded every row to the claimed
width and empty rows were skipped before the row limit counted them. Work is
measured here as the cell slots the reader looks at (``tabular._trimmed`` is
where every XLSX row passes), never as time: for any shape hypothesis draws
(claimed dimensions, far rows and columns, gaps), reading either succeeds or is
refused with a reason, and looks at no more than the limits allow.
"""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from ballot import tabular
from ballot.errors import InvalidInput

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
    'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
    'formats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
    'formats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '</Relationships>')


def workbook(dimension: str, cells: dict[int, dict[int, str]]) -> bytes:
    """A minimal XLSX: one sheet claiming ``dimension``, holding ``cells[row][column]``."""
    rows = "".join(
        f'<row r="{r}">' + "".join(
            f'<c r="{get_column_letter(c)}{r}" t="inlineStr"><is><t>{text}</t></is></c>'
            for c, text in sorted(columns.items())) + "</row>"
        for r, columns in sorted(cells.items()))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
             f'openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/>'
             f"<sheetData>{rows}</sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                           ("xl/workbook.xml", WORKBOOK),
                           ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
                           ("xl/worksheets/sheet1.xml", sheet)):
            archive.writestr(name, text)
    return out.getvalue()


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The cell slots of every XLSX row the reader looks at."""
    seen: list[int] = []
    real = tabular._trimmed

    def counted(values: tuple[object, ...]) -> list[str]:
        seen.append(len(values))
        return real(values)

    monkeypatch.setattr(tabular, "_trimmed", counted)
    return seen


BOUND = (tabular.MAX_SCANNED_ROWS + 2) * (tabular.MAX_COLUMNS + 1)


def test_xlsx_dimension_bomb_is_read_as_what_it_holds(work: list[int]) -> None:
    bomb = workbook("A1:XFD4000", {1: {1: "座位号", 2: "姓名"}, 2: {1: "001", 2: "张三"}})
    assert len(bomb) < 2000
    header, rows = tabular.read_table(bomb, "bomb.xlsx", {})
    assert header == ["座位号", "姓名"]
    assert [row.values for row in rows] == [{"座位号": "001", "姓名": "张三"}]
    assert sum(work) <= 3 * (tabular.MAX_COLUMNS + 1)  # not 4000 × 16384


def test_xlsx_far_rows_and_columns_are_refused_early(work: list[int]) -> None:
    far_row = workbook("A1:B2", {1: {1: "a"}, 1_000_000: {1: "b"}})
    with pytest.raises(InvalidInput, match="rows, counting empty ones"):
        tabular.read_table(far_row, "far.xlsx", {})
    assert sum(work) <= BOUND
    far_column = workbook("A1:A1", {1: {1: "a", 16384: "b"}})
    with pytest.raises(InvalidInput, match="columns"):
        tabular.read_table(far_column, "wide.xlsx", {})


def test_a_workbook_with_too_many_cells_is_refused_before_parsing(work: list[int]) -> None:
    many = workbook("A1:A1", {r: {c: "x" for c in range(1, 41)}
                              for r in range(1, tabular.MAX_XLSX_CELLS // 40 + 2)})
    with pytest.raises(InvalidInput, match="cells"):
        tabular.read_table(many, "many.xlsx", {})
    assert work == []


@settings(max_examples=40, deadline=None)
@given(dimension=st.sampled_from(["A1", "A1:XFD4000", "A1:XFD1048576", "B2:C3", "junk"]),
       cells=st.dictionaries(st.integers(1, 1_048_576), st.dictionaries(
           st.integers(1, 16384), st.sampled_from(["x", "名", "1"]), max_size=4), max_size=6))
def test_any_workbook_shape_is_read_or_refused_within_the_bound(
        work: list[int], dimension: str, cells: dict[int, dict[int, str]]) -> None:
    work.clear()
    with contextlib.suppress(InvalidInput):
        tabular.read_table(workbook(dimension, cells), "drawn.xlsx", {})
    assert sum(work) <= BOUND


@settings(max_examples=40, deadline=None)
@given(width=st.integers(1, 5000), blank=st.integers(0, 100_000), rows=st.integers(0, 50))
def test_any_csv_shape_is_read_or_refused_within_the_bound(width: int, blank: int,
                                                           rows: int) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"c{i}" for i in range(min(width, 3))])
    writer.writerows([["x"] * width for _ in range(rows)])
    out.write("\n" * blank)
    writer.writerow(["late"])
    refused: InvalidInput | None = None
    try:
        _, read = tabular.read_table(out.getvalue().encode(), "drawn.csv", {})
    except InvalidInput as exc:
        refused = exc
    if refused is not None:
        assert "columns" in str(refused) or "rows" in str(refused)
        return
    assert len(read) <= tabular.MAX_ROWS
    assert width <= tabular.MAX_COLUMNS or rows == 0
    assert blank + rows + 2 <= tabular.MAX_SCANNED_ROWS + 2
