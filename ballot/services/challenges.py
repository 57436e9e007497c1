"""Challenged ballots held until their round closes, then published together, shuffled.

A challenge posted the moment it is made would stand on the public board
right before the cast that follows from the same tablet, usually with the
same marks: the board itself would pair them. So the cast API only holds a
checked challenge (``casting.hold_challenge``), and closing the round
appends every held one at once in random order, before the tally.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballot.models import HeldChallenge, Round
from ballot.services import board
from crypto.canonical import parse_json
from crypto.rng import SYSTEM_RANDOMNESS, Randomness, shuffled


def held_count(session: Session, round_: Round) -> int:
    return session.scalar(select(func.count()).select_from(HeldChallenge).where(
        HeldChallenge.round_pk == round_.id)) or 0


def publish_held_challenges(session: Session, round_: Round,
                            rng: Randomness = SYSTEM_RANDOMNESS) -> int:
    """Append the held challenges to the board in random order; return how many.

    The caller holds the board's head lock (``rounds.close_round``). PROTOCOL.md §6
    lets spoiled entries stand anywhere before the tally.
    """
    held = list(session.scalars(select(HeldChallenge).where(
        HeldChallenge.round_pk == round_.id).order_by(HeldChallenge.id)))
    for row in shuffled(held, rng):
        board.append(session, round_, parse_json(row.entry_json))
        session.delete(row)
    session.flush()
    return len(held)
