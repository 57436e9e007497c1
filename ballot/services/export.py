"""The election record of one round, exactly as PROTOCOL.md §9 lists it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.errors import Conflict
from ballot.models import Receipt, Round, RoundState
from ballot.record import record_files
from ballot.services import board
from ballot.services.rounds import cast_count
from ballot.services.tally import compute_aggregates, election_record, used_shares
from crypto.canonical import parse_json
from crypto.tally import aggregates_to_json


def record_files_for(session: Session, round_: Round, with_receipts: bool = True
                     ) -> dict[str, bytes]:
    if round_.state not in (RoundState.tallied, RoundState.published) or round_.result is None:
        raise Conflict("round %(round_id)s has no result yet: count it first",
                       round_id=round_.round_id)
    receipts = None
    if with_receipts:
        receipts = [{"receipt": parse_json(r.receipt_json), "signature": r.signature}
                    for r in session.scalars(select(Receipt).where(
                        Receipt.round_pk == round_.id).order_by(Receipt.index))]
    return record_files(
        manifest_bytes=(round_.manifest_json or "").encode("utf-8"),
        election=election_record(round_),
        board=board.board_lines(session, round_),
        tally={"cast": cast_count(session, round_),
               "aggregates": (parse_json(round_.aggregates_json) if round_.aggregates_json
                              else aggregates_to_json(compute_aggregates(session, round_))),
               "shares": used_shares(session, round_), "counts": round_.counts},
        result=round_.result,
        receipts=receipts,
    )
