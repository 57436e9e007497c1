"""选单 and 议单: proposals from the public and deputies, their review, and adoption.

Every transition appends a ProposalEvent (who, when, why); an answer is kept
for every proposer (件件有回音). Accepted proposals form the reserve pool
(储备库); the presidium adopts a candidate list from it with more candidates
than seats (差额), which becomes the selection round's rows.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballot.candidate_ratio import check_candidates
from ballot.errors import N_, Conflict, ImportErrors, InvalidInput, Message, NotFound
from ballot.labels import FINDING_LABELS, label, word
from ballot.models import DEFAULT_CATEGORIES as DEFAULT_CATEGORIES  # the list elections start with
from ballot.models import (
    Election,
    ElectionState,
    Project,
    Proposal,
    ProposalEvent,
    ProposalState,
    Round,
)
from ballot.services import fields, roster, rounds
from ballot.services.attachments import MAX_ATTACHMENT as MAX_ATTACHMENT
from ballot.services.attachments import Attachment, check_attachment
from ballot.services.fields import text as _text
from ballot.tabular import read_table

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
FINDING_FIELDS = ("cost_estimate", "funding_source", "legality", "risk", "department",
                  "deadline")
S = ProposalState
TRANSITIONS: dict[str, tuple[tuple[ProposalState, ...], ProposalState]] = {
    "start_review": ((S.submitted,), S.under_review),
    "return": ((S.under_review,), S.returned_for_revision),
    "revise": ((S.returned_for_revision,), S.under_review),
    "accept": ((S.under_review,), S.accepted),
    "reject": ((S.under_review,), S.rejected),
    "merge": ((S.under_review,), S.merged),
}
VERBS = {"start_review": N_("put under review"), "return": N_("returned for revision"),
         "revise": N_("revised"), "accept": N_("accepted"), "reject": N_("rejected"),
         "merge": N_("merged")}
PROPOSAL_COLUMNS = {"title": "title", "项目名称": "title", "名称": "title",
                    "category": "category", "类别": "category", "description": "description",
                    "内容": "description", "说明": "description", "place": "place",
                    "地点": "place", "cost": "cost", "估算金额": "cost", "beneficiaries":
                    "beneficiaries", "受益人群": "beneficiaries", "proposer": "proposer_name",
                    "提议人": "proposer_name", "contact": "proposer_contact",
                    "联系方式": "proposer_contact", "deputy": "deputy_name",
                    "代表": "deputy_name"}


def _cost(value: Any) -> Decimal | None:
    text = str(value or "").strip()
    if not text:
        return None
    return fields.cost(text)


def _fields(election: Election, values: dict[str, Any]) -> dict[str, Any]:
    about = fields.about
    category = about("category", _text, values.get("category"), N_("category"), 50)
    if category not in election.categories:
        error = InvalidInput("category must be one of %(categories)s",
                             categories=', '.join(election.categories))
        error.field = "category"
        raise error
    return {
        "title": about("title", _text, values.get("title"), N_("title"), 200),
        "category": category,
        "description": about("description", _text, values.get("description"),
                             N_("description"), 5000),
        "place": about("place", _text, values.get("place"), N_("place"), 200, required=False),
        "cost_wan": about("cost", _cost, values.get("cost")),
        "beneficiaries": about("beneficiaries", _text, values.get("beneficiaries"),
                               N_("beneficiaries"), 200, required=False),
    }


def _new_code(session: Session) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
        if session.scalar(select(Proposal.id).where(Proposal.tracking_code == code)) is None:
            return code


def _log(session: Session, proposal: Proposal, actor: str, action: str,
         before: ProposalState | None, note: str = "",
         findings: dict[str, Any] | None = None) -> None:
    session.add(ProposalEvent(proposal_id=proposal.id, actor=actor, action=action,
                              from_state=before.value if before else None,
                              to_state=proposal.state.value, note=note, findings=findings))
    session.flush()


def submit(session: Session, election: Election, values: dict[str, Any], *,
           source: str = "public", attachment: Attachment | None = None) -> Proposal:
    """A new proposal with its tracking code; the proposer names themself."""
    if source not in ("public", "deputy", "station"):
        raise InvalidInput("the source is public, deputy or station")
    given = _fields(election, values)
    name = fields.about("proposer_name", _text, values.get("proposer_name"),
                        N_("proposer name"), 100)
    contact = fields.about("proposer_contact", _text, values.get("proposer_contact"),
                           N_("contact"), 200, required=False)
    deputy = fields.about("deputy_name", _text, values.get("deputy_name"), N_("deputy name"),
                          100, required=source == "deputy")
    check_attachment(attachment)
    proposal = Proposal(election_id=election.id, tracking_code=_new_code(session),
                        source=source, proposer_name=name, proposer_contact=contact,
                        deputy_name=deputy, state=ProposalState.submitted, **given)
    if attachment is not None:
        proposal.attachment_name = attachment.name[:200]
        proposal.attachment_type = attachment.content_type
        proposal.attachment = attachment.data
    session.add(proposal)
    session.flush()
    _log(session, proposal, name if source != "deputy" else f"代表 {deputy}", "submit", None)
    return proposal


def by_code(session: Session, code: str) -> Proposal:
    normalized = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    proposal = session.scalar(select(Proposal).where(Proposal.tracking_code == normalized))
    if proposal is None:
        raise NotFound("no proposal has this tracking code; please check it")
    return proposal


def get(session: Session, election: Election, proposal_id: int) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.election_id != election.id:
        raise NotFound("election %(election)s has no proposal %(proposal_id)s",
                       election=election.id, proposal_id=proposal_id)
    return proposal


def _move(session: Session, proposal: Proposal, action: str, actor: str, note: str = ""
          ) -> None:
    allowed, target = TRANSITIONS[action]
    if proposal.project_id is not None:
        raise Conflict("this proposal is on the adopted candidate list and cannot change")
    if proposal.state not in allowed:
        raise Conflict("a proposal that is %(state)s cannot be %(action)s",
                       state=label(proposal.state), action=VERBS[action])
    before = proposal.state
    proposal.state = target
    _log(session, proposal, actor, action, before, note)


def start_review(session: Session, proposal: Proposal, actor: str) -> Proposal:
    _move(session, proposal, "start_review", actor)
    return proposal


def record_findings(session: Session, proposal: Proposal, actor: str,
                    findings: dict[str, Any]) -> Proposal:
    """A review round's feasibility findings (cost, funding, legality, risk, department…)."""
    if proposal.state != ProposalState.under_review:
        raise Conflict("findings are recorded while a proposal is under review")
    kept = {k: _text(findings.get(k), word(FINDING_LABELS, k), 500,
                   required=False) for k in FINDING_FIELDS}
    if not any(kept.values()):
        raise InvalidInput("record at least one finding")
    _log(session, proposal, actor, "findings", proposal.state, findings=kept)
    return proposal


def return_for_revision(session: Session, proposal: Proposal, actor: str, reason: str
                        ) -> Proposal:
    _move(session, proposal, "return", actor, _text(reason, N_("reason"), 2000))
    proposal.answer = _text(reason, N_("reason"), 2000)
    return proposal


def revise(session: Session, code: str, values: dict[str, Any]) -> Proposal:
    """The proposer revises through their tracking code; review resumes."""
    proposal = by_code(session, code)
    if proposal.state != ProposalState.returned_for_revision:
        raise Conflict("a proposal that is %(state)s cannot be revised: only one returned for "
                       "revision can", state=label(proposal.state))
    revised = _fields(proposal_election(session, proposal), values)
    for key, value in revised.items():
        setattr(proposal, key, value)
    _move(session, proposal, "revise", proposal.proposer_name)
    return proposal


def proposal_election(session: Session, proposal: Proposal) -> Election:
    election = session.get(Election, proposal.election_id)
    if election is None:  # the foreign key forbids it; a clear error all the same
        raise NotFound("proposal %(tracking_code)s has no election",
                       tracking_code=proposal.tracking_code)
    return election


def accept(session: Session, proposal: Proposal, actor: str, answer: str) -> Proposal:
    text = _text(answer, N_("answer"), 2000)
    _move(session, proposal, "accept", actor, text)
    proposal.answer = text
    return proposal


def reject(session: Session, proposal: Proposal, actor: str, reason: str) -> Proposal:
    text = _text(reason, N_("public reason"), 2000)
    _move(session, proposal, "reject", actor, text)
    proposal.answer = text
    return proposal


def merge(session: Session, proposal: Proposal, into: Proposal, actor: str, answer: str
          ) -> Proposal:
    """A duplicate joins another proposal; both proposers see the answer."""
    if into.id == proposal.id or into.election_id != proposal.election_id:
        raise InvalidInput("merge into another proposal of the same election")
    if into.state not in (ProposalState.under_review, ProposalState.accepted):
        raise Conflict("merge only into a proposal under review or accepted")
    text = _text(answer, N_("answer"), 2000)
    _move(session, proposal, "merge", actor, f"{into.tracking_code}: {text}")
    proposal.merged_into_id = into.id
    proposal.answer = text
    _log(session, into, actor, "absorb", into.state,
         f"{proposal.tracking_code}: {text}")
    return proposal


def listing(session: Session, election: Election, state: str | None = None
            ) -> list[Proposal]:
    query = select(Proposal).where(Proposal.election_id == election.id)
    if state:
        query = query.where(Proposal.state == ProposalState(state))
    return list(session.scalars(query.order_by(Proposal.created, Proposal.id)))


def counts(session: Session, election: Election) -> dict[tuple[str, str], int]:
    """Proposals by (category, state), for the public page."""
    rows = session.execute(select(Proposal.category, Proposal.state, func.count()).where(
        Proposal.election_id == election.id).group_by(Proposal.category, Proposal.state))
    return {(category, state.value): n for category, state, n in rows}


def reserve_pool(session: Session, election: Election) -> list[Proposal]:
    """储备库: accepted proposals not yet on an adopted list."""
    return [p for p in listing(session, election, "accepted") if p.project_id is None]


def import_proposals(session: Session, election: Election, data: bytes, filename: str,
                     dry_run: bool = False) -> list[Proposal]:
    """Proposals collected at liaison stations, from CSV/XLSX; all rows valid or none."""
    columns, rows = read_table(data, filename, PROPOSAL_COLUMNS)
    missing = [c for c in ("title", "category", "description", "proposer_name")
               if c not in columns]
    if missing:
        raise InvalidInput("the header row lacks the column(s) %(missing)s",
                           missing=', '.join(missing))
    errors = []
    for row in rows:
        if row.problem:
            errors.append(row.problem)
            continue
        try:
            _fields(election, row.values)
            _text(row.values.get("proposer_name"), N_("proposer name"), 100)
        except InvalidInput as exc:
            errors.append(Message("row %(row)s: %(problem)s", row=row.number, problem=exc))
    if not rows:
        errors.append(Message("the file has no proposals"))
    if errors:
        raise ImportErrors(errors)
    if dry_run:
        return []
    return [submit(session, election, row.values, source="station") for row in rows]


def adopt(session: Session, election: Election, proposal_ids: list[int], seats: int,
          actor: str, round_id: str | None = None, title: str | None = None) -> Round:
    """The presidium adopts the candidate list: frozen as projects, the selection round made
    (``selection-1``, or the next number free when the election has selection rounds)."""
    round_id = round_id or rounds.next_round_id(election, "selection")
    if session.scalar(select(Proposal.id).where(Proposal.election_id == election.id,
                                                Proposal.project_id.is_not(None))):
        raise Conflict("a candidate list was adopted for this election already")
    if any(r.round_id == round_id for r in election.rounds):
        raise Conflict("election %(election)s has a round %(round_id)r already",
                       election=election.id, round_id=round_id)
    chosen = [get(session, election, pid) for pid in dict.fromkeys(proposal_ids)]
    if any(p.state != ProposalState.accepted or p.project_id is not None for p in chosen):
        raise InvalidInput("only accepted proposals from the reserve pool can be adopted")
    if seats < 1:
        raise InvalidInput("seats must be at least 1")
    check_candidates(election.candidate_ratio, seats, len(chosen))  # before anything is made
    taken = {p.code for p in roster.list_projects(session, election)}
    codes = (f"P{n:02d}" for n in range(1, 1000) if f"P{n:02d}" not in taken)
    projects = []
    for proposal, code in zip(chosen, codes, strict=False):
        project = Project(election_id=election.id, code=code, title=proposal.title,
                          category=proposal.category, cost_wan=proposal.cost_wan,
                          place=proposal.place, department="",
                          description=proposal.description)
        session.add(project)
        session.flush()
        proposal.project_id = project.id
        _log(session, proposal, actor, "adopt", proposal.state,
             code)
        projects.append(project)
    round_ = rounds.create_round(session, election, round_id=round_id, kind="selection",
                                 title=title or f"{election.year}年度民生实事项目票决",
                                 project_ids=[p.id for p in projects], seats=seats)
    if election.state == ElectionState.draft:
        election.state = ElectionState.candidates_adopted
    session.flush()
    return round_
