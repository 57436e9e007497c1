"""What anyone may read: rounds, the board, receipts checked, challenged ballots, turnout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballot.errors import InvalidInput, NotFound
from ballot.models import BoardEntry, BoardHead, Round, RoundState
from ballot.rules import MajorityLine, majority_line
from ballot.services import rounds
from ballot.services.elections import get_election
from ballot.services.rounds import get_round, manifest_of
from ballot.services.tally import election_record
from crypto.canonical import hex_bytes, parse_json
from crypto.encrypted_ballot import (
    BallotOpening,
    EncryptedBallot,
    ballot_digest,
    check_opening,
    fingerprint,
)
from crypto.errors import CryptoError
from crypto.group import Point
from crypto.pinning import PinnedRound, pin_round
from crypto.receipts import verify_receipt

PAGE_SIZE = 50


def visible_rounds(session: Session) -> list[Round]:
    """Rounds whose ballot is fixed: open, closed, counted or published."""
    return list(session.scalars(select(Round).where(Round.manifest_json.is_not(None))
                                .order_by(Round.created)))


def board_page(session: Session, round_: Round, page: int) -> tuple[list[BoardEntry], int]:
    total = session.scalar(select(func.count()).select_from(BoardEntry).where(
        BoardEntry.round_pk == round_.id)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = list(session.scalars(select(BoardEntry).where(BoardEntry.round_pk == round_.id)
                                .order_by(BoardEntry.index).offset((page - 1) * PAGE_SIZE)
                                .limit(PAGE_SIZE)))
    return rows, pages


def round_parameters(session: Session, round_: Round) -> dict[str, Any]:
    """What a tablet is given to vote with (``GET /api/rounds/...``): public data only.

    The manifest travels as its canonical text, the exact bytes hashed, with
    election.json, so a tablet can recompute ``Q`` and pin it rather than trust
    the ``joint_key`` and ``context`` stated beside them.
    """
    board_head = head(session, round_)
    return {
        "election_id": round_.election_id,
        "round_id": round_.round_id,
        "state": round_.state.value,
        "manifest": parse_json(round_.manifest_json or ""),
        "manifest_json": round_.manifest_json,
        "election": election_record(round_),
        "joint_key": round_.election.joint_key,
        "context": round_.context,
        "board": {"length": board_head.length if board_head else 0,
                  "hash": board_head.hash if board_head else None},
    }


def pinned_round(session: Session, round_: Round) -> PinnedRound:
    """The round as a deputy's tablet sees it: pinned from :func:`round_parameters`.

    For the rehearsal's simulated deputies and the tests; the browser does the
    same in booth/static/protocol/pinning.js.
    """
    params = round_parameters(session, round_)
    return pin_round(params["manifest_json"] or "", params["election"],
                     claimed_joint_key=params["joint_key"], claimed_context=params["context"])


def head(session: Session, round_: Round) -> BoardHead | None:
    return session.get(BoardHead, round_.id)


@dataclass(frozen=True)
class Turnout:
    issued: int
    cast: int


def turnout(session: Session, round_: Round) -> Turnout:
    return Turnout(rounds.issued_count(session, round_), rounds.cast_count(session, round_))


@dataclass(frozen=True)
class ReceiptCheck:
    round: Round
    index: int
    ballot_fingerprint: str


def check_receipt(session: Session, doc: Any) -> ReceiptCheck:
    """Signature by the round's receipt key, and entry k on the board as receipted."""
    if not isinstance(doc, dict) or set(doc) != {"receipt", "signature"}:
        raise InvalidInput("a receipt has exactly two parts: receipt and signature")
    receipt = doc["receipt"]
    if not isinstance(receipt, dict):
        raise InvalidInput("the receipt part must be an object")
    try:
        election = get_election(session, str(receipt.get("election_id")))
        round_ = get_round(session, election.id, str(receipt.get("round_id")))
    except NotFound:
        raise InvalidInput("no such election or round: the receipt names "
                           "%(election_id)s/%(round_id)s", election_id=receipt.get('election_id'),
                           round_id=receipt.get('round_id')) from None
    try:
        signature = hex_bytes(doc["signature"], 64, "signature")
        verify_receipt(receipt, signature, bytes.fromhex(election.receipt_public_key))
    except CryptoError as exc:
        raise InvalidInput("the receipt's signature does not verify: %(exc)s", exc=exc) from None
    entry = session.scalar(select(BoardEntry).where(BoardEntry.round_pk == round_.id,
                                                    BoardEntry.index == receipt["index"]))
    if entry is None:
        raise InvalidInput("the board has no entry %(index)s: the ballot is missing",
                           index=receipt['index'])
    if entry.type != "cast":
        raise InvalidInput("entry %(index)s on the board is not a cast ballot",
                           index=receipt['index'])
    if entry.digest != receipt["entry_digest"] or entry.hash != receipt["board_hash"]:
        raise InvalidInput("entry %(index)s on the board differs from the one receipted: it was "
                           "changed or the board was rewritten", index=receipt['index'])
    ballot = parse_json(entry.entry_json)["ballot"]
    digest = ballot_digest(round_.context_bytes, ballot)
    return ReceiptCheck(round_, entry.index, fingerprint(digest))


@dataclass(frozen=True)
class OpenedBallot:
    round: Round
    index: int
    fingerprint: str
    marks: list[tuple[str, str, str | None]]
    """(project code, title, option marked or None for 弃权) per row."""


def opened_ballot(session: Session, round_: Round, index: int) -> OpenedBallot:
    """A challenged (spoiled) ballot, re-checked and decoded for anyone to see."""
    entry = session.scalar(select(BoardEntry).where(BoardEntry.round_pk == round_.id,
                                                    BoardEntry.index == index))
    if entry is None or entry.type != "spoiled":
        raise NotFound("entry %(index)s of this board is not a challenged ballot", index=index)
    doc = parse_json(entry.entry_json)
    manifest = manifest_of(round_)
    joint_key = Point.from_bytes(bytes.fromhex(round_.election.joint_key or ""))
    try:
        ballot = EncryptedBallot.from_json(doc["ballot"], manifest)
        opening = BallotOpening.from_json(doc["plaintext"], doc["nonces"], manifest)
        check_opening(ballot, opening, joint_key)
    except CryptoError as exc:
        raise InvalidInput("entry %(index)s does not open: %(exc)s", index=index, exc=exc) from None
    titles = {row["id"]: row["title"] for row in manifest.data["rows"]}
    marks = []
    for row_id, row in zip(manifest.row_ids, opening.plaintext, strict=True):
        chosen = [o for o, m in zip(manifest.options, row, strict=True) if m]
        marks.append((row_id, titles[row_id], chosen[0] if chosen else None))
    digest = ballot_digest(round_.context_bytes, doc["ballot"])
    return OpenedBallot(round_, index, fingerprint(digest), marks)


def is_published(round_: Round) -> bool:
    return round_.state == RoundState.published


def majority_of(round_: Round) -> MajorityLine | None:
    """The majority line of a counted round (what its result passed rows on), or None
    before it is counted."""
    result = round_.result
    if not result:
        return None
    return majority_line(manifest_of(round_), result["reconciliation"]["cast"])
