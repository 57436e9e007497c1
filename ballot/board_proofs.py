"""The costly part of verifying a board, done inline or spread over processes.

Checking a board splits in two. The chain, the credential bookkeeping and the
entry shapes depend on the order of the entries and cost little; the verifier
walks them one by one. The ballot proofs, the credential signatures and the
Benaloh openings are independent of each other and cost nearly all the time
(a 80 × 2 ballot takes about 160 ms), so they are checked here in chunks,
each returning the sum of its cast ballots, which the caller adds up: the
aggregates come out of the same pass and no parsed ballot is kept.

``piaojue verify --jobs N`` hands the chunks to N worker processes; the result
and the first failure reported are the same as with one job, because chunks
are taken in board order and a chunk stops at its first failure.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from crypto.canonical import hex_bytes, parse_json
from crypto.credentials import verify_cast
from crypto.elgamal import ZERO_CIPHERTEXT
from crypto.encrypted_ballot import (
    BallotOpening,
    EncryptedBallot,
    ballot_digest,
    check_opening,
    verify_ballot,
)
from crypto.errors import CryptoError
from crypto.group import Point
from crypto.manifest import Manifest
from crypto.tally import Aggregates

PendingEntry = tuple[int, dict[str, Any]]
"""A cast or spoiled entry whose shape and credential bookkeeping already passed:
its board index and the entry itself."""

CHUNK = 8
"""Entries per task: small enough for an even spread over the workers and a
progress bar that moves, large enough that sending a chunk costs little
beside checking it."""


class EntryInvalid(ValueError):
    """An entry's ballot, signature or opening does not verify."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class ChunkResult:
    aggregates: Aggregates
    """The cell-wise sum of the chunk's cast ballots."""
    checked: int
    failure: tuple[int, str] | None
    """The board index and reason of the chunk's first failure, if any."""


def empty_aggregates(rows: int, options: int) -> Aggregates:
    return tuple(tuple(ZERO_CIPHERTEXT for _ in range(options)) for _ in range(rows))


def add_aggregates(left: Aggregates, right: Aggregates) -> Aggregates:
    return tuple(tuple(a + b for a, b in zip(lrow, rrow, strict=True))
                 for lrow, rrow in zip(left, right, strict=True))


class BallotChecker:
    """Checks entries against one round's manifest, joint key and context Q."""

    def __init__(self, manifest: Manifest, joint_key: Point, context: bytes) -> None:
        self.manifest, self.joint_key, self.context = manifest, joint_key, context

    def _ballot(self, value: Any) -> EncryptedBallot:
        ballot = EncryptedBallot.from_json(value, self.manifest)
        verify_ballot(ballot, self.manifest, self.joint_key, self.context)
        return ballot

    def check(self, entry: dict[str, Any]) -> EncryptedBallot | None:
        """Raise :class:`CryptoError` or return the ballot to tally (``None`` if spoiled)."""
        ballot = self._ballot(entry["ballot"])
        if entry["type"] == "cast":
            digest = ballot_digest(self.context, entry["ballot"])
            verify_cast(hex_bytes(entry["credential"], 32, "credential"),
                        hex_bytes(entry["signature"], 64, "signature"), self.context, digest)
            return ballot
        opening = BallotOpening.from_json(entry["plaintext"], entry["nonces"], self.manifest)
        check_opening(ballot, opening, self.joint_key)
        return None

    def check_chunk(self, chunk: Sequence[PendingEntry]) -> ChunkResult:
        rows, options = len(self.manifest.row_ids), len(self.manifest.options)
        totals = [list(row) for row in empty_aggregates(rows, options)]
        for done, (index, entry) in enumerate(chunk):
            try:
                ballot = self.check(entry)
            except CryptoError as exc:
                return ChunkResult(_freeze(totals), done, (index, str(exc)))
            if ballot is not None:
                for r, row in enumerate(ballot.cells):
                    for o, cell in enumerate(row):
                        totals[r][o] = totals[r][o] + cell.ciphertext
        return ChunkResult(_freeze(totals), len(chunk), None)


def _freeze(totals: list[list[Any]]) -> Aggregates:
    return tuple(tuple(row) for row in totals)


def check_entries(
    checker: BallotChecker,
    pending: Sequence[PendingEntry],
    jobs: int = 1,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> Aggregates:
    """Check every pending entry; return the aggregates of the cast ones.

    Raises :class:`EntryInvalid` for the first entry, in board order, that
    fails. ``jobs > 1`` spreads the chunks over that many processes.
    """
    m = checker.manifest
    total = empty_aggregates(len(m.row_ids), len(m.options))
    chunks = [pending[i:i + CHUNK] for i in range(0, len(pending), CHUNK)]
    done = 0
    progress(0, len(pending))
    for result in _results(checker, chunks, jobs):
        total = add_aggregates(total, result.aggregates)
        done += result.checked
        progress(done, len(pending))
        if result.failure is not None:
            raise EntryInvalid(*result.failure)
    return total


def _results(checker: BallotChecker, chunks: list[Sequence[PendingEntry]],
             jobs: int) -> Iterator[ChunkResult]:
    if jobs <= 1 or len(chunks) <= 1:
        yield from map(checker.check_chunk, chunks)
        return
    # spawn, not fork: the caller may hold threads (a web worker) or open
    # database connections that a forked child must not share.
    context = multiprocessing.get_context("spawn")
    setup = (checker.manifest.canonical_bytes(), bytes(checker.joint_key), checker.context)
    with ProcessPoolExecutor(min(jobs, len(chunks)), mp_context=context,
                             initializer=_start_worker, initargs=setup) as pool:
        try:
            # map() yields in submission order, so the first failure seen is
            # the first in board order.
            yield from pool.map(_check_in_worker, chunks)
        finally:
            pool.shutdown(cancel_futures=True)


_worker_checker: BallotChecker | None = None
"""Each worker process's checker, made once by :func:`_start_worker`."""


def _start_worker(manifest_bytes: bytes, joint_key: bytes, context: bytes) -> None:
    global _worker_checker
    _worker_checker = BallotChecker(Manifest.from_json(parse_json(manifest_bytes)),
                                    Point.from_bytes(joint_key), context)


def _check_in_worker(chunk: Sequence[PendingEntry]) -> ChunkResult:
    assert _worker_checker is not None, "worker started without _start_worker"
    return _worker_checker.check_chunk(chunk)
