"""晒单/评单 pages through the Flask test client on a real SQLite site: who may do
what, the public's questions, files, rating rounds and the year report."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from admin.app import create_app
from admin.cli import main
from ballot.db import make_engine, make_sessionmaker
from ballot.models import (
    Milestone,
    ProgressUpdate,
    PublicQuestion,
    QuarterlyCheck,
    Rectification,
    Round,
    RoundKind,
    RoundState,
    TrackedProject,
)
from ballot.rehearsal import Rehearsal, RehearsalConfig
from ballot.schema import upgrade
from ballot.services import elections, rectification, roster, rounds, staff, tracking
from crypto.at_rest import AtRestKey
from tests.web_tools import csrf, new_client, text_of

CONFIG = RehearsalConfig(rows=3, seats=2, deputies=6, present=6, voters=6, spoil=0, voided=0,
                         trustees=2, threshold=2, scrypt_n=2**10, election_id="track-2026")
PASSWORD = "tracking web password"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
E = f"/admin/e/{CONFIG.election_id}"
SHOTS = Path(__file__).resolve().parent.parent / "out" / "screenshots"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, sessionmaker]]:
    """P01 (住建局) and P02 (商务局) elected and tracked; a presidium login, a login for
    each of the two departments."""
    tmp = tmp_path_factory.mktemp("tracking")
    url = f"sqlite:///{tmp / 'site.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    at_rest = AtRestKey("tracking web at-rest secret")
    sessions = make_sessionmaker(engine)
    run = Rehearsal(sessions, CONFIG, tmp, at_rest=at_rest)
    run.setup()
    run.ceremony()
    with sessions.begin() as s:
        election = elections.get_election(s, run.eid)
        rounds.create_round(s, election, round_id="selection-1", kind="selection",
                            title="2026年度民生实事项目票决", seats=2,
                            project_ids=[p.id for p in roster.list_projects(s, election)])
    run.hold("selection-1", [[[1, 0], [1, 0], [0, 1]]] * 6)
    with sessions.begin() as s:
        staff.create_staff(s, "zhuxituan", PASSWORD, ["presidium"], "主席团秘书")
        staff.create_staff(s, "zhujian", PASSWORD, ["department"], "住建局联络员",
                           department="住建局")
        staff.create_staff(s, "shangwu", PASSWORD, ["department"], "商务局联络员",
                           department="商务局")
    app = create_app({"DATABASE_URL": url, "PIAOJUE_AT_REST": at_rest,
                      "SECRET_KEY": "tracking web tests"})
    yield app, sessions
    app.extensions["piaojue_engine"].dispose()
    engine.dispose()


def login(app: Flask, username: str) -> tuple[FlaskClient, str]:
    """A staff client reading the English pages, so messages can be matched as written."""
    client = new_client(app, 40)
    client.set_cookie("lang", "en")
    token = csrf(client, "/admin/login")
    response = client.post("/admin/login", data={"username": username, "password": PASSWORD,
                                                  "csrf_token": token})
    assert response.status_code == 302
    return client, csrf(client, "/admin/")


def footprint(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    with sessions() as s:
        counts = tuple(s.scalar(select(func.count()).select_from(m)) for m in (
            ProgressUpdate, PublicQuestion, QuarterlyCheck, Milestone, Round))
        plans = tuple((t.department, t.percent, t.state.value, t.planned_end)
                      for t in s.scalars(select(TrackedProject).order_by(TrackedProject.id)))
        return counts, plans


def test_the_elected_projects_are_listed_with_their_progress(site: tuple) -> None:
    app, _ = site
    page = text_of(new_client(app, 41).get(f"/projects/{CONFIG.election_id}?lang=zh_CN"))
    assert "老旧小区改造提质" in page
    assert "农贸市场标准化改造" in page
    assert "城区停车泊位建设" not in page  # P03 failed
    assert page.count("<progress") == 2
    client, _ = login(app, "zhujian")
    assert client.get(f"{E}/projects").status_code == 200
    assert client.get(f"{E}/projects/P03").status_code == 404
    assert new_client(app, 41).get(f"/projects/{CONFIG.election_id}/P99").status_code == 404


def test_a_department_reports_on_its_own_project_with_a_photo(site: tuple) -> None:
    app, sessions = site
    client, token = login(app, "zhujian")
    response = client.post(f"{E}/projects/P01/update", data={
        "csrf_token": token, "percent": "35", "state": "in_progress", "text": "三个小区已开工",
        "files": [(io.BytesIO(PNG), "工地.png", "image/png")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert "error" not in text_of(client.get(response.headers["Location"]))
    public = new_client(app, 41)
    page = text_of(public.get(f"/projects/{CONFIG.election_id}/P01"))
    assert "35%" in page
    assert "三个小区已开工" in page
    with sessions() as s:
        t = tracking.get_tracked(s, elections.get_election(s, CONFIG.election_id), "P01")
        file_id = t.updates[-1].files[0].id
    photo = public.get(f"/projects/{CONFIG.election_id}/P01/files/{file_id}")
    assert (photo.status_code, photo.mimetype, photo.data) == (200, "image/png", PNG)
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert public.get(f"/projects/{CONFIG.election_id}/P02/files/{file_id}").status_code == 404


@pytest.mark.parametrize(("user", "code", "action", "data", "message"), [
    ("shangwu", "P01", "update", {"percent": "50", "state": "in_progress", "text": "x"},
     "not to your department"),
    ("zhujian", "P01", "plan", {"department": "商务局"}, "Only the presidium"),
    ("zhujian", "P01", "check", {"quarter": "2026Q2", "verdict": "on_track",
                                 "conclusion": "x"}, "Only the presidium"),
    ("zhujian", "P01", "update", {"percent": "120", "state": "in_progress", "text": "x"},
     "whole percentage"),
    ("zhujian", "P01", "update", {"percent": "40", "state": "delayed", "text": "x"},
     "reason for the delay"),
    ("zhujian", "P01", "nonsense", {}, "Unknown action"),
    ("zhuxituan", "P02", "plan", {"department": "商务局", "planned_start": "2026-09-01",
                                  "planned_end": "2026-01-01"}, "end comes before"),
    ("zhuxituan", "P02", "supervisors", {"deputy": "999999"}, "deputy of this congress"),
])
def test_a_refused_action_names_the_problem_and_changes_nothing(
        site: tuple, user: str, code: str, action: str, data: dict[str, str],
        message: str) -> None:
    app, sessions = site
    client, token = login(app, user)
    before = footprint(sessions)
    response = client.post(f"{E}/projects/{code}/{action}", data={"csrf_token": token, **data})
    assert response.status_code == 302
    assert message in text_of(client.get(response.headers["Location"]))
    assert footprint(sessions) == before


def test_a_form_without_its_token_is_refused(site: tuple) -> None:
    app, sessions = site
    client, _ = login(app, "zhuxituan")
    before = footprint(sessions)
    response = client.post(f"{E}/projects/P02/plan", data={"department": "x"})
    assert response.status_code == 400
    response = new_client(app, 42).post(f"/projects/{CONFIG.election_id}/P02",
                                        data={"name": "x", "question": "y"})
    assert response.status_code == 400
    assert footprint(sessions) == before


def test_a_question_is_public_only_once_answered_and_published(site: tuple) -> None:
    app, sessions = site
    public = new_client(app, 43)
    path = f"/projects/{CONFIG.election_id}/P02"
    response = public.post(path, data={"csrf_token": csrf(public, path), "name": "赵阿姨",
                                       "contact": "13900000000", "question": "菜场何时开业？"})
    assert response.status_code == 302
    assert "菜场何时开业" not in text_of(public.get(path))
    with sessions() as s:
        question_id = s.scalar(select(PublicQuestion.id).where(
            PublicQuestion.question == "菜场何时开业？"))
    dept, token = login(app, "shangwu")
    dept.post(f"{E}/projects/P02/answer", data={"csrf_token": token, "question": question_id,
                                               "answer": "预计十月开业"})
    assert "菜场何时开业" not in text_of(public.get(path))
    # A department cannot publish; the presidium reads and publishes.
    response = dept.post(f"{E}/projects/P02/publish_question",
                         data={"csrf_token": token, "question": question_id})
    assert "Only the presidium" in text_of(dept.get(response.headers["Location"]))
    presidium, token = login(app, "zhuxituan")
    presidium.post(f"{E}/projects/P02/publish_question",
                   data={"csrf_token": token, "question": question_id})
    page = text_of(public.get(path))
    assert "菜场何时开业" in page
    assert "预计十月开业" in page
    assert "13900000000" not in page  # the contact is for staff only


def test_a_bad_question_is_refused_with_its_reason(site: tuple) -> None:
    app, sessions = site
    public = new_client(app, 44)
    path = f"/projects/{CONFIG.election_id}/P01"
    before = footprint(sessions)
    response = public.post(path, data={"csrf_token": csrf(public, path), "name": "x",
                                       "question": "   "})
    assert response.status_code == 400
    assert "请填写问题" in text_of(response)
    assert footprint(sessions) == before


def test_questions_are_rate_limited_per_address(site: tuple) -> None:
    app, sessions = site
    public = new_client(app, 45)
    path = f"/projects/{CONFIG.election_id}/P01"
    token = csrf(public, path)
    for i in range(10):
        assert public.post(path, data={"csrf_token": token, "name": "x",
                                       "question": f"第{i}问"}).status_code == 302
    before = footprint(sessions)
    response = public.post(path, data={"csrf_token": token, "name": "x", "question": "再问"})
    assert response.status_code == 429
    assert footprint(sessions) == before
    other = new_client(app, 46)
    assert other.post(path, data={"csrf_token": csrf(other, path), "name": "y",
                                  "question": "另一个地址"}).status_code == 302


def test_the_presidium_opens_a_rating_round_over_the_tracked_projects(site: tuple) -> None:
    app, sessions = site
    client, token = login(app, "zhuxituan")
    before = footprint(sessions)
    bad = client.post(f"{E}/ratings", data={"csrf_token": token, "stage": "mid_year",
                                            "round_id": "mid-year", "threshold": "5/4"})
    assert "threshold" in text_of(client.get(bad.headers["Location"]))
    assert footprint(sessions) == before
    response = client.post(f"{E}/ratings", data={"csrf_token": token, "stage": "mid_year",
                                                 "round_id": "mid-year", "threshold": "3/4"})
    assert response.headers["Location"].endswith(f"{E}/r/mid-year/")
    with sessions() as s:
        round_ = rounds.get_round(s, CONFIG.election_id, "mid-year")
        assert (round_.kind, round_.title, round_.threshold_num, round_.threshold_den) == (
            RoundKind.rating, "2026年度民生实事项目年中票评", 3, 4)
        assert [r.project.code for r in round_.rows] == ["P01", "P02"]
    department, token = login(app, "zhujian")
    assert department.post(f"{E}/ratings", data={"csrf_token": token, "round_id": "x"}
                           ).status_code == 403


def test_the_year_report_is_a_readable_pdf_and_a_workbook(site: tuple, tmp_path: Path
                                                          ) -> None:
    app, _ = site
    client, _ = login(app, "zhuxituan")
    pdf = client.get(f"{E}/year-report.pdf")
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf")
    path = tmp_path / "year.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    for expected in ("2026年度民生实事项目工作报告", "一、选单", "晒单", "老旧小区改造提质",
                     "公告板哈希", "selection-1"):
        assert expected in text, expected
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path),
                    str(SHOTS / "year-report")], check=True)
    assert (SHOTS / "year-report-1.png").stat().st_size > 10_000
    book = load_workbook(io.BytesIO(client.get(f"{E}/year-report.xlsx").data))
    progress = list(book["晒单 progress"].iter_rows(values_only=True))
    assert [row[0] for row in progress[1:]] == ["P01", "P02"]


def test_the_cli_lists_projects_creates_rating_rounds_and_writes_the_report(
        site: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, sessions = site
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    runner = CliRunner()
    listed = runner.invoke(main, ["projects", "tracked", CONFIG.election_id])
    assert listed.exit_code == 0, listed.output
    assert [line.split()[0] for line in listed.output.splitlines()] == ["P01", "P02"]
    made = runner.invoke(main, ["rating", "create", CONFIG.election_id, "cli-mid",
                                "--stage", "mid_year", "--threshold", "2/3"])
    assert made.exit_code == 0, made.output
    with sessions() as s:
        round_ = rounds.get_round(s, CONFIG.election_id, "cli-mid")
        assert (round_.kind, round_.threshold_num, round_.threshold_den) == (
            RoundKind.rating, 2, 3)
    before = footprint(sessions)
    for args, message in [
        (["rating", "create", CONFIG.election_id, "cli-re", "--stage", "rerating"],
         "no rectification report awaits"),
        (["rating", "create", CONFIG.election_id, "cli-x", "--stage", "year_end",
          "--threshold", "four fifths"], "not a fraction"),
        (["rating", "rectify", CONFIG.election_id, "selection-1", "--due", "2027-01-01",
          "--instructions", "x"], "not a published rating round"),
        (["year-report", CONFIG.election_id, "--out", str(tmp_path / "r.doc")], ".pdf or .xlsx"),
    ]:
        result = runner.invoke(main, args)
        assert result.exit_code != 0
        assert message in result.output, result.output
    assert footprint(sessions) == before
    for suffix in ("pdf", "xlsx"):
        out = tmp_path / f"year.{suffix}"
        result = runner.invoke(main, ["year-report", CONFIG.election_id, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes()[:4] == (b"%PDF" if suffix == "pdf" else b"PK\x03\x04")


def test_an_overdue_rectification_is_marked(site: tuple) -> None:
    """A task past its due date without a report shows as overdue on the staff list."""
    app, sessions = site
    with sessions.begin() as s:
        election = elections.get_election(s, CONFIG.election_id)
        mid = rounds.create_round(s, election, round_id="late-check", kind="rating",
                                  title="逾期检查", project_ids=[
                                      tracking.get_tracked(s, election, "P01").project_id])
        mid.state, mid.result = RoundState.published, {"rows": [
            {"id": "P01", "satisfied": 0, "basically_satisfied": 0, "dissatisfied": 0,
             "marks": 0, "rate": [0, 0], "class": "dissatisfied", "flagged": True}]}
        s.flush()
        task = rectification.order_rectifications(s, mid, "主席团", due="2026-01-31",
                                                  instructions="整改",
                                                  today=dt.date(2026, 1, 1))[0]
        task_id = task.id
    client, _ = login(app, "zhuxituan")
    listing = text_of(client.get(f"{E}/projects"))
    assert "overdue" in listing
    with sessions.begin() as s:
        s.delete(s.get(Rectification, task_id))
        s.delete(rounds.get_round(s, CONFIG.election_id, "late-check"))


def test_a_department_login_reads_no_other_departments_askers(site: tuple) -> None:
    """Issue 13, item 9: a department login read every project's askers' contacts."""
    app, _ = site
    public = new_client(app, 43)
    token = csrf(public, f"/projects/{CONFIG.election_id}/P02")
    public.post(f"/projects/{CONFIG.election_id}/P02", data={
        "csrf_token": token, "name": "李四", "contact": "13700000001",
        "question": "停车场何时完工？"})
    other, _ = login(app, "zhujian")  # 住建局; P02 belongs to 商务局
    refused = other.get(f"{E}/projects/P02")
    assert refused.status_code == 403
    assert "13700000001" not in text_of(refused)
    listing = text_of(other.get(f"{E}/projects"))
    assert "13700000001" not in listing
    assert f"{E}/projects/P02" not in listing  # only its own projects' staff pages are linked
    own, _ = login(app, "shangwu")
    assert "13700000001" in text_of(own.get(f"{E}/projects/P02"))
    presidium, _ = login(app, "zhuxituan")
    assert "13700000001" in text_of(presidium.get(f"{E}/projects/P02"))
