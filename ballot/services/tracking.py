"""晒单: the elected projects followed through their year.

A published selection round turns each elected row into a tracked project.
Its department reports progress (appended, never edited, public at once), the
presidium records quarterly checks and names a supervision group of deputies,
and the public asks questions that are published only with the department's
answer, once staff have read both (群众提、群众议、群众督).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from ballot.labels import label
from ballot.models import (
    Deputy,
    Election,
    Milestone,
    ProgressUpdate,
    Project,
    PublicQuestion,
    QuarterlyCheck,
    QuestionState,
    Round,
    RoundKind,
    RoundState,
    TrackedProject,
    TrackedState,
    UpdateFile,
)
from ballot.services import fields
from ballot.services.attachments import Attachment, check_attachment
from ballot.services.fields import date as parse_date
from ballot.services.fields import text

T = TrackedState
NEXT_STATES: dict[TrackedState, tuple[TrackedState, ...]] = {
    T.planned: (T.planned, T.in_progress, T.delayed),
    T.in_progress: (T.in_progress, T.delayed, T.completed),
    T.delayed: (T.delayed, T.in_progress, T.completed),
    T.completed: (),
}
"""What a progress update may move a project to. A completed project is done."""
VERDICTS = ("on_track", "behind", "at_risk")
MAX_FILES_PER_UPDATE = 5
_QUARTER = re.compile(r"(\d{4})Q([1-4])\Z")


def _budget(value: Any) -> Decimal | None:
    raw = str(value or "").strip()
    if not raw:
        return None
    try:
        return fields.cost(raw)
    except InvalidInput as exc:
        raise InvalidInput("budget: %(exc)s", exc=exc) from None


def start_tracking(session: Session, round_: Round) -> list[TrackedProject]:
    """Every elected row of a published selection round becomes a tracked project."""
    if round_.kind != RoundKind.selection or round_.state != RoundState.published:
        raise Conflict("only a published selection round's elected projects are tracked")
    by_code = {row.project.code: row.project for row in round_.rows}
    made = []
    for code in (round_.result or {}).get("elected", []):
        project = by_code[code]
        if session.scalar(select(TrackedProject).where(
                TrackedProject.project_id == project.id)) is not None:
            continue
        tracked = TrackedProject(election_id=round_.election_id, project_id=project.id,
                                 elected_in_pk=round_.id, department=project.department,
                                 budget_wan=project.cost_wan, state=TrackedState.planned,
                                 percent=0)
        session.add(tracked)
        made.append(tracked)
    session.flush()
    return made


def tracked_projects(session: Session, election: Election) -> list[TrackedProject]:
    return list(session.scalars(
        select(TrackedProject).join(Project, TrackedProject.project_id == Project.id)
        .where(TrackedProject.election_id == election.id).order_by(Project.code)))


def get_tracked(session: Session, election: Election, code: str) -> TrackedProject:
    tracked = session.scalar(
        select(TrackedProject).join(Project, TrackedProject.project_id == Project.id)
        .where(TrackedProject.election_id == election.id, Project.code == code))
    if tracked is None:
        raise NotFound("%(election)s tracks no project %(code)r", election=election.id,
                       code=code[:40])
    return tracked


def may_see_private(tracked: TrackedProject, roles: set[str], department: str) -> bool:
    """Who sees a project's private side (askers' contacts, unpublished questions and
    answers, reports before publication): the presidium, and the project's own
    department; other departments see what the public sees."""
    return "presidium" in roles or (bool(department) and department == tracked.department)


def check_may_see_private(tracked: TrackedProject, roles: set[str], department: str) -> None:
    if not may_see_private(tracked, roles, department):
        raise Forbidden("project %(code)s belongs to %(department)s; you see only your own "
                        "department's projects here (and every project on its public page)",
                        code=tracked.project.code,
                        department=tracked.department or N_("no department yet"))


def check_department(tracked: TrackedProject, department: str) -> None:
    """Department staff report on their own department's projects only."""
    if not department or department != tracked.department:
        raise Conflict("project %(code)s belongs to %(department)s, not to your department",
                       code=tracked.project.code,
                       department=tracked.department or N_("no department yet"))


def set_plan(session: Session, tracked: TrackedProject, values: dict[str, Any]
             ) -> TrackedProject:
    """Implementing department, budget and planned dates, set by the presidium."""
    department = text(values.get("department"), N_("department"), 200)
    budget = _budget(values.get("budget"))
    start = parse_date(values.get("planned_start"), N_("planned start"), required=False)
    end = parse_date(values.get("planned_end"), N_("planned end"), required=False)
    if start and end and end < start:
        raise InvalidInput("the planned end comes before the planned start")
    tracked.department, tracked.budget_wan = department, budget
    tracked.planned_start, tracked.planned_end = start, end
    session.flush()
    return tracked


def add_milestone(session: Session, tracked: TrackedProject, title: str, due: Any
                  ) -> Milestone:
    milestone = Milestone(tracked_id=tracked.id, title=text(title, N_("milestone"), 200),
                          due=parse_date(due, N_("milestone due date")))
    session.add(milestone)
    session.flush()
    session.refresh(tracked, ["milestones"])
    return milestone


def complete_milestone(session: Session, tracked: TrackedProject, milestone_id: int | None,
                       done_on: Any) -> Milestone:
    milestone = next((m for m in tracked.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise NotFound("this project has no such milestone")
    if milestone.done_on is not None:
        raise Conflict("milestone %(milestone_title)r was reached on %(done_on)s",
                       milestone_title=milestone.title, done_on=milestone.done_on)
    milestone.done_on = parse_date(done_on, N_("date reached"))
    session.flush()
    return milestone


def set_supervisors(session: Session, tracked: TrackedProject, deputy_ids: list[int]
                    ) -> list[Deputy]:
    """The supervision group (代表监督小组): deputies of this election's roster."""
    if len(set(deputy_ids)) != len(deputy_ids):
        raise InvalidInput("each deputy is named once in a supervision group")
    deputies = [session.get(Deputy, i) for i in deputy_ids]
    if any(d is None or d.election_id != tracked.election_id for d in deputies):
        raise InvalidInput("every supervisor must be a deputy of this congress")
    tracked.supervisors = [d for d in deputies if d is not None]
    session.flush()
    return tracked.supervisors


def post_update(session: Session, tracked: TrackedProject, actor: str, *, percent: int | None,
                state: str, text_: str, files: list[Attachment] | None = None,
                delay_reason: str = "") -> ProgressUpdate:
    """A department's progress report: percent, state, words and photos or documents."""
    if tracked.state == TrackedState.completed:
        raise Conflict("project %(code)s is completed: it takes no more updates",
                       code=tracked.project.code)
    if percent is None or not 0 <= percent <= 100:
        raise InvalidInput("progress is a whole percentage from 0 to 100")
    if state not in TrackedState.__members__:
        raise InvalidInput("the state is planned, in_progress, delayed or completed")
    new_state = TrackedState(state)
    if new_state not in NEXT_STATES[tracked.state]:
        raise Conflict("a project that is %(state)s cannot become %(new_state)s",
                       state=label(tracked.state), new_state=label(new_state))
    if percent < tracked.percent:
        raise InvalidInput("progress cannot go back from %(percent)s%% to %(percent2)s%%",
                           percent=tracked.percent, percent2=percent)
    if new_state == TrackedState.planned and percent:
        raise InvalidInput("a project that has not started is at 0%")
    if new_state == TrackedState.completed and percent != 100:
        raise InvalidInput("a completed project is at 100%")
    reason = text(delay_reason, N_("reason for the delay"), 2000,
                  required=new_state == TrackedState.delayed)
    body = text(text_, N_("the update's text"), 5000)
    files = files or []
    if len(files) > MAX_FILES_PER_UPDATE:
        raise InvalidInput("an update carries at most %(max_files_per_update)s files",
                           max_files_per_update=MAX_FILES_PER_UPDATE)
    for attachment in files:
        check_attachment(attachment)
    update = ProgressUpdate(tracked_id=tracked.id, actor=actor, percent=percent,
                            state=new_state, text=body)
    update.files = [UpdateFile(name=f.name.strip(), content_type=f.content_type, data=f.data)
                    for f in files]
    session.add(update)
    tracked.percent, tracked.state = percent, new_state
    tracked.delay_reason = reason if new_state == TrackedState.delayed else ""
    session.flush()
    session.refresh(tracked, ["updates"])
    return update


def update_file(session: Session, tracked: TrackedProject, file_id: int) -> UpdateFile:
    found = session.scalar(select(UpdateFile).join(ProgressUpdate).where(
        UpdateFile.id == file_id, ProgressUpdate.tracked_id == tracked.id))
    if found is None:
        raise NotFound("this project has no such file")
    return found


def record_check(session: Session, tracked: TrackedProject, actor: str, *, quarter: str,
                 verdict: str, conclusion: str) -> QuarterlyCheck:
    """The presidium's quarterly check: one conclusion per project and quarter."""
    match = _QUARTER.match(quarter.strip())
    if match is None:
        raise InvalidInput("the quarter is written like 2026Q2")
    year = session.get(Election, tracked.election_id).year  # type: ignore[union-attr]
    if int(match.group(1)) not in (year, year + 1):
        raise InvalidInput("the quarter must fall in %(year)s or %(year2)s", year=year,
                           year2=year + 1)
    if verdict not in VERDICTS:
        raise InvalidInput("the verdict is on_track, behind or at_risk")
    if session.scalar(select(QuarterlyCheck).where(QuarterlyCheck.tracked_id == tracked.id,
                                                   QuarterlyCheck.quarter == quarter.strip())):
        raise Conflict("%(strip)s has been checked already for this project", strip=quarter.strip())
    check = QuarterlyCheck(tracked_id=tracked.id, quarter=quarter.strip(), verdict=verdict,
                           conclusion=text(conclusion, N_("conclusion"), 5000), actor=actor)
    session.add(check)
    session.flush()
    session.refresh(tracked, ["checks"])
    return check


def ask(session: Session, tracked: TrackedProject, values: dict[str, Any]) -> PublicQuestion:
    """A question from anyone; it stays unpublished until answered and moderated."""
    question = PublicQuestion(
        tracked_id=tracked.id, asker_name=text(values.get("name"), N_("your name"), 100),
        asker_contact=text(values.get("contact"), N_("contact"), 200, required=False),
        question=text(values.get("question"), N_("the question"), 2000),
        state=QuestionState.asked)
    session.add(question)
    session.flush()
    return question


def get_question(session: Session, tracked: TrackedProject, question_id: int | None
                 ) -> PublicQuestion:
    question = session.get(PublicQuestion, question_id) if question_id else None
    if question is None or question.tracked_id != tracked.id:
        raise NotFound("this project has no such question")
    return question


def answer(session: Session, question: PublicQuestion, actor: str, reply: str
           ) -> PublicQuestion:
    """The department's answer; it may be reworded until staff publish it."""
    if question.state not in (QuestionState.asked, QuestionState.answered):
        raise Conflict("this question is %(state)s: its answer is final",
                       state=label(question.state))
    question.answer = text(reply, N_("the answer"), 5000)
    question.answered_by = actor
    question.state = QuestionState.answered
    session.flush()
    return question


def publish_question(session: Session, question: PublicQuestion, actor: str
                     ) -> PublicQuestion:
    if question.state != QuestionState.answered:
        raise Conflict("only an answered question can be published")
    question.state, question.moderated_by = QuestionState.published, actor
    session.flush()
    return question


def withhold_question(session: Session, question: PublicQuestion, actor: str, reason: str
                      ) -> PublicQuestion:
    """Keep a question off the public page (abuse, private data), with a reason kept."""
    if question.state == QuestionState.withheld:
        raise Conflict("this question is withheld already")
    question.withheld_reason = text(reason, N_("reason"), 2000)
    question.state, question.moderated_by = QuestionState.withheld, actor
    session.flush()
    return question


def published_questions(tracked: TrackedProject) -> list[PublicQuestion]:
    return [q for q in tracked.questions if q.state == QuestionState.published]


def pending_questions(tracked: TrackedProject) -> list[PublicQuestion]:
    return [q for q in tracked.questions
            if q.state in (QuestionState.asked, QuestionState.answered)]


@dataclass(frozen=True)
class Rating:
    """One published rating of a project: the round and its result row (§10)."""

    round: Round
    row: dict[str, Any]

    @property
    def rate(self) -> float | None:
        good, marks = self.row["rate"]
        return good / marks if marks else None


def ratings_of(session: Session, tracked: TrackedProject) -> list[Rating]:
    """Every published rating of the project, oldest first."""
    code = tracked.project.code
    found = []
    for round_ in session.scalars(select(Round).where(
            Round.election_id == tracked.election_id, Round.kind == RoundKind.rating,
            Round.state == RoundState.published).order_by(Round.created, Round.id)):
        row = next((r for r in (round_.result or {}).get("rows", []) if r["id"] == code), None)
        if row is not None:
            found.append(Rating(round_, row))
    return found


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    kind: str
    """update or check."""
    item: ProgressUpdate | QuarterlyCheck


def timeline(tracked: TrackedProject) -> list[TimelineItem]:
    """Updates and checks together, newest first, as the public page tells them."""
    items = [TimelineItem(u.at, "update", u) for u in tracked.updates]
    items += [TimelineItem(c.at, "check", c) for c in tracked.checks]
    return sorted(items, key=lambda i: (i.at, i.item.id), reverse=True)
