"""Crashes during casting: SIGKILL a real server (gunicorn master and 4 workers, on
PostgreSQL) at random moments during 100 casts, restart it, and carry on.

Eight client threads cast; after a random number of answers, and a random
instant later, the whole server is killed with requests in flight. While it
is down, the board is audited (tests.slow.server_round.audit_board): every
cast on the board has its signed receipt stored, so a receipt was possible;
every receipt a client holds names an entry that is there; the spent
credentials are exactly those with a ballot; the chain recomputes. A client
whose answer was lost sends the same signed ballot again after the restart
and gets either the stored receipt (it had landed) or a new one (it had
not): never a refusal, never a second ballot. At the end the round tallies
to exactly the 100 ballots and its record verifies.

The seed of the random moments is printed, so a failure can be replayed
with PIAOJUE_CRASH_SEED.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ballot.rehearsal import RehearsalConfig
from ballot.verifier import verify_record_files
from booth.cast_client import PreparedCast, RoundParameters, check_cast_answer, prepare_cast
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

CASTS = 100
CLIENTS = 8
KILLS = 5
CONFIG = RehearsalConfig(rows=4, seats=2, deputies=CASTS, present=CASTS, voters=CASTS,
                         spoil=0, voided=0, trustees=2, threshold=2, scrypt_n=2**10,
                         election_id="crash-2026")


@pytest.fixture
def served(postgres_server: str, tmp_path: Path) -> Iterator[ServedRound]:
    yield from served_round(fresh_postgres(postgres_server), tmp_path, CONFIG)


class Life:
    """One run of the server, from its start to its crash (or to the last cast)."""

    def __init__(self, served: ServedRound, params: RoundParameters,
                 casts: list[PreparedCast], pending: list[int], answers_before_kill: int | None
                 ) -> None:
        self.served, self.params, self.casts = served, params, casts
        self.queue = list(pending)
        self.lock = threading.Lock()
        self.answered = 0
        self.enough = threading.Event()
        self.target = answers_before_kill
        self.receipts: dict[int, dict[str, Any]] = {}
        self.statuses: Counter[str] = Counter()

    def client(self) -> None:
        while True:
            with self.lock:
                if not self.queue:
                    return
                n = self.queue.pop()
            try:
                status, doc = request(self.served.server.url, "POST", self.served.cast_path,
                                      self.casts[n].body, timeout=60)
            except OSError:  # the server died with this request in flight: answer lost
                with self.lock:
                    self.statuses["lost"] += 1
                    if self.served.server.process is not None and \
                            self.served.server.process.poll() is not None:
                        return
                continue
            with self.lock:
                self.statuses[str(status)] += 1
                if status in (200, 201):
                    try:
                        check_cast_answer(self.params, self.casts[n], doc)
                    except Exception as exc:  # reported by the test below
                        self.statuses[f"a receipt that does not check: {exc}"] += 1
                        continue
                    self.receipts[n] = {"receipt": doc["receipt"],
                                        "signature": doc["signature"]}
                else:  # reported by the test below
                    self.statuses[f"{status}: {doc}"] += 1
                self.answered += 1
                if self.target is not None and self.answered >= self.target:
                    self.enough.set()

    def run(self, chooser: random.Random) -> None:
        threads = [threading.Thread(target=self.client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        if self.target is not None:
            while not self.enough.wait(0.01):
                if not any(t.is_alive() for t in threads):
                    break
            time.sleep(chooser.uniform(0, 0.05))  # a random instant, requests in flight
            self.served.server.kill()
        for thread in threads:
            thread.join()


def test_sigkill_at_random_moments_during_a_hundred_casts(served: ServedRound) -> None:
    seed = int(os.environ.get("PIAOJUE_CRASH_SEED") or random.SystemRandom().randrange(2**32))
    print(f"crash test seed: {seed} (replay with PIAOJUE_CRASH_SEED={seed})")
    chooser = random.Random(seed)
    served.server.start()
    params = served.parameters()
    marks = [random_marks(params, chooser) for _ in range(CASTS)]
    casts = [prepare_cast(params, slip.code, m)
             for slip, m in zip(served.run.slips[:CASTS], marks, strict=True)]
    held: dict[int, dict[str, Any]] = {}
    statuses: Counter[str] = Counter()
    kills = 0
    while len(held) < CASTS:
        pending = [n for n in range(CASTS) if n not in held]
        chooser.shuffle(pending)
        target = chooser.randint(1, max(1, len(pending) // (KILLS - kills + 1))) \
            if kills < KILLS else None
        life = Life(served, params, casts, pending, target)
        life.run(chooser)
        statuses.update(life.statuses)
        for n, doc in life.receipts.items():
            if n in held:  # a repeat after a crash: the very same receipt
                assert sorted_receipts([doc]) == sorted_receipts([held[n]])
            held[n] = doc
        unexpected = {k: v for k, v in life.statuses.items() if k not in ("200", "201", "lost")}
        assert not unexpected, f"seed {seed}: {unexpected}\n{served.server.log_tail()}"
        if target is not None:
            kills += 1
            audit_board(served, list(held.values()))  # while the server is down
            served.server.start()
    served.server.stop()

    assert kills == KILLS
    assert served.server.starts == KILLS + 1
    audit = audit_board(served, list(held.values()))
    assert (audit.cast, audit.receipts, audit.spent) == (CASTS, CASTS, CASTS)
    print(f"kills: {kills}; answers: {dict(statuses)}")
    outcome = served.run.count()
    report = verify_record_files(outcome.files)
    assert report.cast == CASTS
    assert report.counts == sums(marks)
    assert report.receipts == CASTS
    assert sorted_receipts(parse_lines(outcome.files["receipts.jsonl"])) == \
        sorted_receipts(list(held.values()))
