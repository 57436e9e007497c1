"""Rounds: creation, the frozen manifest, attendance and quorum, opening and closing."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ballot.candidate_ratio import check_candidates
from ballot.errors import Conflict, InvalidInput, Message, NotFound
from ballot.labels import label
from ballot.models import (
    Attendance,
    BoardEntry,
    BoardHead,
    Credential,
    CredentialStatus,
    Deputy,
    Election,
    ElectionState,
    Project,
    Round,
    RoundKind,
    RoundRow,
    RoundState,
)
from ballot.services.challenges import publish_held_challenges
from crypto.board import genesis
from crypto.canonical import canonical_json, parse_json
from crypto.errors import InvalidManifest
from crypto.group import Point
from crypto.manifest import (
    APPROVAL_OPTIONS,
    RATING_OPTIONS,
    SELECTION_OPTIONS,
    Manifest,
    round_context,
)
from crypto.rng import SYSTEM_RANDOMNESS, Randomness

_ROUND_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\Z")


def create_round(
    session: Session,
    election: Election,
    *,
    round_id: str,
    kind: str,
    title: str,
    project_ids: list[int],
    seats: int | None = None,
    basis: str = "enrolled",
    options: tuple[str, ...] | None = None,
    threshold: tuple[int, int] = (4, 5),
    parent: Round | None = None,
) -> Round:
    """A draft round over the given projects in ballot order."""
    if not _ROUND_ID.match(round_id):
        raise InvalidInput("the round id uses lower-case letters, digits and '-'")
    if session.scalar(select(Round).where(Round.election_id == election.id,
                                          Round.round_id == round_id)):
        raise Conflict("election %(election)s has a round %(round_id)r already",
                       election=election.id, round_id=round_id)
    if kind not in RoundKind.__members__:
        raise InvalidInput("a round is a selection or a rating round")
    if not title.strip() or len(title.strip()) > 200:
        raise InvalidInput("the round needs a title of at most 200 characters")
    if not project_ids or len(set(project_ids)) != len(project_ids):
        raise InvalidInput("a round needs at least one project, each listed once")
    projects = [session.get(Project, pid) for pid in project_ids]
    if any(p is None or p.election_id != election.id for p in projects):
        raise InvalidInput("every project must belong to this election")
    round_ = Round(election_id=election.id, round_id=round_id, kind=RoundKind(kind),
                   title=title.strip(), state=RoundState.draft, parent_id=parent and parent.id)
    if kind == "selection":
        options = options or SELECTION_OPTIONS
        if options not in (SELECTION_OPTIONS, APPROVAL_OPTIONS):
            raise InvalidInput("a selection ballot offers for/against, or for alone")
        if seats is None or not 1 <= seats <= len(project_ids):
            raise InvalidInput("seats must be between 1 and the %(project_ids_count)s candidates",
                               project_ids_count=len(project_ids))
        if not _is_runoff(parent):  # a runoff's candidates are the tied ones, however many
            check_candidates(election.candidate_ratio, seats, len(project_ids))
        if basis not in ("enrolled", "cast"):
            raise InvalidInput("the majority basis is 'enrolled' or 'cast'")
        round_.options, round_.seats, round_.basis = list(options), seats, basis
    else:
        num, den = threshold
        if not 0 <= num <= den <= 10**6 or den == 0:
            raise InvalidInput("the satisfaction threshold is a fraction between 0 and 1")
        round_.options = list(RATING_OPTIONS)
        round_.threshold_num, round_.threshold_den = num, den
    round_.rows = [RoundRow(position=i, project_id=pid) for i, pid in enumerate(project_ids, 1)]
    session.add(round_)
    session.flush()
    return round_


def _is_runoff(parent: Round | None) -> bool:
    return parent is not None and bool((parent.result or {}).get("runoff"))


def get_round(session: Session, election_id: str, round_id: str) -> Round:
    round_ = session.scalar(select(Round).where(Round.election_id == election_id,
                                                Round.round_id == round_id))
    if round_ is None:
        raise NotFound("election %(election_id)r has no round %(round_id)r",
                       election_id=election_id, round_id=round_id)
    return round_


def enrolled_count(session: Session, election: Election) -> int:
    return session.scalar(select(func.count()).select_from(Deputy).where(
        Deputy.election_id == election.id)) or 0


def manifest_data(session: Session, round_: Round) -> dict[str, Any]:
    election = round_.election
    rows = [{"id": row.project.code, "title": row.project.title} for row in round_.rows]
    if round_.kind == RoundKind.selection:
        rule: dict[str, Any] = {"name": "majority-top-k", "seats": round_.seats,
                                "basis": round_.basis}
        column_limits = {"for": [0, round_.seats]}
    else:
        rule = {"name": "satisfaction",
                "threshold": [round_.threshold_num, round_.threshold_den]}
        column_limits = {}
    return {
        "protocol": "piaojue/1", "election_id": election.id, "round_id": round_.round_id,
        "kind": round_.kind.value, "title": round_.title, "rows": rows,
        "options": list(round_.options), "row_limits": [0, 1], "column_limits": column_limits,
        "rule": rule, "electorate": {"enrolled": enrolled_count(session, election)},
        "trustees": {"n": election.trustees_n, "threshold": election.threshold},
        "receipt_key": election.receipt_public_key,
        "congress": election.congress_name, "year": election.year,
    }


def manifest_of(round_: Round) -> Manifest:
    if round_.manifest_json is None:
        raise Conflict("round %(round_id)s has no frozen manifest yet", round_id=round_.round_id)
    return Manifest.from_json(parse_json(round_.manifest_json))


def freeze(session: Session, round_: Round) -> Manifest:
    """Fix the manifest and the context ``Q`` before the first board entry."""
    if round_.manifest_json is not None:
        return manifest_of(round_)
    election = round_.election
    if election.state != ElectionState.ready or election.joint_key is None:
        raise Conflict("the key ceremony must be finished before a round's ballot is fixed")
    if enrolled_count(session, election) == 0:
        raise Conflict("import the roster of deputies first")
    try:
        manifest = Manifest.from_json(manifest_data(session, round_))
    except InvalidManifest as exc:
        raise InvalidInput("the ballot cannot be made: %(exc)s", exc=exc) from None
    round_.manifest_json = canonical_json(manifest.data).decode("utf-8")
    context = round_context(manifest.hash, Point.from_bytes(bytes.fromhex(election.joint_key)),
                            bytes.fromhex(election.commitments_hash or ""))
    round_.context = context.hex()
    session.add(BoardHead(round_pk=round_.id, length=0, hash=genesis(context).hex()))
    session.flush()
    return manifest


def present_count(session: Session, round_: Round) -> int:
    return session.scalar(select(func.count()).select_from(Attendance).where(
        Attendance.round_pk == round_.id)) or 0


def present_deputy_ids(session: Session, round_: Round) -> set[int]:
    return set(session.scalars(select(Attendance.deputy_id).where(
        Attendance.round_pk == round_.id)))


def quorum_required(session: Session, round_: Round) -> int:
    """Smallest present count meeting the election's quorum fraction of enrolled."""
    election = round_.election
    enrolled = enrolled_count(session, election)
    return -(-enrolled * election.quorum_num // election.quorum_den)


def check_in(session: Session, round_: Round, deputy: Deputy) -> Attendance:
    if round_.state not in (RoundState.draft, RoundState.open):
        raise Conflict("check-in is closed for this round")
    if deputy.election_id != round_.election_id:
        raise InvalidInput("this deputy is not on this election's roster")
    if deputy.on_leave:
        raise Conflict("%(deputy_name)s is marked on leave", deputy_name=deputy.name)
    existing = session.scalar(select(Attendance).where(Attendance.round_pk == round_.id,
                                                       Attendance.deputy_id == deputy.id))
    if existing:
        return existing
    attendance = Attendance(round_pk=round_.id, deputy_id=deputy.id)
    try:
        with session.begin_nested():  # two clerks marking the same deputy at once
            session.add(attendance)
    except IntegrityError:
        found = session.scalar(select(Attendance).where(Attendance.round_pk == round_.id,
                                                        Attendance.deputy_id == deputy.id))
        assert found is not None, "the check-in that won the race is there"
        return found
    return attendance


def next_round_id(election: Election, stem: str) -> str:
    """``<stem>-1``, or the first ``<stem>-N`` no round of the election has taken."""
    taken = {r.round_id for r in election.rounds}
    return next(f"{stem}-{n}" for n in range(1, len(taken) + 2) if f"{stem}-{n}" not in taken)


def cast_count(session: Session, round_: Round) -> int:
    """Ballots cast in the round: its board's ``cast`` entries (收回). The one count the
    turnout page, the round's status, the tally and the record's ``tally.json`` share."""
    return session.scalar(select(func.count()).select_from(BoardEntry).where(
        BoardEntry.round_pk == round_.id, BoardEntry.type == "cast")) or 0


def issued_count(session: Session, round_: Round) -> int:
    """Keys issued less those voided: what reconciliation calls issued (发出). Here, with
    the round's other counts, because check-in needs it too (credentials.issue keeps
    live credentials at most those present, undo_check_in keeps them so)."""
    return session.scalar(select(func.count()).select_from(Credential).where(
        Credential.round_pk == round_.id,
        Credential.status != CredentialStatus.voided)) or 0


def undo_refusal(session: Session, round_: Round) -> Message | None:
    """Why no check-in of this round can be undone now, or None when one can: the
    check-in page offers its undo buttons only when this is None."""
    if round_.state != RoundState.draft:
        return Message("check-in can only be undone before the round opens")
    if issued_count(session, round_) > present_count(session, round_) - 1:
        return Message("every present deputy has a slip already; void an unused slip first")
    return None


def undo_check_in(session: Session, round_: Round, deputy: Deputy) -> None:
    existing = session.scalar(select(Attendance).where(Attendance.round_pk == round_.id,
                                                       Attendance.deputy_id == deputy.id))
    if existing is None:
        raise NotFound("%(deputy_name)s was not checked in", deputy_name=deputy.name)
    refusal = undo_refusal(session, round_)
    if refusal is not None:
        raise Conflict(Message("%(deputy_name)s cannot be unmarked: %(reason)s",
                               deputy_name=deputy.name, reason=refusal))
    session.delete(existing)
    session.flush()


def open_round(session: Session, round_: Round) -> Round:
    if round_.state != RoundState.draft:
        raise Conflict("round %(round_id)s is %(state)s, not a draft", round_id=round_.round_id,
                       state=label(round_.state))
    present, required = present_count(session, round_), quorum_required(session, round_)
    if present < required:
        raise Conflict("no quorum: %(present)s present, %(required)s required", present=present,
                       required=required)
    freeze(session, round_)
    round_.state = RoundState.open
    session.flush()
    return round_


def close_round(session: Session, round_: Round, rng: Randomness = SYSTEM_RANDOMNESS) -> Round:
    """Close voting; the challenged ballots held meanwhile go on the board, shuffled."""
    if round_.state != RoundState.open:
        raise Conflict("round %(round_id)s is %(state)s, not open", round_id=round_.round_id,
                       state=label(round_.state))
    # Take the board's head lock: a cast in flight either lands before the close or
    # finds the round closed, never half of each.
    session.scalar(select(BoardHead).where(BoardHead.round_pk == round_.id).with_for_update())
    publish_held_challenges(session, round_, rng)
    round_.state = RoundState.closed
    round_.present = present_count(session, round_)
    session.flush()
    return round_
