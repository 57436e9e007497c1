"""The demo congress behind ``make demo``: a counted year and a round open at the booth.

After the rehearsal has published the selection round, the demo opens the
round its result calls for (a runoff or further round) or, when every seat
is filled, a mid-year rating round over the elected projects, so the booth
has something to vote on. It prints a few credential codes for it: in a real
session they would be printed on slips and never shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from ballot.models import Round, RoundState
from ballot.rehearsal import Rehearsal, RehearsalOutcome
from ballot.services import (
    credentials,
    elections,
    proposals,
    rectification,
    roster,
    rounds,
    staff,
    tracking,
)

DEMO_STAFF = (("zhuxituan", "presidium", "主席团秘书"), ("dengji", "clerk", "登记员"),
              ("jianpiao", "credentials", "监票员（印制凭证）"), ("shencha", "reviewer", "审查员"))
DEMO_PROPOSALS = (
    ("城区新建口袋公园", "生态环境", "accepted", "已列入储备库，明年优先考虑。"),
    ("老年食堂进社区", "养老", "accepted", "已列入储备库。"),
    ("学校周边交通安全设施", "交通出行", "merged", "与“城区公交站台改造”合并办理。"),
    ("修建私人会所", "文化体育", "rejected", "不属于民生实事项目范围，不予采纳。"),
    ("农村电商服务站", "就业创业", "under_review", ""),
    ("菜市场冷链设施", "商贸流通", "returned_for_revision", "请补充建设地点和资金估算。"),
)
DEMO_PASSWORD = "piaojue-demo-2026"
DEMO_DEPARTMENT_LOGIN = "bumen"


@dataclass(frozen=True)
class BoothRound:
    round_id: str
    title: str
    codes: list[str]


def open_booth_round(sessions: sessionmaker[Session], election_id: str,
                     outcome: RehearsalOutcome, codes: int = 8) -> BoothRound:
    with sessions.begin() as s:
        election = elections.get_election(s, election_id)
        if outcome.followup_round_id:
            round_ = rounds.get_round(s, election_id, outcome.followup_round_id)
        else:
            round_ = rectification.create_rating_round(
                s, election, round_id="yearend-rating",
                title=rectification.STAGE_TITLES["year_end"].format(year=election.year))
        for deputy in roster.list_deputies(s, election):
            rounds.check_in(s, round_, deputy)
        slips = credentials.make_slips(election_id, round_.round_id, codes)
        credentials.issue(s, round_, [slip.public_key for slip in slips])
        rounds.open_round(s, round_)
        for username, role, name in DEMO_STAFF:
            staff.create_staff(s, username, DEMO_PASSWORD, [role], name)
        return BoothRound(round_.round_id, round_.title, [slip.code for slip in slips])


MIDYEAR = "midyear-rating"


def hold_midyear_rating(run: Rehearsal) -> list[str]:
    """A published mid-year rating round (年中票评) with the trustees of the rehearsal, in
    which the last elected project falls under the threshold, and the rectification the
    presidium orders for it (评单): the demo shows the year's second half too. Returns the
    codes of the projects to be rectified."""
    with run.sessions.begin() as s:
        election = elections.get_election(s, run.eid)
        round_ = rectification.create_rating_round(
            s, election, round_id=MIDYEAR,
            title=rectification.STAGE_TITLES["mid_year"].format(year=election.year))
        rows, options = len(round_.rows), list(round_.options)
    satisfied, dissatisfied = options.index("satisfied"), options.index("dissatisfied")
    plan = []
    for n in range(run.config.present):
        ballot = [[0] * len(options) for _ in range(rows)]
        for r in range(rows):
            # Most deputies are satisfied; a third are not with the last project.
            unhappy = r == rows - 1 and n % 3 == 0
            ballot[r][dissatisfied if unhappy else satisfied] = 1
        plan.append(ballot)
    run.hold(MIDYEAR, plan)
    with run.sessions.begin() as s:
        round_ = rounds.get_round(s, run.eid, MIDYEAR)
        tasks = rectification.order_rectifications(
            s, round_, "主席团秘书", due=(dt.date.today() + dt.timedelta(days=60)).isoformat(),
            instructions="针对代表测评中的意见逐项整改，按期报告整改情况。")
        return [task.tracked.project.code for task in tasks]


def is_open(round_: Round) -> bool:
    return round_.state == RoundState.open


def seed_proposals(sessions: sessionmaker[Session], election_id: str) -> None:
    """A few proposals in every state, so the public 选单 pages show real answers."""
    with sessions.begin() as s:
        election = elections.get_election(s, election_id)
        anchor = None
        for title, category, state, answer in DEMO_PROPOSALS:
            p = proposals.submit(s, election, {
                "title": title, "category": category, "proposer_name": "群众",
                "description": f"建议实施{title}，惠及周边居民。", "place": "湘江区"})
            if state == "submitted":
                continue
            proposals.start_review(s, p, "审查员")
            if state == "accepted":
                proposals.accept(s, p, "审查员", answer)
                anchor = anchor or p
            elif state == "merged" and anchor is not None:
                proposals.merge(s, p, anchor, "审查员", answer)
            elif state == "rejected":
                proposals.reject(s, p, "审查员", answer)
            elif state == "returned_for_revision":
                proposals.return_for_revision(s, p, "审查员", answer)


def seed_progress(sessions: sessionmaker[Session], election_id: str) -> str:
    """Plans, progress, a quarterly check and an answered question for the elected
    projects (晒单), and a login for the first project's department. Returns it."""
    with sessions.begin() as s:
        election = elections.get_election(s, election_id)
        tracked = tracking.tracked_projects(s, election)
        for i, t in enumerate(tracked):
            tracking.set_plan(s, t, {"department": t.department, "budget": t.budget_wan,
                                     "planned_start": "2026-03-01",
                                     "planned_end": "2026-12-31"})
            tracking.add_milestone(s, t, "完成设计和招标", "2026-04-30")
            tracking.post_update(s, t, f"{t.department}", percent=20 + 15 * (i % 4),
                                 state="in_progress", text_="已完成招标，施工单位进场。")
        if not tracked:
            return ""
        first = tracked[0]
        tracking.record_check(s, first, "主席团秘书", quarter="2026Q2", verdict="on_track",
                              conclusion="进度符合计划，督促做好安全文明施工。")
        question = tracking.ask(s, first, {"name": "李先生", "question": "施工期间道路如何通行？"})
        tracking.answer(s, question, first.department, "施工期间设置临时便道，早晚高峰不施工。")
        tracking.publish_question(s, question, "主席团秘书")
        staff.create_staff(s, DEMO_DEPARTMENT_LOGIN, DEMO_PASSWORD, ["department"],
                           f"{first.department}联络员", department=first.department)
        return first.department
