"""Encrypting, verifying and opening a whole ballot (PROTOCOL.md §6, §9).

A ballot is a matrix of 0/1 cells, one per (row, option). Every cell gets a
0..1 proof; every row and limited column whose limit the cells do not
already imply gets a range proof on its homomorphic sum. The verifier names
the first cell, row or column that fails, because a deputy or auditor must
be told where, not just that, a ballot is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crypto.canonical import canonical_json, point_from_hex, scalar_from_hex, scalar_hex
from crypto.ceremony import proof_from_json, proof_to_json
from crypto.elgamal import Ciphertext, add_all, encrypt
from crypto.errors import (
    CryptoError,
    InvalidBallot,
    InvalidEncoding,
    InvalidMarks,
    InvalidOpening,
    InvalidProof,
)
from crypto.group import L, Point
from crypto.hashing import HB, fingerprint
from crypto.manifest import Manifest
from crypto.range_proof import RangeProof, prove_range, verify_range
from crypto.rng import SYSTEM_RANDOMNESS, Randomness, random_scalar

__all__ = ["BallotOpening", "EncryptedBallot", "Marks", "ballot_digest", "check_marks",
           "check_opening", "encrypt_ballot", "fingerprint", "verify_ballot"]

Marks = Sequence[Sequence[int]]
"""One list per row, one 0/1 per option, in manifest order."""


@dataclass(frozen=True, slots=True)
class EncryptedCell:
    ciphertext: Ciphertext
    proof: RangeProof


@dataclass(frozen=True)
class EncryptedBallot:
    cells: tuple[tuple[EncryptedCell, ...], ...]
    rows: tuple[RangeProof | None, ...]
    columns: dict[str, RangeProof]

    def to_json(self) -> dict[str, Any]:
        """The one place a ballot becomes JSON (§9 ``ballot``)."""
        return {
            "cells": [
                [
                    {"A": c.ciphertext.A.hex(), "B": c.ciphertext.B.hex(),
                     "proof": _range_to_json(c.proof)}
                    for c in row
                ]
                for row in self.cells
            ],
            "rows": [{} if p is None else {"proof": _range_to_json(p)} for p in self.rows],
            "columns": {o: {"proof": _range_to_json(p)} for o, p in self.columns.items()},
        }

    @classmethod
    def from_json(cls, value: Any, manifest: Manifest) -> EncryptedBallot:
        """Parse and check the shape against the manifest; proofs are not checked here."""
        try:
            return cls._from_json(value, manifest)
        except InvalidBallot:
            raise
        except CryptoError as exc:
            raise InvalidBallot(str(exc)) from None

    @classmethod
    def _from_json(cls, value: Any, manifest: Manifest) -> EncryptedBallot:
        if not isinstance(value, dict) or set(value) != {"cells", "rows", "columns"}:
            raise InvalidBallot("a ballot is an object with exactly cells, rows and columns")
        cells_json, rows_json, columns_json = value["cells"], value["rows"], value["columns"]
        n_rows, n_opts = len(manifest.row_ids), len(manifest.options)
        if not isinstance(cells_json, list) or len(cells_json) != n_rows:
            raise InvalidBallot(f"the ballot must have {n_rows} rows of cells")
        cells = []
        for r, row in enumerate(cells_json):
            where = _row_name(manifest, r)
            if not isinstance(row, list) or len(row) != n_opts:
                raise InvalidBallot(f"{where} must have {n_opts} cells")
            parsed_row = []
            for o, cell in enumerate(row):
                at = f"{where}, option {manifest.options[o]!r}"
                if not isinstance(cell, dict) or set(cell) != {"A", "B", "proof"}:
                    raise InvalidBallot(f"{at}: a cell is an object with exactly A, B and proof")
                ct = Ciphertext(point_from_hex(cell["A"], f"{at} A"),
                                point_from_hex(cell["B"], f"{at} B"))
                parsed_row.append(EncryptedCell(ct, _range_from_json(cell["proof"], 0, 1, at)))
            cells.append(tuple(parsed_row))
        if not isinstance(rows_json, list) or len(rows_json) != n_rows:
            raise InvalidBallot(f"the ballot must have {n_rows} row entries")
        rows: list[RangeProof | None] = []
        lo, hi = manifest.row_limits
        for r, entry in enumerate(rows_json):
            where = _row_name(manifest, r)
            if manifest.row_needs_proof:
                if not isinstance(entry, dict) or set(entry) != {"proof"}:
                    raise InvalidBallot(f"{where}: the row sum needs a proof")
                rows.append(_range_from_json(entry["proof"], lo, hi, f"{where} sum"))
            else:
                if entry != {}:
                    raise InvalidBallot(f"{where}: the row limits need no proof; expected {{}}")
                rows.append(None)
        needed = manifest.columns_needing_proof()
        if not isinstance(columns_json, dict) or set(columns_json) != set(needed):
            raise InvalidBallot(f"the ballot must carry column proofs for exactly {sorted(needed)}")
        columns = {}
        for option, (clo, chi) in needed.items():
            entry = columns_json[option]
            if not isinstance(entry, dict) or set(entry) != {"proof"}:
                raise InvalidBallot(f"column {option!r}: expected an object with a proof")
            columns[option] = _range_from_json(entry["proof"], clo, chi, f"column {option!r}")
        return cls(tuple(cells), tuple(rows), columns)

    def row_sum(self, r: int) -> Ciphertext:
        return add_all([c.ciphertext for c in self.cells[r]])

    def column_sum(self, o: int) -> Ciphertext:
        return add_all([row[o].ciphertext for row in self.cells])


def _row_name(manifest: Manifest, r: int) -> str:
    return f"row {r + 1} ({manifest.row_ids[r]})"


def _range_to_json(proof: RangeProof) -> list[list[str]]:
    return [proof_to_json(p) for p in proof]


def _range_from_json(value: Any, lo: int, hi: int, what: str) -> RangeProof:
    if not isinstance(value, list) or len(value) != hi - lo + 1:
        raise InvalidBallot(f"{what}: the proof must have {hi - lo + 1} [c, s] pairs")
    return tuple(proof_from_json(p, f"{what} proof pair {i}") for i, p in enumerate(value))


def check_marks(manifest: Manifest, marks: Marks) -> None:
    """Refuse marks that break the manifest's limits, naming the row or column."""
    if len(marks) != len(manifest.row_ids):
        raise InvalidMarks(f"marks for {len(marks)} rows; the ballot has {len(manifest.row_ids)}")
    lo, hi = manifest.row_limits
    for r, row in enumerate(marks):
        where = _row_name(manifest, r)
        if len(row) != len(manifest.options) or any(type(m) is not int or m not in (0, 1)
                                                      for m in row):
            raise InvalidMarks(f"{where}: one 0 or 1 per option expected")
        if not lo <= sum(row) <= hi:
            raise InvalidMarks(f"{where}: {sum(row)} marks; between {lo} and {hi} allowed")
    for option, (clo, chi) in manifest.column_limits.items():
        o = manifest.options.index(option)
        total = sum(row[o] for row in marks)
        if not clo <= total <= chi:
            raise InvalidMarks(f"{total} marks {option!r}; between {clo} and {chi} allowed")


@dataclass(frozen=True)
class BallotOpening:
    """The plaintext and nonces of a ballot: what a Benaloh challenge reveals."""

    plaintext: tuple[tuple[int, ...], ...]
    nonces: tuple[tuple[int, ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "plaintext": [list(row) for row in self.plaintext],
            "nonces": [[scalar_hex(r) for r in row] for row in self.nonces],
        }

    @classmethod
    def from_json(cls, plaintext: Any, nonces: Any, manifest: Manifest) -> BallotOpening:
        shape = (len(manifest.row_ids), len(manifest.options))
        for name, value in (("plaintext", plaintext), ("nonces", nonces)):
            if (not isinstance(value, list) or len(value) != shape[0]
                    or not all(isinstance(row, list) and len(row) == shape[1] for row in value)):
                raise InvalidOpening(f"{name} must have the shape of the cells {shape}")
        if not all(type(m) is int and m in (0, 1) for row in plaintext for m in row):
            raise InvalidOpening("plaintext marks must be 0 or 1")
        try:
            parsed = tuple(
                tuple(scalar_from_hex(r, f"nonce at row {i + 1}") for r in row)
                for i, row in enumerate(nonces)
            )
        except InvalidEncoding as exc:
            raise InvalidOpening(str(exc)) from None
        return cls(tuple(tuple(row) for row in plaintext), parsed)


def encrypt_ballot(
    manifest: Manifest,
    joint_key: Point,
    context: bytes,
    marks: Marks,
    rng: Randomness = SYSTEM_RANDOMNESS,
) -> tuple[EncryptedBallot, BallotOpening]:
    """Encrypt and prove a ballot; the opening is kept only for a challenge."""
    check_marks(manifest, marks)
    nonces = [[random_scalar(rng) for _ in row] for row in marks]
    cells = []
    for row, row_nonces in zip(marks, nonces, strict=True):
        cells.append(tuple(
            EncryptedCell(ct, prove_range(ct, m, r, 0, 1, joint_key, context, rng))
            for m, r in zip(row, row_nonces, strict=True)
            for ct in [encrypt(m, r, joint_key)]
        ))
    rows: list[RangeProof | None] = []
    lo, hi = manifest.row_limits
    for r, row in enumerate(marks):
        if manifest.row_needs_proof:
            total = add_all([c.ciphertext for c in cells[r]])
            rows.append(prove_range(total, sum(row), sum(nonces[r]) % L, lo, hi,
                                    joint_key, context, rng))
        else:
            rows.append(None)
    columns = {}
    for option, (clo, chi) in manifest.columns_needing_proof().items():
        o = manifest.options.index(option)
        total = add_all([row[o].ciphertext for row in cells])
        columns[option] = prove_range(
            total, sum(row[o] for row in marks), sum(row[o] for row in nonces) % L,
            clo, chi, joint_key, context, rng,
        )
    opening = BallotOpening(tuple(tuple(row) for row in marks),
                            tuple(tuple(row) for row in nonces))
    return EncryptedBallot(tuple(cells), tuple(rows), columns), opening


def verify_ballot(
    ballot: EncryptedBallot, manifest: Manifest, joint_key: Point, context: bytes
) -> None:
    """Return ``None`` or raise :class:`InvalidBallot` naming the first failure."""
    for r, row in enumerate(ballot.cells):
        for o, cell in enumerate(row):
            try:
                verify_range(cell.ciphertext, cell.proof, 0, 1, joint_key, context)
            except InvalidProof:
                raise InvalidBallot(
                    f"{_row_name(manifest, r)}, option {manifest.options[o]!r}: "
                    "the cell's 0-or-1 proof does not verify"
                ) from None
    lo, hi = manifest.row_limits
    for r, proof in enumerate(ballot.rows):
        if proof is None:
            continue
        try:
            verify_range(ballot.row_sum(r), proof, lo, hi, joint_key, context)
        except InvalidProof:
            raise InvalidBallot(
                f"{_row_name(manifest, r)}: the proof that the row has {lo} to {hi} "
                "marks does not verify"
            ) from None
    for option, (clo, chi) in manifest.columns_needing_proof().items():
        try:
            verify_range(ballot.column_sum(manifest.options.index(option)),
                         ballot.columns[option], clo, chi, joint_key, context)
        except InvalidProof:
            raise InvalidBallot(
                f"column {option!r}: the proof that it has {clo} to {chi} marks does not verify"
            ) from None


def check_opening(ballot: EncryptedBallot, opening: BallotOpening, joint_key: Point) -> None:
    """A Benaloh opening verifies when it re-encrypts to the ballot exactly."""
    shape = [len(row) for row in ballot.cells]
    if [len(r) for r in opening.plaintext] != shape or [len(r) for r in opening.nonces] != shape:
        raise InvalidOpening("the opening does not have the shape of the ballot")
    for r, (row, marks, nonces) in enumerate(
        zip(ballot.cells, opening.plaintext, opening.nonces, strict=True)
    ):
        for o, (cell, m, nonce) in enumerate(zip(row, marks, nonces, strict=True)):
            if nonce == 0 or encrypt(m, nonce, joint_key) != cell.ciphertext:
                raise InvalidOpening(
                    f"row {r + 1}, option {o + 1}: the plaintext and nonce do not "
                    "re-encrypt to the ballot's ciphertext"
                )


def ballot_digest(context: bytes, ballot_json: dict[str, Any]) -> bytes:
    """``HB("piaojue/v1/ballot", Q, canonical_json(ballot))``: what the deputy compares."""
    return HB("piaojue/v1/ballot", context, canonical_json(ballot_json))
