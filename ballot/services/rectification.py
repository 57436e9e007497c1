"""评单: rating rounds over the year's projects, and rectification of flagged ones.

Rating rounds are ordinary rounds of ``kind: rating`` (PROTOCOL.md §3, §10):
same credentials, booth, trustees, record and verifier. What this module adds
is what follows a result: a published rating that flags a project orders its
department to rectify by a due date; the department files its report; the
presidium opens a re-rating round over the reported projects only, and its
published result settles each task as passed or failed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.errors import N_, Conflict, InvalidInput, NotFound
from ballot.labels import label
from ballot.models import (
    Election,
    Rectification,
    RectificationState,
    Round,
    RoundKind,
    RoundState,
    TrackedProject,
)
from ballot.services import rounds, tracking
from ballot.services.fields import date, text

DEFAULT_THRESHOLD = (4, 5)
STAGE_TITLES = {"mid_year": "{year}年度民生实事项目年中票评",
                "year_end": "{year}年度民生实事项目年终满意度测评",
                "rerating": "{year}年度民生实事项目整改再评"}
"""The usual title of each kind of rating round, for the year it is held in."""


def create_rating_round(session: Session, election: Election, *, round_id: str, title: str,
                        threshold: tuple[int, int] = DEFAULT_THRESHOLD) -> Round:
    """A mid-year or year-end rating round (年中票评, 年终满意度测评) over every
    tracked project of the year, in code order."""
    projects = tracking.tracked_projects(session, election)
    if not projects:
        raise Conflict("no project is tracked yet: publish the selection result first")
    return rounds.create_round(session, election, round_id=round_id, kind="rating",
                               title=title, project_ids=[t.project_id for t in projects],
                               threshold=threshold)


def flagged_codes(round_: Round) -> list[str]:
    """Project codes a published rating flags (under the threshold, or no marks)."""
    if round_.kind != RoundKind.rating or round_.state != RoundState.published:
        raise Conflict("round %(round_id)s is not a published rating round",
                       round_id=round_.round_id)
    return [row["id"] for row in (round_.result or {}).get("rows", []) if row["flagged"]]


def order_rectifications(session: Session, round_: Round, actor: str, *, due: Any,
                         instructions: str, today: dt.date | None = None
                         ) -> list[Rectification]:
    """One task per flagged project of ``round_`` that has none for it yet."""
    codes = flagged_codes(round_)
    if not codes:
        raise Conflict("round %(round_id)s flags no project: nothing to rectify",
                       round_id=round_.round_id)
    due_date = date(due, N_("due date"))
    assert due_date is not None
    if due_date < (today or dt.date.today()):
        raise InvalidInput("the due date has passed already")
    words = text(instructions, N_("instructions"), 5000)
    election = round_.election
    made = []
    tracked_by_code = {t.project.code: t for t in tracking.tracked_projects(session, election)}
    for code in codes:
        tracked = tracked_by_code.get(code)
        if tracked is None or session.scalar(select(Rectification).where(
                Rectification.tracked_id == tracked.id,
                Rectification.rating_round_pk == round_.id)) is not None:
            continue
        rect = Rectification(tracked_id=tracked.id, rating_round_pk=round_.id,
                             instructions=words, due=due_date, ordered_by=actor,
                             state=RectificationState.ordered)
        session.add(rect)
        made.append(rect)
    if not made:
        raise Conflict("every flagged project of this round has its task already")
    session.flush()
    return made


def get_rectification(session: Session, tracked: TrackedProject, rect_id: int | None
                      ) -> Rectification:
    rect = session.get(Rectification, rect_id) if rect_id else None
    if rect is None or rect.tracked_id != tracked.id:
        raise NotFound("this project has no such rectification task")
    return rect


def file_report(session: Session, rect: Rectification, actor: str, report: str,
                now: dt.datetime | None = None) -> Rectification:
    """The department's rectification report; it may be refiled until re-rating opens.

    ``now`` is when it was filed (the clock, unless a test or an import says otherwise)."""
    if rect.state not in (RectificationState.ordered, RectificationState.reported):
        raise Conflict("this rectification is %(state)s", state=label(rect.state))
    if rect.rerating_round_pk is not None:
        raise Conflict("the re-rating round is set: the report can no longer change")
    rect.report = text(report, N_("the rectification report"), 5000)
    rect.reported_by, rect.reported = actor, now or dt.datetime.now(dt.UTC)
    rect.state = RectificationState.reported
    session.flush()
    return rect


def awaiting_rerating(session: Session, election: Election) -> list[Rectification]:
    """Reported tasks whose project has not been put to a re-rating yet."""
    return list(session.scalars(
        select(Rectification).join(TrackedProject)
        .where(TrackedProject.election_id == election.id,
               Rectification.state == RectificationState.reported,
               Rectification.rerating_round_pk.is_(None))
        .order_by(Rectification.id)))


def create_rerating_round(session: Session, election: Election, *, round_id: str, title: str,
                          threshold: tuple[int, int] = DEFAULT_THRESHOLD) -> Round:
    """A rating round over the flagged projects whose rectification is reported."""
    tasks = awaiting_rerating(session, election)
    if not tasks:
        raise Conflict("no rectification report awaits a re-rating")
    project_ids = sorted({t.tracked.project_id for t in tasks})
    round_ = rounds.create_round(session, election, round_id=round_id, kind="rating",
                                 title=title, project_ids=project_ids, threshold=threshold,
                                 parent=tasks[0].rating_round)
    for task in tasks:
        task.rerating_round_pk = round_.id
    session.flush()
    return round_


def settle(session: Session, round_: Round) -> list[Rectification]:
    """On a re-rating's publication: each task it rated passes, or fails if flagged again."""
    tasks = list(session.scalars(select(Rectification).where(
        Rectification.rerating_round_pk == round_.id)))
    flagged = set(flagged_codes(round_)) if tasks else set()
    for task in tasks:
        code = task.tracked.project.code
        task.state = (RectificationState.failed if code in flagged
                      else RectificationState.passed)
    session.flush()
    return tasks


def open_tasks(session: Session, election: Election) -> list[Rectification]:
    return list(session.scalars(
        select(Rectification).join(TrackedProject)
        .where(TrackedProject.election_id == election.id,
               Rectification.state.in_((RectificationState.ordered,
                                        RectificationState.reported)))
        .order_by(Rectification.due)))


def unordered_flags(session: Session, election: Election) -> list[tuple[Round, list[str]]]:
    """Published rating rounds with flagged projects that have no task yet: what the
    presidium still has to act on."""
    tracked = {t.project.code: t for t in tracking.tracked_projects(session, election)}
    out = []
    for round_ in session.scalars(select(Round).where(
            Round.election_id == election.id, Round.kind == RoundKind.rating,
            Round.state == RoundState.published).order_by(Round.created, Round.id)):
        ordered = set(session.scalars(
            select(TrackedProject.project_id).join(Rectification)
            .where(Rectification.rating_round_pk == round_.id)))
        codes = [c for c in flagged_codes(round_)
                 if c in tracked and tracked[c].project_id not in ordered]
        if codes:
            out.append((round_, codes))
    return out
