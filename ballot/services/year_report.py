"""The year in one report (晒单 at year end): proposals, the vote, progress, ratings,
rectifications. One data object feeds both the XLSX here and the PDF in admin/."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.catalog import chinese
from ballot.errors import N_
from ballot.labels import RATING_CLASSES, RESULT_STATUS, label, word
from ballot.models import (
    BoardHead,
    Election,
    Proposal,
    ProposalState,
    Rectification,
    Round,
    RoundKind,
    RoundState,
    TrackedProject,
)
from ballot.services import tracking
from ballot.spreadsheet import xlsx_bytes

ANSWERED = (ProposalState.accepted, ProposalState.merged, ProposalState.rejected)


@dataclass(frozen=True)
class CategoryLine:
    category: str
    received: int
    answered: int
    accepted: int


@dataclass(frozen=True)
class RoundLine:
    round: Round
    board_hash: str
    """The final board hash: what the round's record must end with."""


@dataclass(frozen=True)
class ProjectLine:
    tracked: TrackedProject
    ratings: list[tracking.Rating]
    rectifications: list[Rectification]


@dataclass(frozen=True)
class YearReport:
    election: Election
    categories: list[CategoryLine]
    rounds: list[RoundLine]
    """Every published round, selection and rating, in the order they were held."""
    projects: list[ProjectLine]

    @property
    def proposals_received(self) -> int:
        return sum(c.received for c in self.categories)

    @property
    def proposals_answered(self) -> int:
        return sum(c.answered for c in self.categories)


def year_report(session: Session, election: Election) -> YearReport:
    received: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    for p in session.scalars(select(Proposal).where(Proposal.election_id == election.id)):
        received[p.category] += 1
        answered[p.category] += p.state in ANSWERED
        accepted[p.category] += p.state == ProposalState.accepted
    categories = [CategoryLine(c, received[c], answered[c], accepted[c])
                  for c in election.categories if received[c]]
    categories += [CategoryLine(c, received[c], answered[c], accepted[c])
                   for c in sorted(received) if c not in election.categories]
    published = session.scalars(select(Round).where(
        Round.election_id == election.id, Round.state == RoundState.published)
        .order_by(Round.created, Round.id))
    lines = []
    for round_ in published:
        head = session.get(BoardHead, round_.id)
        lines.append(RoundLine(round_, head.hash if head else ""))
    projects = [ProjectLine(t, tracking.ratings_of(session, t), list(t.rectifications))
                for t in tracking.tracked_projects(session, election)]
    return YearReport(election, categories, lines, projects)


def _status(row: dict[str, Any]) -> str:
    """A project's outcome in a selection round, in Chinese (the report's language)."""
    return chinese(word(RESULT_STATUS, row["status"]))


def rating_class(row: dict[str, Any]) -> str:
    """A rated project's class in Chinese, and whether it must be rectified."""
    flagged = "，" + chinese(N_("to be rectified")) if row["flagged"] else ""
    return chinese(word(RATING_CLASSES, row["class"])) + flagged


def _rate(rating: tracking.Rating) -> str:
    good, marks = rating.row["rate"]
    return f"{good}/{marks}" + (f" ({100 * good / marks:.0f}%)" if marks else "")


def year_report_xlsx(report: YearReport) -> bytes:
    """One sheet per list: 选单, 定单 (every published round), 晒单, 评单, 整改."""
    proposals: list[list[Any]] = [[c.category, c.received, c.answered, c.accepted]
                                  for c in report.categories]
    proposals.append(["合计 total", report.proposals_received, report.proposals_answered,
                      sum(c.accepted for c in report.categories)])
    rounds: list[list[Any]] = []
    for line in report.rounds:
        round_, result = line.round, line.round.result or {}
        for row in result.get("rows", []):
            if round_.kind == RoundKind.selection:
                cells: list[Any] = [row["for"], row["against"], row["abstain"],
                                    _status(row)]
            else:
                cells = [row["satisfied"], row["basically_satisfied"], row["dissatisfied"],
                         rating_class(row)]
            rounds.append([round_.round_id, round_.title, round_.kind.value, row["id"], *cells,
                           line.board_hash])
    progress = [[t.project.code, t.project.title, t.department,
                 float(t.budget_wan) if t.budget_wan is not None else None,
                 t.planned_start, t.planned_end, chinese(label(t.state)), t.percent,
                 len(t.updates), len(t.checks), "、".join(d.name for d in t.supervisors)]
                for t in (p.tracked for p in report.projects)]
    ratings = [[p.tracked.project.code, rating.round.round_id, rating.row["satisfied"],
                rating.row["basically_satisfied"], rating.row["dissatisfied"], _rate(rating),
                chinese(word(RATING_CLASSES, rating.row["class"])),
                "是" if rating.row["flagged"] else "否"]
               for p in report.projects for rating in p.ratings]
    rectifications = [[p.tracked.project.code, r.rating_round.round_id, r.instructions, r.due,
                       chinese(label(r.state)), r.report,
                       r.rerating_round.round_id if r.rerating_round else ""]
                      for p in report.projects for r in p.rectifications]
    return xlsx_bytes([
        ("选单 proposals", ["类别 category", "收到 received", "已答复 answered", "采纳 accepted"],
         proposals),
        ("定单 rounds", ["轮次 round", "名称 title", "类型 kind", "项目 project", "赞成/满意",
                       "反对/基本满意", "弃权/不满意", "结果 result", "公告板哈希 board hash"],
         rounds),
        ("晒单 progress", ["编号 code", "项目 project", "承办部门 department",
                         "预算(万元) budget", "计划开始 start", "计划完成 end", "状态 state",
                         "进度% progress", "进度报告 updates", "季度督查 checks",
                         "监督小组 supervisors"], progress),
        ("评单 ratings", ["编号 code", "轮次 round", "满意", "基本满意", "不满意", "满意率 rate",
                        "等次 class", "需整改 flagged"], ratings),
        ("整改 rectification", ["编号 code", "因 round", "要求 instructions", "期限 due",
                              "状态 state", "整改报告 report", "再评 re-rating"],
         rectifications),
    ])
