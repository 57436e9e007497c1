"""The costly part of verifying a board, done inline or spread over processes.

Checking a board splits in two. The chain, the credential bookkeeping and the
entry shapes depend on the order of the entries and cost little; the verifier
walks them one by one. The ballot proofs, the credential signatures and the
Benaloh openings are independent of each other and cost nearly all the time
(an 80 × 2 ballot takes about 140 ms), so they are checked here in chunks,
each returning the sum of its cast ballots, which the caller adds up: the
aggregates come out of the same pass and no parsed ballot outlives its chunk.

``piaojue verify --jobs N`` hands the chunks to N worker processes; the result
and the first failure reported are the same as with one job, because chunks
are taken in board order and a chunk stops at its first failure. Entries
arrive one by one as the verifier reads the board, and only a few chunks are
ever in flight, so a long board is never held in memory whole.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from crypto.canonical import hex_bytes, parse_json
from crypto.credentials import verify_cast
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
from crypto.tally import Aggregates, RunningAggregates

PendingEntry = tuple[int, dict[str, Any]]
"""A cast or spoiled entry whose shape and credential bookkeeping already passed:
its board index and the entry itself."""

CHUNK = 8
"""Entries per task: small enough for an even spread over the workers, a
progress bar that moves and little memory in flight, large enough that
sending a chunk costs little beside checking it."""


class EntryInvalid(ValueError):
    """An entry's ballot, signature or opening does not verify."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class ChunkResult:
    """All a chunk sends back: no parsed ballot leaves the process that checked it.

    The chain facts (digests, heads, credential bookkeeping) are the walking
    process's own; a chunk needs to say only what its ballots add up to and
    where, if anywhere, it failed.
    """

    aggregates: Aggregates
    """The cell-wise sum of the chunk's cast ballots."""
    failure: tuple[int, str] | None
    """The board index and reason of the chunk's first failure, if any."""


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
        """Check the chunk's entries in order, adding each cast ballot in as it passes."""
        m = self.manifest
        total = RunningAggregates(len(m.row_ids), len(m.options))
        failure = None
        for index, entry in chunk:
            try:
                ballot = self.check(entry)
            except CryptoError as exc:
                failure = (index, str(exc))
                break
            if ballot is not None:
                total.add_ballot(ballot)
        return ChunkResult(total.value(), failure)


class BoardChecks:
    """Entries handed over in board order, checked in chunks, results taken in order.

    At most ``2 * jobs`` chunks are in flight, so memory stays bounded however
    long the board: the verifier can read the board line by line and forget
    each entry once its chunk is checked. :meth:`add` and :meth:`finish` raise
    :class:`EntryInvalid` for the first failing entry in board order: a chunk's
    result is taken only after every earlier chunk's, and an entry is handed
    over only after every entry before it passed the caller's own checks.
    """

    def __init__(self, checker: BallotChecker, jobs: int = 1,
                 progress: Callable[[int], None] = lambda done: None) -> None:
        m = checker.manifest
        self.checker, self.progress = checker, progress
        self.total = RunningAggregates(len(m.row_ids), len(m.options))
        self._chunk: list[PendingEntry] = []
        self._in_flight: deque[tuple[int, Future[ChunkResult]]] = deque()
        self._pool: ProcessPoolExecutor | None = None
        if jobs > 1:
            # spawn, not fork: the caller may hold threads (a web worker) or open
            # database connections that a forked child must not share.
            self._pool = ProcessPoolExecutor(
                jobs, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(m.canonical_bytes(), bytes(checker.joint_key), checker.context))
            self._limit = 2 * jobs

    def __enter__(self) -> BoardChecks:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def add(self, index: int, entry: dict[str, Any]) -> None:
        self._chunk.append((index, entry))
        if len(self._chunk) == CHUNK:
            self._send()

    def finish(self) -> Aggregates:
        """Check what is left; return the sum of every cast ballot handed over."""
        if self._chunk:
            self._send()
        while self._in_flight:
            self._take()
        return self.total.value()

    def _send(self) -> None:
        chunk, self._chunk = self._chunk, []
        last = chunk[-1][0]
        if self._pool is None:
            self._use(last, self.checker.check_chunk(chunk))
            return
        self._in_flight.append((last, self._pool.submit(_check_in_worker, chunk)))
        while len(self._in_flight) >= self._limit:
            self._take()

    def _take(self) -> None:
        last, future = self._in_flight.popleft()
        self._use(last, future.result())

    def _use(self, last: int, result: ChunkResult) -> None:
        if result.failure is not None:
            raise EntryInvalid(*result.failure)
        self.total.add_aggregates(result.aggregates)
        self.progress(last)


_worker_checker: BallotChecker | None = None
"""Each worker process's checker, made once by :func:`_start_worker`."""


def _start_worker(manifest_bytes: bytes, joint_key: bytes, context: bytes) -> None:
    global _worker_checker
    _worker_checker = BallotChecker(Manifest.from_json(parse_json(manifest_bytes)),
                                    Point.from_bytes(joint_key), context)


def _check_in_worker(chunk: Sequence[PendingEntry]) -> ChunkResult:
    assert _worker_checker is not None, "worker started without _start_worker"
    return _worker_checker.check_chunk(chunk)
