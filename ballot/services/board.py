"""Appending to a round's board: serialised through its one head row.

PostgreSQL: ``SELECT ... FOR UPDATE`` on the head row, so any number of
gunicorn workers queue on it and the chain never forks. SQLite: every write
transaction starts with ``BEGIN IMMEDIATE`` (ballot.db), which already
serialises writers. The unique (round, index) constraint backs both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.models import BoardEntry, BoardHead, Round
from ballot.record import BoardLine
from crypto.board import entry_digest, next_hash
from crypto.canonical import canonical_json, parse_json


def lock_head(session: Session, round_: Round) -> BoardHead:
    head = session.scalar(select(BoardHead).where(BoardHead.round_pk == round_.id)
                          .with_for_update().execution_options(populate_existing=True))
    if head is None:
        raise RuntimeError(f"round {round_.round_id} has no board: freeze it first")
    return head


def append(session: Session, round_: Round, entry: dict[str, Any]) -> BoardEntry:
    """Append one entry under the head lock; the caller's transaction commits it."""
    context = bytes.fromhex(round_.context or "")
    head = lock_head(session, round_)
    digest = entry_digest(context, entry)
    new_hash = next_hash(bytes.fromhex(head.hash), digest)
    row = BoardEntry(round_pk=round_.id, index=head.length + 1, type=entry["type"],
                     entry_json=canonical_json(entry).decode("utf-8"), digest=digest.hex(),
                     hash=new_hash.hex())
    head.length += 1
    head.hash = new_hash.hex()
    session.add(row)
    session.flush()
    return row


STREAM_ROWS = 64
"""Board rows fetched at a time by the streaming readers below."""


def board_rows(session: Session, round_: Round) -> list[BoardEntry]:
    return list(session.scalars(select(BoardEntry).where(BoardEntry.round_pk == round_.id)
                                .order_by(BoardEntry.index)))


def board_lines(session: Session, round_: Round) -> list[BoardLine]:
    return list(iter_board_lines(session, round_))


def iter_board_lines(session: Session, round_: Round) -> Iterator[BoardLine]:
    """The board's lines in order, read a few rows at a time.

    A board of thousands of 80-row ballots is tens of megabytes of JSON: a
    caller that turns each line into something else keeps only its own
    result, not every row as well.
    """
    rows = session.scalars(select(BoardEntry).where(BoardEntry.round_pk == round_.id)
                           .order_by(BoardEntry.index)
                           .execution_options(yield_per=STREAM_ROWS))
    for r in rows:
        yield BoardLine(r.index, parse_json(r.entry_json), bytes.fromhex(r.digest),
                        bytes.fromhex(r.hash))


def cast_entries_json(session: Session, round_: Round) -> Iterator[str]:
    """Each cast entry's canonical JSON in board order, read a few rows at a time."""
    return iter(session.scalars(
        select(BoardEntry.entry_json)
        .where(BoardEntry.round_pk == round_.id, BoardEntry.type == "cast")
        .order_by(BoardEntry.index).execution_options(yield_per=STREAM_ROWS)))
