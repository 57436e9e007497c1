"""Racing casts against a real server: gunicorn, 4 workers, on PostgreSQL.

200 cast requests over 50 credentials, each credential with 4 different
ballots, all released at once from 200 client threads. Exactly 50 ballots
must land, one per credential; every accepted request gets a receipt that
verifies for exactly its ballot, every refused one a clear reason; the chain
stays one line; and the round then tallies to exactly the accepted ballots
and its record verifies.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ballot.rehearsal import RehearsalConfig
from ballot.verifier import verify_record_files
from booth.cast_client import check_cast_answer, prepare_cast
from tests.conftest import fresh_postgres
from tests.live_server import request
from tests.slow.server_round import (
    ServedRound,
    audit_board,
    parse_lines,
    random_marks,
    served_round,
    sorted_receipts,
    sums,
)

pytestmark = pytest.mark.slow

CREDENTIALS = 50
TRIES = 4
CONFIG = RehearsalConfig(rows=4, seats=2, deputies=CREDENTIALS, present=CREDENTIALS,
                         voters=CREDENTIALS, spoil=0, voided=0, trustees=2, threshold=2,
                         scrypt_n=2**10, election_id="race-2026")


@pytest.fixture
def served(postgres_server: str, tmp_path: Path) -> Iterator[ServedRound]:
    yield from served_round(fresh_postgres(postgres_server), tmp_path, CONFIG)


def test_two_hundred_racing_casts_over_fifty_credentials(served: ServedRound) -> None:
    served.server.start()
    params = served.parameters()
    chooser = random.Random(2026)
    attempts = []
    for slip, issued in enumerate(served.run.slips[:CREDENTIALS]):
        for _ in range(TRIES):
            marks = random_marks(params, chooser)
            attempts.append((slip, marks, prepare_cast(params, issued.code, marks)))
    chooser.shuffle(attempts)
    start = threading.Barrier(len(attempts))
    answers: list[tuple[int, Any] | BaseException | None] = [None] * len(attempts)

    def send(n: int) -> None:
        start.wait()
        try:
            answers[n] = request(served.server.url, "POST", served.cast_path,
                                 attempts[n][2].body)
        except BaseException as exc:  # kept and reported below, not lost in the thread
            answers[n] = exc

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    failures = [a for a in answers if not isinstance(a, tuple)]
    assert not failures, f"{len(failures)} requests got no answer: {failures[:3]}\n" + \
        served.server.log_tail()
    statuses = Counter(a[0] for a in answers if isinstance(a, tuple))
    assert statuses == {201: CREDENTIALS, 409: CREDENTIALS * (TRIES - 1)}, statuses
    held: list[dict[str, Any]] = []
    accepted_marks: list[list[list[int]]] = []
    winners: Counter[int] = Counter()
    for (slip, marks, prepared), answer in zip(attempts, answers, strict=True):
        assert isinstance(answer, tuple)
        status, doc = answer
        if status == 409:
            assert doc == {"error": "此凭证已投过票"}
            continue
        check_cast_answer(params, prepared, doc)  # signed, for exactly this ballot
        assert doc["repeated"] is False
        held.append({"receipt": doc["receipt"], "signature": doc["signature"]})
        accepted_marks.append(marks)
        winners[slip] += 1
    assert set(winners.values()) == {1}
    assert len(winners) == CREDENTIALS
    assert len({doc["receipt"]["index"] for doc in held}) == CREDENTIALS

    audit = audit_board(served, held)
    assert (audit.cast, audit.receipts, audit.spent) == (CREDENTIALS,) * 3

    served.server.stop()
    outcome = served.run.count()
    report = verify_record_files(outcome.files)
    assert report.cast == CREDENTIALS
    assert report.counts == sums(accepted_marks)
    assert report.receipts == CREDENTIALS  # each checked against the verified board
    assert sorted_receipts(parse_lines(outcome.files["receipts.jsonl"])) == \
        sorted_receipts(held)
