"""选单/议单 services on both databases: every transition, the trail, imports, adoption."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ballot.candidate_ratio import candidate_bounds
from ballot.errors import Conflict, ImportErrors, InvalidInput, NotFound
from ballot.labels import label
from ballot.models import Proposal, ProposalEvent, ProposalState, Round
from ballot.services import elections, proposals
from crypto.at_rest import AtRestKey

AT_REST = AtRestKey("proposal tests at-rest secret")
GOOD = {"title": "新建口袋公园", "category": "生态环境", "description": "社区空地建口袋公园",
        "place": "湘江区", "cost": "120.5", "proposer_name": "李四",
        "proposer_contact": "13800000000"}


@pytest.fixture
def eid(sessions: sessionmaker[Session]) -> str:
    with sessions.begin() as s:
        elections.create_election(s, election_id="p-2026", congress_name="区人大",
                                  level="county", year=2026, trustee_names=["甲"],
                                  threshold=1, at_rest=AT_REST)
    return "p-2026"


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions.begin() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _submit(sessions: sessionmaker[Session], eid: str, **changes: str) -> int:
    with sessions.begin() as s:
        return proposals.submit(s, elections.get_election(s, eid), {**GOOD, **changes}).id


def _act(sessions: sessionmaker[Session], eid: str, pid: int, action: str) -> None:
    with sessions.begin() as s:
        p = proposals.get(s, elections.get_election(s, eid), pid)
        if action == "start_review":
            proposals.start_review(s, p, "审查员")
        elif action == "return":
            proposals.return_for_revision(s, p, "审查员", "请补充地点")
        elif action == "revise":
            proposals.revise(s, p.tracking_code, GOOD)
        elif action == "accept":
            proposals.accept(s, p, "审查员", "列入储备库")
        elif action == "reject":
            proposals.reject(s, p, "审查员", "不属于民生实事")


def _proposal(s: Session, pid: int) -> Proposal:
    """The stored proposal ``pid``, which the test has submitted."""
    p = s.get(Proposal, pid)
    assert p is not None, f"no proposal {pid}"
    return p


def _state(sessions: sessionmaker[Session], pid: int) -> ProposalState:
    with sessions.begin() as s:
        return _proposal(s, pid).state


def test_submit_gives_a_code_and_a_first_event(sessions: sessionmaker[Session], eid: str
                                               ) -> None:
    pid = _submit(sessions, eid)
    with sessions.begin() as s:
        p = _proposal(s, pid)
        assert len(p.tracking_code) == 10
        assert set(p.tracking_code) <= set(proposals.CODE_ALPHABET)
        assert p.state == ProposalState.submitted
        assert [e.action for e in p.events] == ["submit"]
        code = p.tracking_code
        assert proposals.by_code(s, code.lower()[:5] + "-" + code.lower()[5:]).id == pid
        with pytest.raises(NotFound, match="no proposal has this tracking code"):
            proposals.by_code(s, "ZZZZZZZZZZ")


@pytest.mark.parametrize(("changes", "message"), [
    ({"title": ""}, "title is required"),
    ({"title": "长" * 201}, "title has at most 200"),
    ({"category": "体育彩票"}, "category must be one of"),
    ({"description": ""}, "description is required"),
    ({"cost": "abc"}, "not a number"),
    ({"cost": "-1"}, "out of range"),
    ({"proposer_name": "王\x00五"}, "control character"),
])
def test_bad_fields_are_named_and_nothing_is_written(
        sessions: sessionmaker[Session], eid: str, changes: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        _submit(sessions, eid, **changes)
    assert _count(sessions, Proposal) == 0


@pytest.mark.parametrize(("content_type", "data", "ok"), [
    ("application/pdf", b"%PDF-1.4 ...", True),
    ("image/png", b"\x89PNG\r\n\x1a\n....", True),
    ("image/png", b"%PDF-1.4 pretending", False),
    ("application/x-msdownload", b"MZ....", False),
    ("image/jpeg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), False),
])
def test_attachments_are_checked(sessions: sessionmaker[Session], eid: str,
                                 content_type: str, data: bytes, ok: bool) -> None:
    with sessions.begin() as s:
        election = elections.get_election(s, eid)
        attachment = proposals.Attachment("file", content_type, data)
        if ok:
            assert proposals.submit(s, election, GOOD, attachment=attachment).attachment == data
        else:
            with pytest.raises(InvalidInput, match="attachment"):
                proposals.submit(s, election, GOOD, attachment=attachment)


def test_a_deputy_proposal_names_the_deputy(sessions: sessionmaker[Session], eid: str) -> None:
    with sessions.begin() as s:
        election = elections.get_election(s, eid)
        with pytest.raises(InvalidInput, match="deputy name is required"):
            proposals.submit(s, election, GOOD, source="deputy")


PATH = {  # how to bring a fresh proposal to each state
    ProposalState.submitted: [],
    ProposalState.under_review: ["start_review"],
    ProposalState.returned_for_revision: ["start_review", "return"],
    ProposalState.accepted: ["start_review", "accept"],
    ProposalState.rejected: ["start_review", "reject"],
}
LEGAL = {("start_review", ProposalState.submitted), ("return", ProposalState.under_review),
         ("revise", ProposalState.returned_for_revision),
         ("accept", ProposalState.under_review), ("reject", ProposalState.under_review)}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(
    PATH, ["start_review", "return", "revise", "accept", "reject"])))
def test_every_transition_is_legal_or_refused(sessions: sessionmaker[Session], eid: str,
                                              state: ProposalState, action: str) -> None:
    pid = _submit(sessions, eid)
    for step in PATH[state]:
        _act(sessions, eid, pid, step)
    events = _count(sessions, ProposalEvent)
    if (action, state) in LEGAL:
        _act(sessions, eid, pid, action)
        assert _count(sessions, ProposalEvent) == events + 1
        assert _state(sessions, pid) != state
    else:
        with pytest.raises(Conflict, match=str(label(state))):
            _act(sessions, eid, pid, action)
        assert _state(sessions, pid) == state
        assert _count(sessions, ProposalEvent) == events


def test_findings_return_revision_and_answers_are_kept(sessions: sessionmaker[Session],
                                                       eid: str) -> None:
    pid = _submit(sessions, eid)
    with sessions.begin() as s:
        p = proposals.get(s, elections.get_election(s, eid), pid)
        with pytest.raises(Conflict, match="under review"):
            proposals.record_findings(s, p, "审查员", {"risk": "低"})
    _act(sessions, eid, pid, "start_review")
    with sessions.begin() as s:
        p = proposals.get(s, elections.get_election(s, eid), pid)
        with pytest.raises(InvalidInput, match="at least one finding"):
            proposals.record_findings(s, p, "审查员", {"unknown": "x"})
    with sessions.begin() as s:
        p = proposals.get(s, elections.get_election(s, eid), pid)
        proposals.record_findings(s, p, "审查员", {"cost_estimate": "130万元",
                                                  "department": "住建局"})
    _act(sessions, eid, pid, "return")
    with sessions.begin() as s:
        p = _proposal(s, pid)
        assert p.answer == "请补充地点"
        proposals.revise(s, p.tracking_code, {**GOOD, "place": "湘江区某社区"})
    _act(sessions, eid, pid, "accept")
    with sessions.begin() as s:
        p = _proposal(s, pid)
        assert (p.place, p.answer) == ("湘江区某社区", "列入储备库")
        trail = [(e.action, e.from_state, e.to_state, e.actor) for e in p.events]
        assert [t[0] for t in trail] == ["submit", "start_review", "findings", "return",
                                         "revise", "accept"]
        assert trail[3][1:3] == ("under_review", "returned_for_revision")
        findings = p.events[2].findings
        assert findings is not None
        assert findings["department"] == "住建局"


def test_merge_answers_both_proposers(sessions: sessionmaker[Session], eid: str) -> None:
    a, b, c = (_submit(sessions, eid, title=t) for t in ("甲", "乙", "丙"))
    for pid in (a, b):
        _act(sessions, eid, pid, "start_review")
    _act(sessions, eid, c, "start_review")
    _act(sessions, eid, c, "reject")
    with sessions.begin() as s:
        election = elections.get_election(s, eid)
        pa, pb, pc = (proposals.get(s, election, x) for x in (a, b, c))
        with pytest.raises(InvalidInput, match="another proposal"):
            proposals.merge(s, pa, pa, "审查员", "重复")
        with pytest.raises(Conflict, match="merge only into"):
            proposals.merge(s, pa, pc, "审查员", "重复")
    with sessions.begin() as s:
        election = elections.get_election(s, eid)
        pa, pb = proposals.get(s, election, a), proposals.get(s, election, b)
        proposals.merge(s, pa, pb, "审查员", "与乙合并办理")
    with sessions.begin() as s:
        pa, pb = _proposal(s, a), _proposal(s, b)
        assert (pa.state, pa.merged_into_id, pa.answer) == (ProposalState.merged, b,
                                                            "与乙合并办理")
        assert pb.events[-1].action == "absorb"
        assert pa.tracking_code in pb.events[-1].note


def test_station_import_is_all_or_nothing(sessions: sessionmaker[Session], eid: str) -> None:
    header = "项目名称,类别,内容,地点,估算金额,提议人,联系方式\n"
    good = "路灯亮化,城乡建设,背街小巷装路灯,老城区,45,王五,139\n"
    bad = header + good + ",教育,缺名称,,,,\n路灯,不存在的类别,x,,,赵六,\n"
    with sessions.begin() as s, pytest.raises(ImportErrors) as info:
        proposals.import_proposals(s, elections.get_election(s, eid), bad.encode(),
                                   "station.csv")
    assert [str(e).split(":")[0] for e in info.value.errors] == ["row 3", "row 4"]
    assert _count(sessions, Proposal) == 0
    with sessions.begin() as s:
        assert proposals.import_proposals(s, elections.get_election(s, eid),
                                          (header + good).encode(), "s.csv", dry_run=True) == []
    assert _count(sessions, Proposal) == 0
    with sessions.begin() as s:
        added = proposals.import_proposals(s, elections.get_election(s, eid),
                                           (header + good).encode(), "s.csv")
        assert [p.source for p in added] == ["station"]


def _accepted(sessions: sessionmaker[Session], eid: str, n: int) -> list[int]:
    ids = [_submit(sessions, eid, title=f"项目{i}") for i in range(n)]
    for pid in ids:
        _act(sessions, eid, pid, "start_review")
        _act(sessions, eid, pid, "accept")
    return ids


@pytest.mark.parametrize(("seats", "bounds"), [(1, (2, 2)), (2, (3, 3)), (5, (6, 7)),
                                               (10, (12, 15))])
def test_ratio_bounds_follow_the_electoral_law(sessions: sessionmaker[Session], eid: str,
                                               seats: int, bounds: tuple[int, int]) -> None:
    """1/5 to 1/2 more candidates than seats; one seat takes two candidates."""
    with sessions.begin() as s:
        found = candidate_bounds(elections.get_election(s, eid).candidate_ratio, seats)
        assert (found.fewest, found.most) == bounds


def test_adoption_within_the_ratio_makes_the_selection_round(
        sessions: sessionmaker[Session], eid: str) -> None:
    ids = _accepted(sessions, eid, 8)
    for wrong in (ids[:5], ids[:8]):  # 5 seats need 6 or 7 candidates
        with sessions.begin() as s, pytest.raises(InvalidInput, match="between 6 and 7"):
            proposals.adopt(s, elections.get_election(s, eid), wrong, 5, "主席团")
    assert _count(sessions, Round) == 0
    with sessions.begin() as s:
        round_ = proposals.adopt(s, elections.get_election(s, eid), ids[:6], 5, "主席团")
        assert [r.project.code for r in round_.rows] == [f"P0{i}" for i in range(1, 7)]
        assert [r.project.title for r in round_.rows] == [f"项目{i}" for i in range(6)]
        assert round_.seats == 5
        assert elections.get_election(s, eid).state.value == "candidates_adopted"
    with sessions.begin() as s:
        p = _proposal(s, ids[0])
        assert p.project_id is not None
        assert p.events[-1].action == "adopt"
        assert len(proposals.reserve_pool(s, elections.get_election(s, eid))) == 2
    with sessions.begin() as s, pytest.raises(Conflict, match="adopted for this election"):
        proposals.adopt(s, elections.get_election(s, eid), [*ids[6:8], *ids[:4]], 5, "主席团")
    with pytest.raises(Conflict, match="adopted candidate list"):
        _act(sessions, eid, ids[0], "reject")


def test_only_accepted_proposals_can_be_adopted(sessions: sessionmaker[Session], eid: str
                                                ) -> None:
    ids = [*_accepted(sessions, eid, 2), _submit(sessions, eid)]
    with sessions.begin() as s, pytest.raises(InvalidInput, match="only accepted"):
        proposals.adopt(s, elections.get_election(s, eid), ids, 2, "主席团")
