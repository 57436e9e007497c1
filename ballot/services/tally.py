"""Closing the count: aggregates, trustees' shares, counts, result, publication,
and the runoff or further round a result calls for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.candidate_ratio import candidate_bounds
from ballot.errors import Conflict, InvalidInput
from ballot.labels import label
from ballot.models import Round, RoundKind, RoundState, TrusteeDecryption
from ballot.rules import Reconciliation, compute_result
from ballot.services import board, rectification, tracking
from ballot.services.ceremony import published_commitments
from ballot.services.rounds import cast_count, create_round, issued_count, manifest_of
from ballot.tally_request import make_request
from crypto.canonical import canonical_json, parse_json, point_from_hex
from crypto.ceremony import public_share
from crypto.elgamal import Ciphertext
from crypto.encrypted_ballot import EncryptedBallot
from crypto.errors import CryptoError
from crypto.tally import (
    Aggregates,
    DecryptionShare,
    aggregate,
    aggregates_to_json,
    combine_counts,
    verify_decryption_share,
)


def election_record(round_: Round) -> dict[str, Any]:
    """``election.json``: the ceremony's public result."""
    election = round_.election
    return {"election_id": election.id, "threshold": election.threshold,
            "joint_key": election.joint_key,
            "trustees": [t.commitment for t in election.trustees]}


def compute_aggregates(session: Session, round_: Round) -> Aggregates:
    """The cell-wise sums of the cast ballots, each parsed, added in and dropped.

    A parsed 80 × 2 ballot with its proofs is about 0.15 MiB of Python objects;
    summing as the rows are read keeps one alive at a time, not the whole board
    (bench/memory.py).
    """
    manifest = manifest_of(round_)
    ballots = (EncryptedBallot.from_json(parse_json(entry_json)["ballot"], manifest)
               for entry_json in board.cast_entries_json(session, round_))
    return aggregate(ballots, len(manifest.row_ids), len(manifest.options))


def stored_aggregates(round_: Round) -> Aggregates:
    cells = parse_json(round_.aggregates_json or "[]")
    return tuple(tuple(Ciphertext(point_from_hex(c["A"]), point_from_hex(c["B"]))
                       for c in row) for row in cells)


def decryption_request(session: Session, round_: Round) -> dict[str, Any]:
    """The file each trustee decrypts offline; aggregates are computed once and kept."""
    if round_.state not in (RoundState.closed, RoundState.tallied, RoundState.published):
        raise Conflict("round %(round_id)s must be closed before counting",
                       round_id=round_.round_id)
    if cast_count(session, round_) == 0:
        raise Conflict("no ballots were cast: there is nothing to decrypt; combine directly")
    aggregates = compute_aggregates(session, round_)
    round_.aggregates_json = canonical_json(aggregates_to_json(aggregates)).decode("utf-8")
    return make_request((round_.manifest_json or "").encode("utf-8"), election_record(round_),
                        [line.to_json() for line in board.iter_board_lines(session, round_)],
                        aggregates)


def import_share(session: Session, round_: Round, doc: Any) -> TrusteeDecryption:
    """Check a trustee's decryption share on upload; a wrong one is refused and named."""
    if round_.state != RoundState.closed:
        raise Conflict("round %(round_id)s is %(state)s: shares are taken while it is closed and "
                       "not yet counted", round_id=round_.round_id, state=label(round_.state))
    if round_.aggregates_json is None:
        raise Conflict("make the decryption request first")
    if not isinstance(doc, dict) or doc.get("format") != "piaojue-decryption/1":
        raise InvalidInput("not a decryption share file (piaojue-decryption/1)")
    if doc.get("election_id") != round_.election_id or doc.get("round_id") != round_.round_id:
        raise InvalidInput("this share is for %(election_id)s/%(round_id)s, not "
                           "%(election_id2)s/%(round_id2)s", election_id=doc.get('election_id'),
                           round_id=doc.get('round_id'), election_id2=round_.election_id,
                           round_id2=round_.round_id)
    manifest = manifest_of(round_)
    try:
        share = DecryptionShare.from_json(doc.get("share"), len(manifest.row_ids),
                                          len(manifest.options))
    except CryptoError as exc:
        raise InvalidInput("the share file is malformed: %(exc)s", exc=exc) from None
    election = round_.election
    if not 1 <= share.trustee <= election.trustees_n:
        raise InvalidInput("there is no trustee %(trustee)s", trustee=share.trustee)
    if session.scalar(select(TrusteeDecryption).where(
            TrusteeDecryption.round_pk == round_.id,
            TrusteeDecryption.trustee_index == share.trustee)):
        raise Conflict("trustee %(trustee)s's share is in already", trustee=share.trustee)
    X = public_share(published_commitments(election), share.trustee)
    try:
        verify_decryption_share(share, X, stored_aggregates(round_),
                                bytes.fromhex(round_.context or ""))
    except CryptoError as exc:
        name = election.trustees[share.trustee - 1].name
        raise InvalidInput("refused: %(exc)s (trustee %(trustee)s, %(name)s)", exc=exc,
                           trustee=share.trustee, name=name) from None
    row = TrusteeDecryption(round_pk=round_.id, trustee_index=share.trustee,
                            share_json=canonical_json(share.to_json()).decode("utf-8"))
    session.add(row)
    session.flush()
    return row


def shares_in(session: Session, round_: Round) -> list[TrusteeDecryption]:
    return list(session.scalars(select(TrusteeDecryption).where(
        TrusteeDecryption.round_pk == round_.id).order_by(TrusteeDecryption.trustee_index)))


def combine(session: Session, round_: Round) -> dict[str, Any]:
    """Counts from any t valid shares, then the result by PROTOCOL.md §10."""
    if round_.state != RoundState.closed:
        raise Conflict("round %(round_id)s is %(state)s, not closed", round_id=round_.round_id,
                       state=label(round_.state))
    manifest = manifest_of(round_)
    cast = cast_count(session, round_)
    threshold = round_.election.threshold
    if cast == 0:
        counts = [[0] * len(manifest.options) for _ in manifest.row_ids]
        round_.aggregates_json = None
    else:
        rows = shares_in(session, round_)
        if len(rows) < threshold:
            raise Conflict("%(rows_count)s of the %(threshold)s decryption shares needed are in",
                           rows_count=len(rows), threshold=threshold)
        chosen = rows[:threshold]
        shares = {r.trustee_index: DecryptionShare.from_json(
            parse_json(r.share_json), len(manifest.row_ids), len(manifest.options))
            for r in chosen}
        counts = [list(r) for r in combine_counts(stored_aggregates(round_), shares,
                                                  threshold, cast)]
    reconciliation = Reconciliation(manifest.enrolled, round_.present or 0,
                                    issued_count(session, round_), cast)
    problems = reconciliation.problems()
    if problems:
        raise Conflict("reconciliation fails: %(problems)s", problems='; '.join(problems))
    round_.counts = counts
    round_.result = compute_result(manifest, counts, reconciliation)
    round_.state = RoundState.tallied
    session.flush()
    return round_.result


def used_shares(session: Session, round_: Round) -> list[dict[str, Any]]:
    """The t shares the counts were combined from, as published in tally.json."""
    if not round_.aggregates_json:
        return []
    return [parse_json(r.share_json)
            for r in shares_in(session, round_)[: round_.election.threshold]]


def publish(session: Session, round_: Round) -> Round:
    if round_.state != RoundState.tallied:
        raise Conflict("round %(round_id)s is %(state)s: count it first", round_id=round_.round_id,
                       state=label(round_.state))
    round_.state = RoundState.published
    session.flush()
    # What a published result sets going: elected projects are tracked (晒单);
    # a re-rating settles the rectifications it was opened for (评单).
    if round_.kind == RoundKind.selection:
        tracking.start_tracking(session, round_)
    else:
        rectification.settle(session, round_)
    return round_


def create_followup(session: Session, round_: Round, round_id: str, title: str) -> Round:
    """The runoff (tied rows) or further round (unfilled seats) a result calls for."""
    if round_.state not in (RoundState.tallied, RoundState.published) or not round_.result:
        raise Conflict("only a counted round can call for another")
    existing = session.scalar(select(Round).where(Round.parent_id == round_.id))
    if existing is not None:
        raise Conflict("round %(round_id)s already follows round %(round_id2)s",
                       round_id=existing.round_id, round_id2=round_.round_id)
    result = round_.result
    code_to_project = {row.project.code: row.project_id for row in round_.rows}
    if result.get("runoff"):
        runoff = result["runoff"]
        project_ids = [code_to_project[c] for c in runoff["candidates"]]
        seats = runoff["seats"]
    elif result.get("unfilled"):
        seats = result["unfilled"]
        # Further round: the best not-elected rows by first-round 赞成, as few as the
        # election's 差额 ratio allows for the unfilled seats.
        pool = sorted((r for r in result["rows"] if r["status"] != "elected"),
                      key=lambda r: -r["for"])
        bounds = candidate_bounds(round_.election.candidate_ratio, seats)
        if len(pool) < bounds.fewest:
            raise Conflict("%(left)s candidates remain for %(seats)s unfilled seats: a further "
                           "round needs at least %(fewest)s (差额)", left=len(pool), seats=seats,
                           fewest=bounds.fewest)
        project_ids = [code_to_project[r["id"]] for r in pool[:bounds.fewest]]
    else:
        raise Conflict("this result calls for no further round: every seat is filled")
    return create_round(session, round_.election, round_id=round_id, kind="selection",
                        title=title, project_ids=project_ids, seats=seats,
                        basis=round_.basis or "enrolled", options=tuple(round_.options),
                        parent=round_)
