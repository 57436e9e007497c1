"""Rate limits hold across real gunicorn workers on PostgreSQL (issue 13, item 11).

A check before the work and a count written after it let every request of a
burst through: each worker read the same count. Here 40 requests, each with a
well-formed credential key that was never issued (so each one counts), are
released at once against 4 workers from one address; the limit is 5 in five
minutes, so exactly 5 may be judged (400) and all the others must be refused
(429), and the database holds exactly 5 counted attempts.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ballot.models import RateEvent
from ballot.rehearsal import RehearsalConfig
from booth.api import CODE_ATTEMPTS
from crypto.credentials import derive_credential_key, generate_code, public_key_bytes
from tests.conftest import fresh_postgres
from tests.live_server import request
from tests.slow.server_round import ServedRound, served_round

pytestmark = pytest.mark.slow

BURST = 40
CONFIG = RehearsalConfig(rows=3, seats=1, deputies=4, present=4, voters=4, spoil=0, voided=0,
                         trustees=2, threshold=2, scrypt_n=2**10, election_id="limits-2026")


@pytest.fixture
def served(postgres_server: str, tmp_path: Path) -> Iterator[ServedRound]:
    yield from served_round(fresh_postgres(postgres_server), tmp_path, CONFIG)


def test_a_burst_of_unusable_codes_gets_no_more_than_the_limit_judged(
        served: ServedRound) -> None:
    served.server.start()
    run = served.run
    path = f"/api/rounds/{run.eid}/{run.round_id}/credential"
    keys = [public_key_bytes(derive_credential_key(generate_code(), run.eid, run.round_id)).hex()
            for _ in range(BURST)]
    start = threading.Barrier(BURST)
    answers: list[tuple[int, Any] | BaseException | None] = [None] * BURST

    def send(n: int) -> None:
        start.wait()
        try:
            answers[n] = request(served.server.url, "POST", path, {"credential": keys[n]})
        except BaseException as exc:  # reported below
            answers[n] = exc

    threads = [threading.Thread(target=send, args=(n,)) for n in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = Counter(a[0] if isinstance(a, tuple) else repr(a) for a in answers)
    assert statuses[400] <= CODE_ATTEMPTS, statuses
    assert statuses[400] + statuses[429] == BURST, statuses
    assert statuses[400] >= 1, statuses  # the limit is not a wall for the first ones
    with served.sessions() as s:
        counted = s.scalar(select(func.count()).select_from(RateEvent).where(
            RateEvent.bucket == "code"))
    assert counted == statuses[400]
