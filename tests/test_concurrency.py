"""Real concurrent casts: 20 threads, 10 credentials, each credential used twice.

Exactly 10 ballots must land, every other attempt refused with its reason,
and the chain must stay one line with no fork: on SQLite (BEGIN IMMEDIATE)
and on PostgreSQL (a row lock on the board head).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ballot.errors import CastRefused
from ballot.rehearsal import Rehearsal, RehearsalConfig
from ballot.services import board, casting, rounds
from crypto.board import chain
from tests.tablet import encrypt_marks, sign_with_code

CONFIG = RehearsalConfig(rows=3, seats=2, deputies=12, present=10, voters=10, spoil=0,
                         voided=0, trustees=2, threshold=2, scrypt_n=2**10)


@pytest.mark.slow
def test_twenty_threads_ten_credentials(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    run = Rehearsal(sessions, CONFIG, tmp_path)
    run.setup()
    run.ceremony()
    run.open()
    attempts = []
    with sessions.begin() as s:
        round_ = rounds.get_round(s, run.eid, run.round_id)
        for i in range(20):
            prepared = encrypt_marks(round_, [[1, 0], [0, i % 2], [0, 0]])
            attempts.append((prepared.ballot, *sign_with_code(round_, run.slips[i % 10].code,
                                                             prepared)))
    start = threading.Barrier(len(attempts))
    outcomes: list[str] = [""] * len(attempts)

    def cast(n: int) -> None:
        ballot, key, sig = attempts[n]
        start.wait()
        try:
            with sessions.begin() as s:
                casting.cast(s, rounds.get_round(s, run.eid, run.round_id), ballot, key, sig,
                             run.at_rest)
            outcomes[n] = "cast"
        except CastRefused as exc:
            outcomes[n] = str(exc)

    threads = [threading.Thread(target=cast, args=(n,)) for n in range(len(attempts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert outcomes.count("cast") == 10
    assert all(o == "cast" or o == "this credential has already cast a ballot" for o in outcomes)
    with sessions.begin() as s:
        round_ = rounds.get_round(s, run.eid, run.round_id)
        rows = board.board_rows(s, round_)
        lines = board.board_lines(s, round_)
        context = round_.context_bytes
    assert [r.index for r in rows] == list(range(1, len(rows) + 1))
    assert sum(1 for r in rows if r.type == "cast") == 10
    expected = chain(context, [line.entry for line in lines])
    assert [(line.digest, line.hash) for line in lines] == expected
    used = [line.entry["credential"] for line in lines if line.entry["type"] == "cast"]
    assert len(set(used)) == 10
