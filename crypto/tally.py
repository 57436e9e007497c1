"""Homomorphic tally, trustees' decryption shares and the final counts (§8).

Only the aggregate of each cell is ever decrypted: trustees publish
``M_j = x_j*A`` with a proof, any ``t`` of them combine by Lagrange, and the
count is the small ``m`` with ``m*G == B - M``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from crypto.canonical import point_from_hex
from crypto.ceremony import proof_from_json, proof_to_json
from crypto.decryption_proof import prove_decryption, verify_decryption
from crypto.dlog import discrete_log
from crypto.elgamal import ZERO_CIPHERTEXT, Ciphertext
from crypto.encrypted_ballot import EncryptedBallot
from crypto.errors import InvalidEncoding, InvalidProof
from crypto.group import Point
from crypto.rng import SYSTEM_RANDOMNESS, Randomness
from crypto.schnorr import ProofPair
from crypto.threshold import combine

Aggregates = tuple[tuple[Ciphertext, ...], ...]


class RunningAggregates:
    """A cell-wise sum that ballots are added into one at a time, as they are read.

    A board is read one entry at a time: adding each cast ballot's ciphertexts
    here and then dropping the ballot keeps memory flat however long the board,
    where summing a list needs every parsed ballot, proofs and all (about
    0.15 MiB of Python objects each at 80 × 2), alive at once. Partial sums (a worker's share of
    the board) add in too; the group is commutative, so the total does not
    depend on how the board was cut.
    """

    def __init__(self, rows: int, options: int) -> None:
        self._cells = [[ZERO_CIPHERTEXT] * options for _ in range(rows)]

    def add_ballot(self, ballot: EncryptedBallot) -> None:
        for r, row in enumerate(ballot.cells):
            for o, cell in enumerate(row):
                self._cells[r][o] = self._cells[r][o] + cell.ciphertext

    def add_aggregates(self, aggregates: Aggregates) -> None:
        """Add a partial sum of the same shape, e.g. one chunk of the board's.

        One of another shape raises ``ValueError`` and leaves the sum as it was.
        """
        self._cells = [[t + c for t, c in zip(total_row, row, strict=True)]
                       for total_row, row in zip(self._cells, aggregates, strict=True)]

    def value(self) -> Aggregates:
        return tuple(tuple(row) for row in self._cells)


def aggregate(ballots: Iterable[EncryptedBallot], rows: int, options: int) -> Aggregates:
    """Cell-wise sum of the cast ballots' ciphertexts.

    ``ballots`` may be a generator that parses each ballot as it is needed;
    none is kept once added.
    """
    totals = RunningAggregates(rows, options)
    for ballot in ballots:
        totals.add_ballot(ballot)
    return totals.value()


def aggregates_to_json(aggregates: Aggregates) -> list[list[dict[str, str]]]:
    return [[{"A": ct.A.hex(), "B": ct.B.hex()} for ct in row] for row in aggregates]


@dataclass(frozen=True)
class DecryptionShare:
    """One trustee's ``M_j`` and proof for every aggregate cell."""

    trustee: int
    cells: tuple[tuple[tuple[Point, ProofPair], ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "trustee": self.trustee,
            "cells": [[{"M": M.hex(), "proof": proof_to_json(p)} for M, p in row]
                      for row in self.cells],
        }

    @classmethod
    def from_json(cls, value: Any, rows: int, options: int) -> DecryptionShare:
        if not isinstance(value, dict) or set(value) != {"trustee", "cells"}:
            raise InvalidEncoding("a decryption share is an object with trustee and cells")
        trustee = value["trustee"]
        if not isinstance(trustee, int) or isinstance(trustee, bool) or trustee < 1:
            raise InvalidEncoding("decryption share: trustee must be a positive integer")
        cells = value["cells"]
        if (not isinstance(cells, list) or len(cells) != rows
                or not all(isinstance(row, list) and len(row) == options for row in cells)):
            raise InvalidEncoding(
                f"trustee {trustee}'s share must have {rows} rows of {options} cells"
            )
        parsed = []
        for r, row in enumerate(cells):
            parsed_row = []
            for o, cell in enumerate(row):
                at = f"trustee {trustee}, row {r + 1}, option {o + 1}"
                if not isinstance(cell, dict) or set(cell) != {"M", "proof"}:
                    raise InvalidEncoding(f"{at}: a share cell is an object with M and proof")
                parsed_row.append((point_from_hex(cell["M"], f"{at} M"),
                                   proof_from_json(cell["proof"], f"{at} proof")))
            parsed.append(tuple(parsed_row))
        return cls(trustee, tuple(parsed))


def make_decryption_share(
    trustee: int,
    secret_share: int,
    aggregates: Aggregates,
    context: bytes,
    rng: Randomness = SYSTEM_RANDOMNESS,
) -> DecryptionShare:
    """Run by the trustee, offline, with the secret share from its key file."""
    return DecryptionShare(
        trustee,
        tuple(
            tuple(prove_decryption(secret_share, ct.A, context, rng) for ct in row)
            for row in aggregates
        ),
    )


def verify_decryption_share(
    share: DecryptionShare, public_share: Point, aggregates: Aggregates, context: bytes
) -> None:
    """Check every cell's proof; the error names the trustee and the cell."""
    for r, (row, agg_row) in enumerate(zip(share.cells, aggregates, strict=True)):
        for o, ((M, proof), ct) in enumerate(zip(row, agg_row, strict=True)):
            try:
                verify_decryption(public_share, ct.A, M, proof, context)
            except InvalidProof:
                raise InvalidProof(
                    f"trustee {share.trustee}'s decryption share for row {r + 1}, "
                    f"option {o + 1} does not verify"
                ) from None


def combine_counts(
    aggregates: Aggregates,
    shares: Mapping[int, DecryptionShare],
    threshold: int,
    bound: int,
) -> tuple[tuple[int, ...], ...]:
    """Counts in ``0..bound`` (the number cast) from at least ``threshold`` shares."""
    for j, share in shares.items():
        if share.trustee != j:
            raise ValueError(f"the share filed under trustee {j} is trustee {share.trustee}'s")
    counts = []
    for r, agg_row in enumerate(aggregates):
        row_counts = []
        for o, ct in enumerate(agg_row):
            M = combine({j: s.cells[r][o][0] for j, s in shares.items()}, threshold)
            row_counts.append(discrete_log(ct.B - M, bound))
        counts.append(tuple(row_counts))
    return tuple(counts)
