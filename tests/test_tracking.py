"""晒单 and 评单 services on SQLite and PostgreSQL: tracked projects, progress, checks,
questions, rating rounds, rectification and re-rating, and the year report."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ballot.db import make_engine, make_sessionmaker
from ballot.errors import Conflict, InvalidInput, NotFound
from ballot.models import (
    ProgressUpdate,
    Proposal,
    QuestionState,
    RectificationState,
    RoundState,
    TrackedProject,
    TrackedState,
    UpdateFile,
)
from ballot.rehearsal import Rehearsal, RehearsalConfig
from ballot.schema import upgrade
from ballot.services import elections, export, proposals, rectification, roster, rounds, tracking
from ballot.services.attachments import Attachment
from ballot.services.year_report import year_report, year_report_xlsx
from ballot.verifier import verify_record_files

CONFIG = RehearsalConfig(rows=5, seats=4, deputies=8, present=8, voters=8, spoil=0, voided=0,
                         trustees=2, threshold=2, scrypt_n=2**10)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
FOR, AGAINST, NONE = [1, 0], [0, 1], [0, 0]
S, B, D, X = [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]
TODAY = dt.date(2026, 7, 1)


def elect(sessions: sessionmaker[Session], tmp_path: Path) -> Rehearsal:
    """A congress whose selection round elected P01-P04 (P05 failed), published."""
    run = Rehearsal(sessions, CONFIG, tmp_path)
    run.setup()
    run.ceremony()
    with sessions.begin() as s:
        election = elections.get_election(s, run.eid)
        rounds.create_round(s, election, round_id="selection-1", kind="selection",
                            title="2026年度民生实事项目票决",
                            project_ids=[p.id for p in roster.list_projects(s, election)],
                            seats=4)
    run.hold("selection-1", [[FOR, FOR, FOR, FOR, AGAINST]] * 8)
    return run


@pytest.fixture
def year(sessions: sessionmaker[Session], tmp_path: Path) -> Rehearsal:
    return elect(sessions, tmp_path)


def _tracked(s: Session, run: Rehearsal, code: str) -> TrackedProject:
    return tracking.get_tracked(s, elections.get_election(s, run.eid), code)


def _count(s: Session, model: type) -> int:
    return s.scalar(select(func.count()).select_from(model)) or 0


def test_publication_tracks_exactly_the_elected_projects(year: Rehearsal,
                                                         sessions: sessionmaker[Session]
                                                         ) -> None:
    with sessions.begin() as s:
        election = elections.get_election(s, year.eid)
        tracked = tracking.tracked_projects(s, election)
        assert [t.project.code for t in tracked] == ["P01", "P02", "P03", "P04"]
        first = tracked[0]
        assert (first.state, first.percent) == (TrackedState.planned, 0)
        assert first.department == first.project.department != ""
        assert first.budget_wan == first.project.cost_wan
        selection = rounds.get_round(s, year.eid, "selection-1")
        assert tracking.start_tracking(s, selection) == []  # already tracked: nothing new
        with pytest.raises(NotFound, match="P05"):
            tracking.get_tracked(s, election, "P05")


def test_an_unpublished_round_tracks_nothing(year: Rehearsal,
                                            sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        election = elections.get_election(s, year.eid)
        draft = rectification.create_rating_round(s, election, round_id="rating-1",
                                                  title="年中票评")
        with pytest.raises(Conflict, match="published selection round"):
            tracking.start_tracking(s, draft)


def test_plan_milestones_and_supervisors(year: Rehearsal, sessions: sessionmaker[Session]
                                         ) -> None:
    with sessions.begin() as s:
        t = _tracked(s, year, "P01")
        tracking.set_plan(s, t, {"department": "区住建局", "budget": "120.5",
                                 "planned_start": "2026-03-01", "planned_end": "2026-11-30"})
        assert (t.department, str(t.budget_wan), t.planned_end) == (
            "区住建局", "120.50", dt.date(2026, 11, 30))
        for values, message in [
            ({"department": "x", "planned_start": "2026-05-01", "planned_end": "2026-04-01"},
             "end comes before"),
            ({"department": "x", "planned_start": "2026-13-01"}, "not a date"),
            ({"department": "x", "budget": "lots"}, "budget"),
            ({"department": ""}, "department is required"),
        ]:
            with pytest.raises(InvalidInput, match=message):
                tracking.set_plan(s, t, values)
        assert t.department == "区住建局"
        m = tracking.add_milestone(s, t, "完成招标", "2026-04-15")
        tracking.complete_milestone(s, t, m.id, "2026-04-10")
        assert m.done_on == dt.date(2026, 4, 10)
        with pytest.raises(Conflict, match="was reached"):
            tracking.complete_milestone(s, t, m.id, "2026-04-11")
        with pytest.raises(NotFound):
            tracking.complete_milestone(s, t, m.id + 99, "2026-04-11")
        with pytest.raises(InvalidInput, match="milestone due date"):
            tracking.add_milestone(s, t, "开工", "")
        deputies = roster.list_deputies(s, elections.get_election(s, year.eid))
        chosen = tracking.set_supervisors(s, t, [deputies[0].id, deputies[2].id])
        assert [d.id for d in chosen] == [deputies[0].id, deputies[2].id]
        with pytest.raises(InvalidInput, match="named once"):
            tracking.set_supervisors(s, t, [deputies[0].id, deputies[0].id])
        with pytest.raises(InvalidInput, match="deputy of this congress"):
            tracking.set_supervisors(s, t, [10**6])


def test_progress_moves_forward_through_the_states(year: Rehearsal,
                                                   sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        t = _tracked(s, year, "P02")
        update = tracking.post_update(s, t, "住建局", percent=30, state="in_progress",
                                      text_="完成招标，开工建设", files=[
                                          Attachment("现场.png", "image/png", PNG)])
        assert (t.state, t.percent, [f.name for f in update.files]) == (
            TrackedState.in_progress, 30, ["现场.png"])
        assert tracking.update_file(s, t, update.files[0].id).data == PNG
        tracking.post_update(s, t, "住建局", percent=40, state="delayed", text_="雨季",
                             delay_reason="连续降雨停工两周")
        assert (t.state, t.delay_reason) == (TrackedState.delayed, "连续降雨停工两周")
        tracking.post_update(s, t, "住建局", percent=80, state="in_progress", text_="复工")
        assert t.delay_reason == ""
        tracking.post_update(s, t, "住建局", percent=100, state="completed", text_="竣工验收")
        assert [u.percent for u in t.updates] == [30, 40, 80, 100]
        with pytest.raises(Conflict, match="completed: it takes no more updates"):
            tracking.post_update(s, t, "住建局", percent=100, state="completed", text_="again")


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"percent": None}, InvalidInput, "whole percentage"),
    ({"percent": 101}, InvalidInput, "whole percentage"),
    ({"state": "finished"}, InvalidInput, "the state is"),
    ({"state": "completed", "percent": 100}, Conflict, "not started cannot become completed"),
    ({"state": "planned", "percent": 5}, InvalidInput, "not started is at 0%"),
    ({"state": "delayed", "percent": 0}, InvalidInput, "reason for the delay is required"),
    ({"text_": "  "}, InvalidInput, "text is required"),
    ({"files": [Attachment("a.png", "image/png", b"GIF89a")]}, InvalidInput, "not the file"),
    ({"files": [Attachment("a.exe", "application/x-msdownload", b"MZ")]}, InvalidInput,
     "PDF, JPEG or PNG"),
    ({"files": [Attachment("a.png", "image/png", PNG)] * 6}, InvalidInput, "at most 5 files"),
])
def test_a_wrong_update_is_refused_and_writes_nothing(
        year: Rehearsal, sessions: sessionmaker[Session], kwargs: dict,
        error: type[Exception], message: str) -> None:
    with sessions.begin() as s:
        t = _tracked(s, year, "P03")
        args = {"percent": 10, "state": "in_progress", "text_": "进展"} | kwargs
        with pytest.raises(error, match=message):
            tracking.post_update(s, t, "staff", **args)
        assert (_count(s, ProgressUpdate), _count(s, UpdateFile)) == (0, 0)
        assert (t.state, t.percent) == (TrackedState.planned, 0)


def test_progress_cannot_go_back(year: Rehearsal, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        t = _tracked(s, year, "P03")
        tracking.post_update(s, t, "staff", percent=50, state="in_progress", text_="半程")
        with pytest.raises(InvalidInput, match="from 50% to 20%"):
            tracking.post_update(s, t, "staff", percent=20, state="in_progress", text_="x")


def test_department_staff_report_on_their_own_projects(year: Rehearsal,
                                                      sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        t = _tracked(s, year, "P01")
        tracking.check_department(t, t.department)
        for wrong in ("", "区教育局"):
            with pytest.raises(Conflict, match="not to your department"):
                tracking.check_department(t, wrong)


def test_quarterly_checks(year: Rehearsal, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        t = _tracked(s, year, "P01")
        check = tracking.record_check(s, t, "主席团", quarter="2026Q2", verdict="behind",
                                      conclusion="进度滞后，督促加快")
        assert [c.quarter for c in t.checks] == ["2026Q2"]
        assert [i.kind for i in tracking.timeline(t)] == ["check"]
        assert tracking.timeline(t)[0].item is check
        for kwargs, message in [
            ({"quarter": "2026Q2", "verdict": "on_track"}, "checked already"),
            ({"quarter": "2026-2", "verdict": "on_track"}, "like 2026Q2"),
            ({"quarter": "2026Q5", "verdict": "on_track"}, "like 2026Q2"),
            ({"quarter": "2031Q1", "verdict": "on_track"}, "fall in 2026 or 2027"),
            ({"quarter": "2026Q3", "verdict": "fine"}, "verdict is"),
        ]:
            with pytest.raises((InvalidInput, Conflict), match=message):
                tracking.record_check(s, t, "主席团", conclusion="x", **kwargs)


def test_questions_are_public_only_once_answered_and_moderated(
        year: Rehearsal, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        t = _tracked(s, year, "P01")
        q = tracking.ask(s, t, {"name": "王女士", "contact": "138", "question": "何时完工？"})
        assert tracking.published_questions(t) == []
        assert tracking.pending_questions(t) == [q]
        with pytest.raises(Conflict, match="only an answered question"):
            tracking.publish_question(s, q, "主席团")
        tracking.answer(s, q, "住建局", "预计十月完工")
        tracking.answer(s, q, "住建局", "预计十月底完工")  # reworded before publication
        assert tracking.published_questions(t) == []
        tracking.publish_question(s, q, "主席团")
        assert tracking.published_questions(t) == [q]
        assert (q.answer, q.state) == ("预计十月底完工", QuestionState.published)
        with pytest.raises(Conflict, match="its answer is final"):
            tracking.answer(s, q, "住建局", "改口")
        spam = tracking.ask(s, t, {"name": "x", "question": "广告"})
        tracking.withhold_question(s, spam, "主席团", "与项目无关")
        assert tracking.pending_questions(t) == []
        assert tracking.published_questions(t) == [q]
        with pytest.raises(Conflict, match="withheld already"):
            tracking.withhold_question(s, spam, "主席团", "again")
        for values, message in [({"name": "x", "question": ""}, "question is required"),
                                ({"name": "", "question": "?"}, "your name is required"),
                                ({"name": "x", "question": "q" * 2001}, "at most 2000")]:
            with pytest.raises(InvalidInput, match=message):
                tracking.ask(s, t, values)
        with pytest.raises(NotFound):
            tracking.get_question(s, _tracked(s, year, "P02"), q.id)


def test_ratings_rectification_and_rerating(year: Rehearsal, sessions: sessionmaker[Session]
                                            ) -> None:
    """P01 all satisfied; P02 exactly at the 4/5 threshold; P03 under it; P04 no marks."""
    with sessions.begin() as s:
        election = elections.get_election(s, year.eid)
        rectification.create_rating_round(s, election, round_id="mid-year", title="年中票评")
    plan = ([[S, S, S, X]] * 2 + [[S, B, D, X]] * 2 + [[S, D, D, X]]
            + [[S, X, X, X]] * 3)
    result = year.hold("mid-year", plan)
    rows = {r["id"]: r for r in result["rows"]}
    assert (rows["P01"]["class"], rows["P01"]["flagged"]) == ("satisfied", False)
    assert (rows["P02"]["rate"], rows["P02"]["flagged"]) == ([4, 5], False)
    assert (rows["P03"]["rate"], rows["P03"]["flagged"]) == ([2, 5], True)
    assert (rows["P04"]["marks"], rows["P04"]["flagged"]) == (0, True)

    with sessions.begin() as s:
        election = elections.get_election(s, year.eid)
        mid = rounds.get_round(s, year.eid, "mid-year")
        assert rectification.flagged_codes(mid) == ["P03", "P04"]
        assert [(r.round_id, codes) for r, codes in rectification.unordered_flags(s, election)
                ] == [("mid-year", ["P03", "P04"])]
        with pytest.raises(InvalidInput, match="due date has passed"):
            rectification.order_rectifications(s, mid, "主席团", due="2026-06-30",
                                               instructions="整改", today=TODAY)
        with pytest.raises(Conflict, match="not a published rating round"):
            rectification.order_rectifications(
                s, rounds.get_round(s, year.eid, "selection-1"), "主席团", due="2026-09-30",
                instructions="整改", today=TODAY)
        tasks = rectification.order_rectifications(s, mid, "主席团", due="2026-09-30",
                                                   instructions="加快进度，回应群众意见",
                                                   today=TODAY)
        assert [t.due for t in tasks] == [dt.date(2026, 9, 30)] * 2
        with pytest.raises(Conflict, match="has its task already"):
            rectification.order_rectifications(s, mid, "主席团", due="2026-09-30",
                                               instructions="again", today=TODAY)
        assert rectification.unordered_flags(s, election) == []
        with pytest.raises(Conflict, match="no rectification report"):
            rectification.create_rerating_round(s, election, round_id="rerating-1",
                                                title="整改再评")
        p03 = _tracked(s, year, "P03")
        with pytest.raises(InvalidInput, match="report is required"):
            rectification.file_report(s, p03.rectifications[0], "住建局", "")
        rectification.file_report(s, p03.rectifications[0], "住建局", "已增派施工队")
        rerating = rectification.create_rerating_round(s, election, round_id="rerating-1",
                                                       title="整改项目再评")
        assert [r.project.code for r in rerating.rows] == ["P03"]
        assert rerating.parent_id == mid.id
        with pytest.raises(Conflict, match="can no longer change"):
            rectification.file_report(s, p03.rectifications[0], "住建局", "改")

    year.hold("rerating-1", [[S]] * 5 + [[B]] * 3)
    with sessions.begin() as s:
        election = elections.get_election(s, year.eid)
        p03, p04 = _tracked(s, year, "P03"), _tracked(s, year, "P04")
        assert p03.rectifications[0].state == RectificationState.passed
        assert p04.rectifications[0].state == RectificationState.ordered
        assert [(r.round.round_id, r.row["class"]) for r in tracking.ratings_of(s, p03)] == [
            ("mid-year", "dissatisfied"), ("rerating-1", "satisfied")]
        assert [r.rate for r in tracking.ratings_of(s, p03)] == [0.4, 1.0]
        rectification.file_report(s, p04.rectifications[0], "教育局", "已整改")
        rectification.create_rerating_round(s, election, round_id="rerating-2",
                                            title="整改项目再评（二）")
    year.hold("rerating-2", [[D]] * 8)
    with sessions.begin() as s:
        election = elections.get_election(s, year.eid)
        assert _tracked(s, year, "P04").rectifications[0].state == RectificationState.failed
        assert [(r.round_id, c) for r, c in rectification.unordered_flags(s, election)] == [
            ("rerating-2", ["P04"])]
        assert [t.tracked_id for t in rectification.open_tasks(s, election)] == []
        for round_id in ("mid-year", "rerating-1", "rerating-2"):
            round_ = rounds.get_round(s, year.eid, round_id)
            assert round_.state == RoundState.published
            verify_record_files(export.record_files_for(s, round_))


def test_a_rating_round_needs_tracked_projects(sessions: sessionmaker[Session],
                                               tmp_path: Path) -> None:
    run = Rehearsal(sessions, CONFIG, tmp_path)
    run.setup()
    with sessions.begin() as s, pytest.raises(Conflict, match="no project is tracked"):
        rectification.create_rating_round(s, elections.get_election(s, run.eid),
                                          round_id="r", title="年中票评")


def test_year_report_counts_the_whole_year(year: Rehearsal, sessions: sessionmaker[Session]
                                           ) -> None:
    with sessions.begin() as s:
        election = elections.get_election(s, year.eid)
        for i, category in enumerate(["教育", "教育", "养老"]):
            p = proposals.submit(s, election, {"title": f"提议{i}", "category": category,
                                               "description": "内容", "proposer_name": "某"})
            if i == 0:
                proposals.start_review(s, p, "审查")
                proposals.reject(s, p, "审查", "不属于本级事权")
        t = _tracked(s, year, "P01")
        tracking.post_update(s, t, "住建局", percent=60, state="in_progress", text_="过半")
        report = year_report(s, election)
        assert [(c.category, c.received, c.answered) for c in report.categories] == [
            ("教育", 2, 1), ("养老", 1, 0)]
        assert (report.proposals_received, report.proposals_answered) == (3, 1)
        assert [line.round.round_id for line in report.rounds] == ["selection-1"]
        assert len(report.rounds[0].board_hash) == 64
        assert [p.tracked.project.code for p in report.projects] == ["P01", "P02", "P03", "P04"]
        book = load_workbook(io.BytesIO(year_report_xlsx(report)))
        assert book.sheetnames == ["选单 proposals", "定单 rounds", "晒单 progress",
                                   "评单 ratings", "整改 rectification"]
        progress = list(book["晒单 progress"].iter_rows(values_only=True))
        assert progress[1][0] == "P01"
        assert progress[1][6:8] == ("实施中", 60)
        assert _count(s, Proposal) == 3
        rounds_sheet = list(book["定单 rounds"].iter_rows(values_only=True))
        assert [r[3] for r in rounds_sheet[1:]] == ["P01", "P02", "P03", "P04", "P05"]
        assert rounds_sheet[-1][7] == "未过半数"


STEPS = st.lists(st.tuples(st.integers(-5, 105), st.sampled_from(list(TrackedState)),
                           st.sampled_from(["", "连续降雨"])), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(steps=STEPS)
def test_progress_follows_its_rules_whatever_is_reported(
        year_sqlite: tuple[Rehearsal, sessionmaker[Session]],
        steps: list[tuple[int, TrackedState, str]]) -> None:
    """Against a reference model: an update is taken exactly when the rules allow it;
    a refused one changes nothing; progress never goes back; completed is final."""
    run, sessions = year_sqlite
    with sessions() as s:
        t = _tracked(s, run, "P04")
        outer = s.begin_nested()
        state, percent, taken = t.state, t.percent, len(t.updates)
        for new_percent, new_state, reason in steps:
            allowed = (new_state in tracking.NEXT_STATES[state] and 0 <= new_percent <= 100
                       and new_percent >= percent
                       and not (new_state == TrackedState.planned and new_percent)
                       and not (new_state == TrackedState.completed and new_percent != 100)
                       and not (new_state == TrackedState.delayed and not reason))
            step = s.begin_nested()
            try:
                tracking.post_update(s, t, "staff", percent=new_percent,
                                     state=new_state.value, text_="进展",
                                     delay_reason=reason)
            except (InvalidInput, Conflict):
                step.rollback()
                s.refresh(t)
                assert not allowed, (state, percent, new_percent, new_state, reason)
            else:
                step.commit()
                assert allowed, (state, percent, new_percent, new_state, reason)
                state, percent, taken = new_state, new_percent, taken + 1
            assert (t.state, t.percent, len(t.updates)) == (state, percent, taken)
        outer.rollback()


@pytest.fixture(scope="module")
def year_sqlite(tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[Rehearsal, sessionmaker[Session]]]:
    """The ``year`` congress once for the module, on SQLite, for property tests."""
    tmp = tmp_path_factory.mktemp("year-sqlite")
    engine = make_engine(f"sqlite:///{tmp / 'year.sqlite'}")
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    yield elect(sessions, tmp), sessions
    engine.dispose()
