"""The round page's exports, and who may reach the session-day pages, via Flask's test client.

Two rehearsals (a selection and a rating round, counted and published) fill a
real SQLite database; staff log in through the login form. Each export is
read back with the tool people open it with (csv, openpyxl, a pabulib reader,
the verifier) and compared with the result stored for the round.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from admin.app import create_app
from ballot.db import make_engine, make_sessionmaker
from ballot.errors import Conflict, InvalidInput
from ballot.models import Attendance, BoardEntry, Election, Round, RoundState, TrusteeDecryption
from ballot.rehearsal import RehearsalConfig, rehearse
from ballot.schema import upgrade
from ballot.services import credentials, elections, roster, rounds, staff
from ballot.services.results_export import RATING_COLUMNS, SELECTION_COLUMNS
from ballot.verifier import verify_record
from crypto.at_rest import AtRestKey

AT_REST = AtRestKey("export tests at-rest secret")
PASSWORD = "export tests password"
SELECTION = RehearsalConfig(rows=4, seats=2, deputies=6, present=6, voters=5, spoil=0,
                            voided=0, trustees=3, threshold=2, scrypt_n=2**10,
                            election_id="exports-2026")
RATING = RehearsalConfig(kind="rating", rows=3, deputies=6, present=6, voters=5, spoil=0,
                         voided=0, trustees=3, threshold=2, scrypt_n=2**10,
                         election_id="rating-2026")
DRAFT = "draft-1"  # a round of the selection election that was never counted
KINDS = ("record.zip", "results.csv", "results.xlsx", "results.pb")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WRONG_ROLE = "您的账号没有访问此页面所需的角色。"


@dataclass
class Site:
    app: Flask
    sessions: sessionmaker[Session]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("exports")
    url = f"sqlite:///{tmp / 'exports.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    for config in (SELECTION, RATING):
        keys = tmp / config.election_id
        keys.mkdir()
        rehearse(sessions, config, keys, at_rest=AT_REST)
    with sessions.begin() as s:
        election = elections.get_election(s, SELECTION.election_id)
        rounds.create_round(s, election, round_id=DRAFT, kind="selection", title="未计票的轮次",
                            project_ids=[p.id for p in roster.list_projects(s, election)],
                            seats=1)
        for username, role in (("zhuxituan", "presidium"), ("dengji", "clerk"),
                               ("bumen", "department")):
            staff.create_staff(s, username, PASSWORD, [role],
                               department="住建局" if role == "department" else "")
    app = create_app({"DATABASE_URL": url, "PIAOJUE_AT_REST": AT_REST,
                      "SECRET_KEY": "export tests flask secret"})
    try:
        yield Site(app, sessions)
    finally:
        app.extensions["piaojue_engine"].dispose()
        engine.dispose()


def _token(client: FlaskClient, path: str) -> str:
    found = CSRF.search(client.get(path).get_data(as_text=True))
    assert found, path
    return found.group(1)


def _client(site: Site, username: str | None) -> tuple[FlaskClient, str]:
    """A browser of its own, logged in as ``username`` (or anonymous), and its CSRF token."""
    client = site.app.test_client()
    token = _token(client, "/admin/login")
    if username is not None:
        response = client.post("/admin/login", data={"csrf_token": token, "username": username,
                                                     "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        token = _token(client, "/admin/")
    return client, token


@pytest.fixture(scope="module")
def presidium(site: Site) -> FlaskClient:
    return _client(site, "zhuxituan")[0]


def _export(client: FlaskClient, config: RehearsalConfig, kind: str,
            round_id: str | None = None, lang: str = "en") -> TestResponse:
    round_id = round_id or ("selection-1" if config.kind == "selection" else "rating-1")
    return client.get(f"/admin/e/{config.election_id}/r/{round_id}/export/{kind}?lang={lang}")


# The headings and words an export shows, in English (?lang=en) and in Chinese.
HEADINGS = {
    "en": {"id": "code", "title": "project", "for": "For", "against": "Against",
           "abstain": "Abstain", "status": "result", "satisfied": "Satisfied",
           "basically_satisfied": "Basically satisfied", "dissatisfied": "Dissatisfied",
           "marks": "ratings given", "rate": "satisfaction rate", "class": "rating",
           "flagged": "needs rectification"},
    "zh_CN": {"id": "编号", "title": "项目", "for": "赞成", "against": "反对", "abstain": "弃权",
              "status": "结果", "satisfied": "满意", "basically_satisfied": "基本满意",
              "dissatisfied": "不满意", "marks": "评价票数", "rate": "满意率", "class": "等次",
              "flagged": "需整改"},
}
WORDS = {
    "en": {"elected": "elected", "not_elected": "not elected", "failed": "short of a majority",
           "tied": "tied: runoff", "satisfied": "Satisfied",
           "basically_satisfied": "Basically satisfied", "dissatisfied": "Dissatisfied",
           True: "yes", False: "no"},
    "zh_CN": {"elected": "当选", "not_elected": "未当选", "failed": "未过半数",
              "tied": "票数相同，须再次投票", "satisfied": "满意",
              "basically_satisfied": "基本满意",
              "dissatisfied": "不满意", True: "是", False: "否"},
}


def _headings(columns: tuple[str, ...], lang: str = "en") -> tuple[str, ...]:
    return tuple(HEADINGS[lang][c] for c in columns)


def _stored(site: Site, config: RehearsalConfig) -> dict[str, Any]:
    with site.sessions.begin() as s:
        round_ = rounds.get_round(s, config.election_id,
                                  "selection-1" if config.kind == "selection" else "rating-1")
        assert round_.state == RoundState.published
        titles = {row.project.code: row.project.title for row in round_.rows}
        return {"result": round_.result, "counts": round_.counts, "titles": titles}


def _expected_rows(stored: dict[str, Any], columns: tuple[str, ...], lang: str = "en"
                   ) -> list[list[Any]]:
    out = []
    for row in stored["result"]["rows"]:
        values: list[Any] = []
        for c in columns:
            if c == "title":
                values.append(stored["titles"][row["id"]])
            elif c == "rate":
                values.append(f"{row['rate'][0]}/{row['rate'][1]}")
            elif c in ("status", "class", "flagged"):
                values.append(WORDS[lang][row[c]])
            else:
                values.append(row[c])
        out.append(values)
    return out


# -- the exports ---------------------------------------------------------------------------

def test_results_csv_is_the_stored_result_row_by_row(site: Site, presidium: FlaskClient
                                                     ) -> None:
    response = _export(presidium, SELECTION, "results.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "exports-2026-selection-1-results.csv" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(table[0]) == _headings(SELECTION_COLUMNS)
    expected = _expected_rows(_stored(site, SELECTION), SELECTION_COLUMNS)
    assert table[1:] == [[str(v) for v in row] for row in expected]
    assert len(table) == SELECTION.rows + 1
    assert any("老旧小区改造提质" in row[1] for row in table[1:])  # Chinese survives


def test_results_xlsx_opens_and_matches_with_its_reconciliation(site: Site,
                                                                presidium: FlaskClient) -> None:
    response = _export(presidium, SELECTION, "results.xlsx")
    assert response.status_code == 200
    assert response.mimetype is not None
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    assert book.sheetnames == ["results", "reconciliation"]
    stored = _stored(site, SELECTION)
    rows = [list(r) for r in book["results"].iter_rows(values_only=True)]
    assert tuple(rows[0]) == _headings(SELECTION_COLUMNS)
    assert rows[1:] == _expected_rows(stored, SELECTION_COLUMNS)
    recon = {k: v for k, v in book["reconciliation"].iter_rows(values_only=True)}
    assert recon == {"enrolled deputies": 6, "deputies present": 6, "slips handed out": 6,
                     "ballots cast": 5}
    assert list(recon.values()) == [stored["result"]["reconciliation"][k]
                                    for k in ("enrolled", "present", "issued", "cast")]
    book.close()


@pytest.mark.parametrize("kind", ["results.csv", "results.xlsx"])
def test_an_export_speaks_the_pages_language(site: Site, presidium: FlaskClient,
                                             kind: str) -> None:
    """Chinese headings and results by default on a zh-CN desk; English with ?lang=en."""
    response = _export(presidium, SELECTION, kind, lang="zh_CN")
    stored = _stored(site, SELECTION)
    table: Sequence[Sequence[object]]  # text from the CSV, typed cell values from the workbook
    if kind == "results.csv":
        table = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
        expected = [[str(v) for v in row]
                    for row in _expected_rows(stored, SELECTION_COLUMNS, "zh_CN")]
    else:
        book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
        assert book.sheetnames == ["结果", "核对"]
        table = [list(r) for r in book["结果"].iter_rows(values_only=True)]
        recon = {k: v for k, v in book["核对"].iter_rows(values_only=True)}
        assert recon == {"应到代表": 6, "实到代表": 6, "发出凭证": 6, "收回选票": 5}
        expected = _expected_rows(stored, SELECTION_COLUMNS, "zh_CN")
        book.close()
    assert tuple(table[0]) == _headings(SELECTION_COLUMNS, "zh_CN")
    assert table[1:] == expected


def test_results_pb_is_a_pabulib_file_of_the_counts(site: Site, presidium: FlaskClient
                                                    ) -> None:
    response = _export(presidium, SELECTION, "results.pb")
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()
    assert [line for line in lines if line in ("META", "PROJECTS", "VOTES")] == [
        "META", "PROJECTS", "VOTES"]
    meta_at, projects_at, votes_at = (lines.index(s) for s in ("META", "PROJECTS", "VOTES"))
    assert meta_at == 0 < projects_at < votes_at
    meta = dict(line.split(";", 1) for line in lines[meta_at + 2: projects_at])
    assert lines[meta_at + 1] == "key;value"
    stored = _stored(site, SELECTION)
    assert meta["num_projects"] == str(SELECTION.rows)
    assert meta["num_votes"] == str(stored["result"]["reconciliation"]["cast"])
    assert meta["max_length"] == str(SELECTION.seats)
    assert meta["vote_type"] == "approval"
    assert lines[projects_at + 1] == "project_id;cost;votes;name;category;selected"
    projects = [line.split(";") for line in lines[projects_at + 2: votes_at]]
    rows = stored["result"]["rows"]
    assert len(projects) == len(rows)
    for fields, row in zip(projects, rows, strict=True):
        assert len(fields) == 6
        assert fields[0] == row["id"]
        assert fields[2] == str(row["for"])
        assert fields[3] == stored["titles"][row["id"]]
        assert fields[5] == ("1" if row["status"] == "elected" else "0")
    assert sum(f[5] == "1" for f in projects) == len(stored["result"]["elected"])
    assert lines[votes_at + 1:] == ["voter_id;vote"]  # a secret ballot: no per-voter votes


@pytest.mark.parametrize("config", [SELECTION, RATING], ids=["selection", "rating"])
def test_record_zip_verifies(site: Site, presidium: FlaskClient,
                             config: RehearsalConfig) -> None:
    response = _export(presidium, config, "record.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    report = verify_record(response.get_data())
    stored = _stored(site, config)
    assert report.election_id == config.election_id
    assert report.cast == config.voters
    assert report.counts == stored["counts"]
    assert report.result == stored["result"]


def test_an_unknown_export_is_a_bad_request(presidium: FlaskClient) -> None:
    for kind in ("results.pdf", "record.tar", "..%2Fsecret.key"):
        response = _export(presidium, SELECTION, kind)
        assert response.status_code in (400, 404), kind
    response = _export(presidium, SELECTION, "results.pdf", lang="zh_CN")
    assert response.status_code == 400
    assert "未知的导出格式。" in response.get_data(as_text=True)


def test_a_round_without_a_result_has_no_exports(presidium: FlaskClient) -> None:
    for kind in KINDS:
        response = _export(presidium, SELECTION, kind, round_id=DRAFT)
        assert response.status_code == 409, kind
        assert "no result" in response.get_data(as_text=True) or kind == "results.pb"
    assert _export(presidium, SELECTION, "results.csv", round_id="no-such-round"
                   ).status_code == 404


def test_a_rating_round_exports_its_rating_columns_and_no_pabulib(
        site: Site, presidium: FlaskClient) -> None:
    response = _export(presidium, RATING, "results.csv")
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert tuple(table[0]) == _headings(RATING_COLUMNS)
    stored = _stored(site, RATING)
    assert table[1:] == [[str(v) for v in row]
                         for row in _expected_rows(stored, RATING_COLUMNS)]
    for row in table[1:]:  # rate is "satisfied+basically / marks"
        good, marks = row[6].split("/")
        assert int(good) == int(row[2]) + int(row[3])
        assert int(marks) == int(row[5])

    book = load_workbook(io.BytesIO(_export(presidium, RATING, "results.xlsx").get_data()),
                         read_only=True)
    assert tuple(next(book["results"].iter_rows(values_only=True))) == _headings(RATING_COLUMNS)
    book.close()

    response = _export(presidium, RATING, "results.pb")
    assert response.status_code == 409
    assert "pabulib" in response.get_data(as_text=True)
    page = presidium.get(f"/admin/e/{RATING.election_id}/r/rating-1/").get_data(as_text=True)
    assert "results.csv" in page
    assert "results.pb" not in page


# -- who may do what -----------------------------------------------------------------------

E = f"/admin/e/{SELECTION.election_id}"
COUNTED = f"{E}/r/selection-1"
DRAFT_URL = f"{E}/r/{DRAFT}"
PAGES = [f"{E}/", f"{E}/ceremony.json", f"{COUNTED}/", f"{DRAFT_URL}/",
         f"{DRAFT_URL}/checkin", f"{DRAFT_URL}/checkin/state.json",
         f"{DRAFT_URL}/checkin/row/001", f"{COUNTED}/request.json",
         *[f"{COUNTED}/export/{kind}" for kind in KINDS]]
ACTIONS = ["/admin/elections", f"{E}/ceremony", f"{E}/import/deputies", f"{E}/import/projects",
           f"{E}/rounds", f"{DRAFT_URL}/open", f"{DRAFT_URL}/close", f"{COUNTED}/combine",
           f"{COUNTED}/publish", f"{COUNTED}/share", f"{COUNTED}/followup",
           f"{DRAFT_URL}/checkin", f"{DRAFT_URL}/keys", f"{DRAFT_URL}/void",
           f"{DRAFT_URL}/slips", f"{DRAFT_URL}/leave", f"{DRAFT_URL}/lockout", f"{E}/deputy"]
EVERY_ROLE = [f"{E}/"]
"""The session day's checklist: every staff role sees where the year stands."""
CLERK_REFUSED = ["/admin/elections", f"{E}/ceremony", f"{E}/import/deputies",
                 f"{E}/import/projects", f"{E}/rounds", f"{DRAFT_URL}/open",
                 f"{DRAFT_URL}/close", f"{COUNTED}/combine", f"{COUNTED}/publish",
                 f"{COUNTED}/share", f"{COUNTED}/followup", f"{E}/deputy"]


def _footprint(site: Site) -> tuple[Any, ...]:
    """Counts of what a session-day action would add or change."""
    with site.sessions.begin() as s:
        states = tuple(sorted(r.state.value + r.round_id for r in s.scalars(select(Round))))
        return (s.scalar(select(func.count()).select_from(Election)),
                s.scalar(select(func.count()).select_from(Round)),
                s.scalar(select(func.count()).select_from(Attendance)),
                s.scalar(select(func.count()).select_from(BoardEntry)),
                s.scalar(select(func.count()).select_from(TrusteeDecryption)),
                states)


def _post(client: FlaskClient, url: str, token: str) -> TestResponse:
    return client.post(url, data={"csrf_token": token, "seat": "001", "confirm": "yes",
                                  "election_id": "intruder-2026", "congress_name": "x",
                                  "level": "county", "year": "2026", "trustees": "a",
                                  "threshold": "1", "new_id": "further-9", "title": "x",
                                  "round_id": "intruder-1", "kind": "selection",
                                  "seats": "1", "key": "00" * 32, "count": "1",
                                  "file": (io.BytesIO(b"{}"), "x.json")})


def _methods(rule: Rule) -> set[str]:
    """The methods a route answers (every route of the app names them)."""
    assert rule.methods is not None, f"{rule.rule} names no methods"
    return rule.methods


def test_every_session_day_route_is_listed_here(site: Site) -> None:
    """PAGES and ACTIONS cover every staff route but the login, logout and dashboard.

    The review and adoption pages (选单/议单) are checked in tests/browser/test_proposals.py,
    the project pages (晒单/评单) in tests/test_tracking_web.py.
    """
    listed = set()
    adapter = site.app.url_map.bind("localhost")
    for url, method in [(u, "GET") for u in PAGES] + [(u, "POST") for u in ACTIONS]:
        endpoint, _ = adapter.match(url, method=method)
        listed.add((endpoint, method))
    routes = {(rule.endpoint, m) for rule in site.app.url_map.iter_rules()
              if rule.endpoint.startswith("admin.")
              and not rule.endpoint.startswith(("admin.proposal", "admin.adopt",
                                                "admin.tracked", "admin.rating",
                                                "admin.rectification", "admin.year_report"))
              for m in _methods(rule) - {"HEAD", "OPTIONS"}}
    assert routes - listed == {("admin.login", "GET"), ("admin.login", "POST"),
                               ("admin.logout", "POST"), ("admin.dashboard", "GET")}


def test_a_department_user_is_refused_every_session_day_page_and_action(site: Site) -> None:
    client, token = _client(site, "bumen")
    assert client.get("/admin/").status_code == 200  # the dashboard is for every role
    for url in EVERY_ROLE:
        assert client.get(url).status_code == 200, url
    before = _footprint(site)
    for url in (u for u in PAGES if u not in EVERY_ROLE):
        response = client.get(url)
        assert response.status_code == 403, url
        assert WRONG_ROLE in response.get_data(as_text=True)
    for url in ACTIONS:
        response = _post(client, url, token)
        assert response.status_code == 403, url
        assert WRONG_ROLE in response.get_data(as_text=True)
    assert _footprint(site) == before


def test_a_clerk_sees_round_and_check_in_but_cannot_control_the_round(site: Site) -> None:
    client, token = _client(site, "dengji")
    for url in (f"{COUNTED}/", f"{DRAFT_URL}/", f"{DRAFT_URL}/checkin", f"{E}/"):
        assert client.get(url).status_code == 200, url
    for url in (f"{E}/ceremony.json", f"{COUNTED}/request.json"):
        assert client.get(url).status_code == 403, url
    before = _footprint(site)
    for url in CLERK_REFUSED:
        response = _post(client, url, token)
        assert response.status_code == 403, url
        assert WRONG_ROLE in response.get_data(as_text=True)
    assert _footprint(site) == before
    with site.sessions.begin() as s:
        assert rounds.get_round(s, SELECTION.election_id, DRAFT).state == RoundState.draft
    # ...while check-in is theirs: the same client marks a deputy present.
    response = client.post(f"{DRAFT_URL}/checkin", data={"csrf_token": token, "seat": "001"})
    assert response.status_code == 302
    with site.sessions.begin() as s:
        round_ = rounds.get_round(s, SELECTION.election_id, DRAFT)
        assert rounds.present_count(s, round_) == 1
        rounds.undo_check_in(s, round_, roster.get_deputy(s, round_.election, "001"))


def test_anonymous_users_are_sent_to_the_login(site: Site) -> None:
    client, token = _client(site, None)
    before = _footprint(site)
    for url, response in [(u, client.get(u)) for u in PAGES] + \
            [(u, _post(client, u, token)) for u in ACTIONS]:
        assert response.status_code == 302, url
        target = urlsplit(response.headers["Location"])
        assert target.path == "/admin/login", url
        assert parse_qs(target.query)["next"] == [url]
    assert _footprint(site) == before


def test_presidium_reaches_every_page(site: Site, presidium: FlaskClient) -> None:
    for url in PAGES:
        response = presidium.get(url)
        assert response.status_code == 200, url


# -- forms with numbers a person can type ---------------------------------------------------

NUMBER_BUG = ("BUG: the election and round forms check numbers with str.isdigit(), which "
              "accepts digits int() rejects (superscripts such as '²'), and the rating "
              "threshold is not bounded before it reaches an INTEGER column: both end in a "
              "500 instead of an error flash")


@pytest.mark.parametrize(("path", "fields"), [
    pytest.param("/admin/elections", {"election_id": "typo-2026", "congress_name": "某某会议",
                                      "level": "county", "year": "2026", "trustees": "甲\n乙",
                                      "threshold": "²"},
                 id="election-threshold-superscript"),
    pytest.param(f"{E}/rounds", {"round_id": "typo-1", "kind": "selection", "title": "票决",
                                 "seats": "²", "project": "1"},
                 id="round-seats-superscript"),
    pytest.param(f"{E}/rounds", {"round_id": "typo-2", "kind": "rating", "title": "测评",
                                 "threshold": "4/5000000000000000000000", "project": "1"},
                 id="rating-threshold-too-large"),
])
def test_a_mistyped_number_is_refused_with_a_message(site: Site, path: str,
                                                     fields: dict[str, str]) -> None:
    client, token = _client(site, "zhuxituan")
    before = _footprint(site)
    response = client.post(path, data={"csrf_token": token, **fields})
    assert response.status_code == 302, response.status_code
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="error"' in page
    assert _footprint(site) == before


def test_a_deputy_on_leave_cannot_be_checked_in(site: Site) -> None:
    """请假: recorded by the clerk, it keeps the deputy off the present list until undone."""
    clerk, token = _client(site, "dengji")
    with site.sessions.begin() as s:
        election = elections.get_election(s, SELECTION.election_id)
        seat = next(d.seat for d in roster.list_deputies(s, election)
                    if d.id not in rounds.present_deputy_ids(
                        s, rounds.get_round(s, SELECTION.election_id, DRAFT)))
    page = clerk.post(f"{DRAFT_URL}/leave", data={"csrf_token": token, "seat": seat,
                                                  "on_leave": "1"}, follow_redirects=True)
    assert "请假" in page.get_data(as_text=True)
    refused = clerk.post(f"{DRAFT_URL}/checkin", data={"csrf_token": token, "seat": seat},
                         follow_redirects=True)
    assert "已登记请假" in refused.get_data(as_text=True)  # the refusal, in the page's language
    clerk.post(f"{DRAFT_URL}/leave", data={"csrf_token": token, "seat": seat, "on_leave": "0"})
    accepted = clerk.post(f"{DRAFT_URL}/checkin", data={"csrf_token": token, "seat": seat},
                          follow_redirects=True)
    assert "已签到" in accepted.get_data(as_text=True)


def test_a_checked_in_deputy_cannot_go_on_leave_by_any_path(site: Site) -> None:
    """The rule lives in roster.set_leave (issue 14, item 2): before, only the check-in
    page's view refused it, so any other caller of the service could put a present
    deputy on leave and leave the round's present count wrong."""
    clerk, token = _client(site, "dengji")
    with site.sessions.begin() as s:
        draft = rounds.get_round(s, SELECTION.election_id, DRAFT)
        deputy = next(d for d in roster.list_deputies(s, draft.election)
                      if d.id not in rounds.present_deputy_ids(s, draft))
        rounds.check_in(s, draft, deputy)
        seat = deputy.seat
    with site.sessions() as s:
        deputy = roster.get_deputy(s, elections.get_election(s, SELECTION.election_id), seat)
        with pytest.raises(Conflict, match="is checked in; undo the check-in first"):
            roster.set_leave(s, deputy, True)
    page = clerk.post(f"{DRAFT_URL}/leave", data={"csrf_token": token, "seat": seat,
                                                  "on_leave": "1"}, follow_redirects=True)
    assert "已签到，请先撤销签到" in page.get_data(as_text=True)
    with site.sessions.begin() as s:
        draft = rounds.get_round(s, SELECTION.election_id, DRAFT)
        deputy = roster.get_deputy(s, draft.election, seat)
        assert not deputy.on_leave
        rounds.undo_check_in(s, draft, deputy)
        assert roster.set_leave(s, deputy, True).on_leave
        roster.set_leave(s, deputy, False)


def test_a_keys_file_for_another_round_is_refused_the_same_way_everywhere(site: Site) -> None:
    """One reader of the credential keys file (issue 14, item 2): the web upload and the
    CLI both call credentials.keys_in_document, which names both rounds."""
    with site.sessions() as s:
        draft = rounds.get_round(s, SELECTION.election_id, DRAFT)
        other = credentials.keys_document(SELECTION.election_id, "another", ["00" * 32])
        with pytest.raises(InvalidInput, match=f"for {SELECTION.election_id}/another, "
                                               f"not {SELECTION.election_id}/{DRAFT}"):
            credentials.keys_in_document(other, draft)
        with pytest.raises(InvalidInput, match="not a credential keys file"):
            credentials.keys_in_document(["00" * 32], draft)
        with pytest.raises(InvalidInput, match="no list of public keys"):
            credentials.keys_in_document({**other, "round_id": DRAFT, "keys": "00"}, draft)
        mine = credentials.keys_document(SELECTION.election_id, DRAFT, ["ab" * 32])
        assert credentials.keys_in_document(mine, draft) == ["ab" * 32]


def test_presidium_corrects_a_deputys_name(site: Site) -> None:
    client, token = _client(site, "zhuxituan")
    with site.sessions.begin() as s:
        deputy = roster.list_deputies(s, elections.get_election(s, SELECTION.election_id))[0]
    page = client.post(f"{E}/deputy", data={"csrf_token": token, "seat": deputy.seat,
                                            "name": "王建国", "delegation": "第二代表团"},
                       follow_redirects=True)
    assert "已保存王建国的信息。" in page.get_data(as_text=True)
    refused = client.post(f"{E}/deputy", data={"csrf_token": token, "seat": deputy.seat,
                                               "name": " ", "delegation": ""},
                          follow_redirects=True)
    assert "请填写姓名" in refused.get_data(as_text=True)
    with site.sessions.begin() as s:
        changed = roster.get_deputy(s, elections.get_election(s, SELECTION.election_id),
                                    deputy.seat)
        assert (changed.name, changed.delegation) == ("王建国", "第二代表团")
