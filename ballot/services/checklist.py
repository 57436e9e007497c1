"""The session day as a checklist: what is done, and the one step to take next.

The election page shows it to every staff role, so a clerk or a presidium member
sees where the year stands without a guide: the key ceremony (with what each
trustee must do next), the roster, the candidates, and for the round at hand
check-in, slips, opening, closing, decryption and publication; then the year's
tracking and rating rounds. Each step is decided from the database's own state,
the same state the services check before they act.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.errors import N_, Message
from ballot.models import CeremonyShare, Election, Round, RoundKind, RoundState, Trustee
from ballot.services import roster, rounds, tracking

COUNTED = (RoundState.tallied, RoundState.published)


@dataclass(frozen=True)
class Step:
    key: str
    """A stable name for the step (``ceremony``, ``checkin``…): pages and tests use it."""
    title: Message
    done: bool
    detail: Message | None = None
    round: Round | None = None
    """The round the step is about, for a link to its page."""


@dataclass(frozen=True)
class TrusteeProgress:
    trustee: Trustee
    shares_sent: int
    shares_received: int
    next: Message | None
    """What this trustee must do next, or None when their part is done."""


def trustee_progress(session: Session, election: Election) -> list[TrusteeProgress]:
    """Each trustee's place in the key ceremony, in the order the ceremony asks for."""
    shares = list(session.scalars(select(CeremonyShare).where(
        CeremonyShare.election_id == election.id)))
    sent = Counter(s.sender for s in shares)
    received = Counter(s.recipient for s in shares)
    everyone_committed = all(t.commitment is not None for t in election.trustees)
    out = []
    for t in election.trustees:
        if t.transport_key is None:
            step: Message | None = N_("make a key file and upload its transport key "
                                      "(piaojue trustee init)")
        elif t.commitment is None:
            step = N_("upload the commitment (piaojue trustee commit)")
        elif not sent[t.index]:
            step = (N_("send the sealed shares (piaojue trustee shares)") if everyone_committed
                    else N_("wait until every trustee has committed, then send the shares"))
        elif not t.verified:
            step = (N_("check the shares received and upload the verification "
                       "(piaojue trustee verify)")
                    if received[t.index] == election.trustees_n
                    else N_("wait for every trustee's shares, then verify them"))
        else:
            step = None
        out.append(TrusteeProgress(t, sent[t.index], received[t.index], step))
    return out


def current_round(election: Election) -> Round | None:
    """The round the session day is about: the latest not yet published, else the latest."""
    ordered = sorted(election.rounds, key=lambda r: r.id)
    unfinished = [r for r in ordered if r.state != RoundState.published]
    candidates = unfinished or ordered
    return candidates[-1] if candidates else None


def session_day(session: Session, election: Election) -> list[Step]:
    """The year's steps in order; the first one not done is the next to take."""
    trustees = election.trustees
    verified = sum(t.verified for t in trustees)
    deputies = rounds.enrolled_count(session, election)
    projects = len(roster.list_projects(session, election))
    selections = [r for r in election.rounds if r.kind == RoundKind.selection]
    steps = [
        Step("ceremony", N_("Key ceremony"), election.joint_key is not None,
             Message("%(verified)s of %(n)s trustees have verified their shares",
                     verified=verified, n=election.trustees_n)),
        Step("roster", N_("Roster of deputies"), deputies > 0,
             Message("%(n)s deputies enrolled", n=deputies)),
        Step("candidates", N_("Candidate projects"), bool(selections),
             Message("%(n)s projects; %(rounds)s selection rounds", n=projects,
                     rounds=len(selections))),
    ]
    round_ = current_round(election)
    if round_ is not None:
        present, needed = rounds.present_count(session, round_), rounds.quorum_required(
            session, round_)
        issued = rounds.issued_count(session, round_)
        opened = round_.state != RoundState.draft
        steps += [
            Step("checkin", N_("Check-in"), opened or present >= needed,
                 Message("%(present)s present, quorum %(needed)s", present=present,
                         needed=needed), round_),
            Step("slips", N_("Credential slips"), opened or issued > 0,
                 Message("%(issued)s issued", issued=issued), round_),
            Step("open", N_("Open voting"), opened, None, round_),
            Step("close", N_("Close voting"),
                 round_.state in (RoundState.closed, *COUNTED),
                 Message("%(cast)s ballots cast", cast=rounds.cast_count(session, round_)),
                 round_),
            Step("decryption", N_("Decryption by the trustees"), round_.state in COUNTED,
                 None, round_),
            Step("publication", N_("Publication of the result"),
                 round_.state == RoundState.published, None, round_),
        ]
    tracked = tracking.tracked_projects(session, election)
    ratings = [r for r in election.rounds if r.kind == RoundKind.rating]
    steps += [
        Step("tracking", N_("Tracking the elected projects"), bool(tracked),
             Message("%(n)s projects tracked", n=len(tracked))),
        Step("rating", N_("Rating rounds (mid-year and year-end)"),
             any(r.state == RoundState.published for r in ratings),
             Message("%(n)s rating rounds", n=len(ratings))),
    ]
    return steps


def next_step(steps: list[Step]) -> Step | None:
    return next((step for step in steps if not step.done), None)
