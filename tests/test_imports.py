"""Roster and project imports, and creating an election, on both databases.

Imports are all-or-nothing: a file with bad rows is refused with every bad
row named by the row number a clerk sees in the spreadsheet (the header is
row 1), and the database is left as it was. Each refusal below is followed
by a count of what is in the database.
"""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ballot.errors import Conflict, ImportErrors, InvalidInput
from ballot.models import Deputy, Election, ElectionState, Project, Trustee
from ballot.rehearsal import Rehearsal, RehearsalConfig
from ballot.services import elections, roster
from crypto.at_rest import AtRestKey
from crypto.errors import CryptoError

EID = "county-2026"
AT_REST = AtRestKey(b"instance secret for the import tests")
GOOD_ELECTION: dict[str, Any] = {
    "election_id": EID, "congress_name": "某县第十八届人民代表大会第六次会议",
    "level": "county", "year": 2026, "trustee_names": ["监票人甲", "监票人乙", "监票人丙"],
    "threshold": 2,
}
DEPUTY_HEADER = ["座位号", "姓名", "代表团"]
PROJECT_HEADER = ["编号", "项目名称", "类别", "估算金额", "地点", "实施单位"]
CHINESE_DEPUTIES = [["001", "王建国", "第一代表团"], ["002", "李秀英", "第二代表团"],
                    ["003", "张志强", ""]]
CHINESE_PROJECTS = [["P01", "老旧小区改造提质", "城乡建设", "3200", "12个老旧小区", "住建局"],
                    ["P02", "农贸市场标准化改造", "商贸流通", "1,500.5", "城区", "商务局"],
                    ["P03", "公共厕所新建改建", "环境卫生", "", "城乡结合部", "城管局"]]


def _csv(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def election(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The database, holding one draft election with no roster and no projects."""
    with sessions.begin() as s:
        elections.create_election(s, at_rest=AT_REST, **GOOD_ELECTION)
    return sessions


def _import(sessions: sessionmaker[Session], what: str, data: bytes, filename: str,
            dry_run: bool = False, eid: str = EID) -> list[Any]:
    importer = roster.import_deputies if what == "deputies" else roster.import_projects
    with sessions.begin() as s:
        return importer(s, elections.get_election(s, eid), data, filename, dry_run=dry_run)


def _deputies(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    with sessions.begin() as s:
        return [(d.seat, d.name, d.delegation)
                for d in roster.list_deputies(s, elections.get_election(s, EID))]


def _projects(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with sessions.begin() as s:
        return [(p.code, p.title, p.category, p.cost_wan, p.place, p.department)
                for p in roster.list_projects(s, elections.get_election(s, EID))]


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions.begin() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


# -- reading CSV and XLSX ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_with_chinese_headers_in_each_encoding(election: sessionmaker[Session],
                                                   encoding: str) -> None:
    _import(election, "deputies", _csv([DEPUTY_HEADER, *CHINESE_DEPUTIES], encoding),
            "代表名单.csv")
    _import(election, "projects", _csv([PROJECT_HEADER, *CHINESE_PROJECTS], encoding),
            "候选项目.CSV")
    assert _deputies(election) == [tuple(row) for row in CHINESE_DEPUTIES]
    assert _projects(election) == [
        ("P01", "老旧小区改造提质", "城乡建设", Decimal("3200.00"), "12个老旧小区", "住建局"),
        ("P02", "农贸市场标准化改造", "商贸流通", Decimal("1500.50"), "城区", "商务局"),
        ("P03", "公共厕所新建改建", "环境卫生", None, "城乡结合部", "城管局"),
    ]


def test_gb18030_file_is_really_not_utf8() -> None:
    """The GB18030 case above reaches the fallback decoder, not the UTF-8 one."""
    data = _csv([DEPUTY_HEADER, *CHINESE_DEPUTIES], "gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")


def test_csv_with_english_headers(election: sessionmaker[Session]) -> None:
    _import(election, "deputies", _csv([[" Seat ", "NAME", "Delegation"],
                                        ["A7", " Li Lei ", "East"], ["A8", "Han Meimei", ""]]),
            "roster.csv")
    _import(election, "projects", _csv([
        ["code", "Title", "category", "cost", "place", "department", "description"],
        ["X1", "Street lights", "urban", "450", "old town", "城管局", "200 new lamps"],
    ]), "projects.csv")
    assert _deputies(election) == [("A7", "Li Lei", "East"), ("A8", "Han Meimei", "")]
    assert _projects(election) == [("X1", "Street lights", "urban", Decimal("450.00"),
                                    "old town", "城管局")]
    with election.begin() as s:
        (project,) = roster.list_projects(s, elections.get_election(s, EID))
        assert project.description == "200 new lamps"


def test_xlsx_with_chinese_headers_and_numeric_cells(election: sessionmaker[Session]) -> None:
    _import(election, "deputies", _xlsx([DEPUTY_HEADER, [1.0, "王建国", "第一代表团"],
                                         ["002", "李秀英", None], [3, "张志强", "第三代表团"]]),
            "代表名单.xlsx")
    _import(election, "projects", _xlsx([PROJECT_HEADER,
                                         ["P01", "老旧小区改造提质", "城乡建设", 3200,
                                          "12个老旧小区", "住建局"],
                                         ["P02", "农贸市场标准化改造", None, 1234.5, None, None]]),
            "候选项目.XLSX")
    assert _deputies(election) == [("002", "李秀英", ""), ("1", "王建国", "第一代表团"),
                                   ("3", "张志强", "第三代表团")]
    assert _projects(election) == [
        ("P01", "老旧小区改造提质", "城乡建设", Decimal("3200.00"), "12个老旧小区", "住建局"),
        ("P02", "农贸市场标准化改造", "", Decimal("1234.50"), "", ""),
    ]


def test_xlsx_with_english_headers(election: sessionmaker[Session]) -> None:
    _import(election, "deputies", _xlsx([["seat", "name"], [12.0, "Li Lei"]]), "r.xlsx")
    _import(election, "projects", _xlsx([["Code", "Title", "Cost"], ["X1", "Lights", 0.5]]),
            "p.xlsx")
    assert _deputies(election) == [("12", "Li Lei", "")]
    assert _projects(election) == [("X1", "Lights", "", Decimal("0.50"), "", "")]


# -- bad rows: every one named, nothing imported ------------------------------------------------


def test_bad_deputy_rows_are_all_named_and_nothing_is_imported(
        election: sessionmaker[Session]) -> None:
    _import(election, "deputies", _csv([DEPUTY_HEADER, ["900", "已有代表", ""]]), "first.csv")
    data = _csv([
        DEPUTY_HEADER,
        ["001", "王建国", "第一代表团"],    # row 2: fine
        ["002", "", "第一代表团"],          # row 3: no name
        [],                                 # row 4: blank, skipped but still counted
        ["003", "张志强", ""],              # row 5: fine
        ["001", "刘海燕", ""],              # row 6: seat 001 again
        ["900", "陈德胜", ""],              # row 7: seat of a deputy already imported
        ["S" * 21, "杨春生", ""],           # row 8: seat too long
        ["004", "名" * 101, ""],            # row 9: name too long
        ["", "赵玉兰", ""],                 # row 10: no seat
    ], "utf-8-sig")
    with pytest.raises(ImportErrors) as refused:
        _import(election, "deputies", data, "roster.csv")
    assert [str(e) for e in refused.value.errors] == [
        "row 3: seat and name are required",
        "row 6: seat 001 appears twice",
        "row 7: seat 900 appears twice",
        "row 8: seat or name is too long",
        "row 9: seat or name is too long",
        "row 10: seat and name are required",
    ]
    assert isinstance(refused.value, InvalidInput)
    assert "row 3" in str(refused.value)
    assert _deputies(election) == [("900", "已有代表", "")]
    assert _count(election, Deputy) == 1


def test_bad_project_rows_are_all_named_and_nothing_is_imported(
        election: sessionmaker[Session]) -> None:
    _import(election, "projects", _csv([PROJECT_HEADER, ["P90", "已有项目", "", "", "", ""]]),
            "first.csv")
    data = _csv([
        PROJECT_HEADER,
        ["P01", "老旧小区改造提质", "城乡建设", "3200", "", ""],  # row 2: fine
        ["P02", "", "", "100", "", ""],                          # row 3: no title
        ["P01", "农贸市场标准化改造", "", "", "", ""],             # row 4: code P01 again
        ["P90", "城区停车泊位建设", "", "", "", ""],               # row 5: code already in
        ["P" * 21, "中小学校午餐配送", "", "", "", ""],            # row 6: code too long
        ["P06", "项" * 201, "", "", "", ""],                     # row 7: title too long
        ["P07", "社区居家养老服务中心", "", "abc", "", ""],        # row 8: not a number
        ["P08", "乡村道路提质改造", "", "-5", "", ""],             # row 9: negative
        ["P09", "城区排水防涝设施", "", "1e400", "", ""],          # row 10: too large
        ["P10", "全民健身场地建设", "", "800", "", ""],            # row 11: fine
    ])
    with pytest.raises(ImportErrors) as refused:
        _import(election, "projects", data, "projects.csv")
    assert [str(e) for e in refused.value.errors] == [
        "row 3: code and title are required",
        "row 4: code P01 appears twice",
        "row 5: code P90 appears twice",
        "row 6: code or title is too long",
        "row 7: code or title is too long",
        "row 8: cost 'abc' is not a number (万元)",
        "row 9: cost '-5' is out of range",
        "row 10: cost '1e400' is out of range",
    ]
    assert [p[0] for p in _projects(election)] == ["P90"]
    assert _count(election, Project) == 1


def test_bad_rows_in_a_workbook_are_named_by_spreadsheet_row(
        election: sessionmaker[Session]) -> None:
    data = _xlsx([
        PROJECT_HEADER,
        ["P01", "老旧小区改造提质", "", 3200, "", ""],
        [None, None, None, None, None, None],
        ["P02", "农贸市场标准化改造", "", -1.5, "", ""],
        ["P03", None, "", 10, "", ""],
    ])
    with pytest.raises(ImportErrors) as refused:
        _import(election, "projects", data, "projects.xlsx")
    assert [str(e) for e in refused.value.errors] == ["row 4: cost '-1.5' is out of range",
                                    "row 5: code and title are required"]
    assert _count(election, Project) == 0


def test_cost_that_rounds_up_out_of_range_is_a_row_error(election: sessionmaker[Session]) -> None:
    data = _csv([PROJECT_HEADER, ["P01", "河道综合治理", "", "999999999999.999", "", ""]])
    with pytest.raises(ImportErrors, match="row 2: cost"):
        _import(election, "projects", data, "projects.csv")
    assert _count(election, Project) == 0


def test_control_character_in_a_name_is_a_row_error(election: sessionmaker[Session]) -> None:
    data = _csv([DEPUTY_HEADER, ["001", "王\x00建国", ""]])
    with pytest.raises(ImportErrors, match="row 2"):
        _import(election, "deputies", data, "roster.csv")
    assert _count(election, Deputy) == 0


# -- dry runs and unreadable files ------------------------------------------------------------


def test_dry_run_validates_and_imports_nothing(election: sessionmaker[Session]) -> None:
    checked = _import(election, "deputies", _csv([DEPUTY_HEADER, *CHINESE_DEPUTIES]),
                      "roster.csv", dry_run=True)
    assert [d.seat for d in checked] == ["001", "002", "003"]
    assert _import(election, "projects", _csv([PROJECT_HEADER, *CHINESE_PROJECTS]),
                   "projects.csv", dry_run=True) == []
    assert _count(election, Deputy) == 0
    assert _count(election, Project) == 0
    with pytest.raises(ImportErrors, match="row 3: seat and name are required"):
        _import(election, "deputies", _csv([DEPUTY_HEADER, ["1", "甲", ""], ["2", "", ""]]),
                "roster.csv", dry_run=True)
    # after a dry run the same file imports for real
    _import(election, "deputies", _csv([DEPUTY_HEADER, *CHINESE_DEPUTIES]), "roster.csv")
    assert _count(election, Deputy) == 3


@pytest.mark.parametrize(
    ("what", "header", "missing"),
    [("deputies", ["座位号", "代表团"], "name"),
     ("deputies", ["姓名", "代表团"], "seat"),
     ("deputies", ["delegation"], "seat, name"),
     ("projects", ["编号", "类别", "估算金额"], "title"),
     ("projects", ["项目名称", "估算金额"], "code")],
)
def test_a_missing_required_column_is_named(election: sessionmaker[Session], what: str,
                                            header: list[str], missing: str) -> None:
    data = _csv([header, ["x"] * len(header)])
    with pytest.raises(InvalidInput, match=f"the header row lacks the column\\(s\\) {missing}$"):
        _import(election, what, data, "file.csv")
    assert _count(election, Deputy) == _count(election, Project) == 0


def _zip_without_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return out.getvalue()


def _damaged_xlsx() -> bytes:
    """A real workbook whose sheet's XML is cut in half."""
    whole = zipfile.ZipFile(io.BytesIO(_xlsx([DEPUTY_HEADER, *CHINESE_DEPUTIES])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as damaged:
        for item in whole.infolist():
            data = whole.read(item.filename)
            damaged.writestr(item, data[: len(data) // 2] if "sheet1" in item.filename
                             else data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "roster.csv", "the file is empty: a header row is expected"),
        ("\ufeff".encode(), "roster.csv", "the file is empty"),
        (_csv([DEPUTY_HEADER]), "roster.csv", "the file has no deputies"),
        (_csv([DEPUTY_HEADER, [], ["", " ", ""]]), "roster.csv", "the file has no deputies"),
        (_xlsx([DEPUTY_HEADER]), "roster.xlsx", "the file has no deputies"),
        (_xlsx([]), "roster.xlsx", "the workbook's first sheet is empty"),
        (_csv([DEPUTY_HEADER, *CHINESE_DEPUTIES]), "roster.txt", r"upload a \.csv or \.xlsx"),
        (_csv([DEPUTY_HEADER, *CHINESE_DEPUTIES]), "roster", r"upload a \.csv or \.xlsx"),
        (bytes(range(256)) * 8, "roster.xlsx", "not a readable XLSX workbook"),
        (_csv([DEPUTY_HEADER, *CHINESE_DEPUTIES]), "roster.xlsx", "not a readable XLSX"),
        (_zip_without_workbook(), "roster.xlsx", "not a readable XLSX workbook"),
        (b"\xff\xfe\xff\xfe" + bytes(range(128, 256)), "roster.csv",
         "the CSV file is neither UTF-8 nor GB18030 text"),
        (b"a" * (5 * 1024 * 1024 + 1), "roster.csv", "larger than 5 MB"),
        # These three were server errors (500) until the fuzz tests found them.
        ("座位号,姓名,代表团\n001,".encode() + b"x" * 200_000 + b",a\n", "roster.csv",
         r"not a readable CSV file \(line 2\): field larger than field limit"),
        ("座位号,姓名,代表团\r\r001,王\r二".encode(), "roster.csv",
         r"not a readable CSV file \(line 1\): new-line character seen in unquoted field$"),
        (_damaged_xlsx(), "roster.xlsx", "not a readable XLSX workbook: unclosed token"),
    ],
    ids=["empty", "bom only", "header only", "blank rows only", "xlsx header only",
         "empty workbook", "txt", "no extension", "random bytes as xlsx", "csv as xlsx",
         "zip without workbook", "neither encoding", "too large", "huge cell", "bare CR",
         "damaged sheet XML"],
)
def test_unreadable_files_are_refused_clearly(election: sessionmaker[Session], data: bytes,
                                              filename: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        _import(election, "deputies", data, filename)
    assert _count(election, Deputy) == 0


def test_empty_project_file_is_refused(election: sessionmaker[Session]) -> None:
    with pytest.raises(ImportErrors, match="the file has no projects"):
        _import(election, "projects", _csv([PROJECT_HEADER]), "projects.csv")
    with pytest.raises(InvalidInput, match="the file is empty"):
        _import(election, "projects", b"", "projects.csv")
    assert _count(election, Project) == 0


# -- the roster is fixed once a ballot is ------------------------------------------------------


CONFIG = RehearsalConfig(rows=4, seats=2, deputies=9, present=6, voters=4, trustees=2,
                         threshold=2, voided=0, spoil=0, scrypt_n=2**10)


def test_imports_after_a_ballot_is_frozen_are_refused(sessions: sessionmaker[Session],
                                                      tmp_path: Path) -> None:
    run = Rehearsal(sessions, CONFIG, tmp_path)
    run.setup()
    run.ceremony()
    run.open()
    deputies = _csv([DEPUTY_HEADER, ["100", "新代表", ""]])
    projects = _csv([PROJECT_HEADER, ["P99", "新项目", "", "1", "", ""]])
    for what, data in (("deputies", deputies), ("projects", projects)):
        for dry_run in (False, True):
            with pytest.raises(Conflict, match="a round's ballot is fixed already"):
                _import(sessions, what, data, f"{what}.csv", dry_run=dry_run, eid=run.eid)
    with pytest.raises(Conflict, match="fixed already"), sessions.begin() as s:
        roster.add_project(s, elections.get_election(s, run.eid), code="P99", title="新项目")
    assert _count(sessions, Deputy) == CONFIG.deputies
    assert _count(sessions, Project) == CONFIG.rows


# -- creating an election ---------------------------------------------------------------------


def _create(sessions: sessionmaker[Session], **changes: Any) -> None:
    with sessions.begin() as s:
        elections.create_election(s, at_rest=AT_REST, **{**GOOD_ELECTION, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"election_id": "County-2026"}, "the election id uses lower-case letters, digits"),
        ({"election_id": "x"}, "2 to 63 characters"),
        ({"election_id": "-county"}, "the election id uses"),
        ({"election_id": "county 2026"}, "the election id uses"),
        ({"election_id": "c" * 64}, "2 to 63 characters"),
        ({"election_id": "county-2026\n"}, "the election id uses"),
        ({"congress_name": "  "}, "the congress name is required"),
        ({"level": "province"}, "the level must be one of township, county, city"),
        ({"level": "County"}, "the level must be one of"),
        ({"year": 1999}, "the year must be between 2000 and 2100"),
        ({"year": 2101}, "the year must be between 2000 and 2100"),
        ({"trustee_names": []}, "name between 1 and 64 trustees, none blank"),
        ({"trustee_names": ["监票人甲", " "]}, "none blank"),
        ({"trustee_names": [f"t{i}" for i in range(65)]}, "between 1 and 64 trustees"),
        ({"threshold": 4}, "the threshold must be between 1 and 3 trustees"),
        ({"threshold": 0}, "the threshold must be between 1 and 3 trustees"),
        ({"quorum": (0, 3)}, "the quorum must be a fraction between 0 and 1"),
        ({"quorum": (4, 3)}, "the quorum must be a fraction"),
        ({"quorum": (2, 0)}, "the quorum must be a fraction"),
    ],
)
def test_create_election_refusals(sessions: sessionmaker[Session], changes: dict[str, Any],
                                  message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        _create(sessions, **changes)
    assert _count(sessions, Election) == 0
    assert _count(sessions, Trustee) == 0


def test_create_election_refuses_a_duplicate_id(election: sessionmaker[Session]) -> None:
    with pytest.raises(Conflict, match="an election 'county-2026' exists already"):
        _create(election, congress_name="另一次会议", year=2027)
    with election.begin() as s:
        existing = elections.get_election(s, EID)
        assert existing.year == 2026
        assert [t.name for t in existing.trustees] == GOOD_ELECTION["trustee_names"]
    assert _count(election, Election) == 1
    assert _count(election, Trustee) == 3


def test_created_election_is_a_draft_with_its_trustees(election: sessionmaker[Session]) -> None:
    with election.begin() as s:
        created = elections.get_election(s, EID)
        assert created.state == ElectionState.draft
        assert (created.trustees_n, created.threshold) == (3, 2)
        assert (created.quorum_num, created.quorum_den) == (2, 3)
        assert [(t.index, t.name, t.transport_key) for t in created.trustees] == [
            (1, "监票人甲", None), (2, "监票人乙", None), (3, "监票人丙", None)]
        assert created.joint_key is None


def test_overlong_congress_name_is_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(InvalidInput, match="congress name"):
        _create(sessions, congress_name="会" * 201)
    assert _count(sessions, Election) == 0


def test_overlong_trustee_name_is_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(InvalidInput, match="trustee"):
        _create(sessions, trustee_names=["监票人甲", "名" * 101, "监票人丙"])
    assert _count(sessions, Election) == 0


def test_receipt_key_is_sealed_at_rest(election: sessionmaker[Session]) -> None:
    with election.begin() as s:
        created = elections.get_election(s, EID)
        sealed = bytes(created.receipt_private_sealed)
        key = elections.receipt_signing_key(created, AT_REST)
        raw = key.private_bytes_raw()
        assert key.public_key().public_bytes_raw().hex() == created.receipt_public_key
        assert raw not in sealed
        assert len(sealed) == 12 + 32 + 16  # nonce, key, tag
        with pytest.raises(CryptoError, match="PIAOJUE_SECRET_KEY"):
            elections.receipt_signing_key(created, AtRestKey(b"another instance's secret"))
        # the seal is bound to its election: moved to another election it does not open
        moved = Election(id="other-2026", receipt_private_sealed=sealed)
        with pytest.raises(CryptoError, match="receipt key of other-2026"):
            elections.receipt_signing_key(moved, AT_REST)


def test_each_election_has_its_own_receipt_key(election: sessionmaker[Session]) -> None:
    _create(election, election_id="county-2027", year=2027)
    with election.begin() as s:
        keys = {e.receipt_public_key for e in elections.list_elections(s)}
        seals = {bytes(e.receipt_private_sealed) for e in elections.list_elections(s)}
    assert len(keys) == len(seals) == 2
