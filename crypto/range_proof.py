"""Disjunctive Chaum-Pedersen proof that ``(A, B)`` encrypts ``m`` in ``lo..hi``.

PROTOCOL.md §5.1, compact form: the proof is one ``(c_j, s_j)`` pair per
possible value; the verifier rebuilds every commitment and checks that the
challenges add up to the Fiat-Shamir hash. A bit is the range ``0..1``.
"""

from __future__ import annotations

from crypto.elgamal import Ciphertext
from crypto.errors import InvalidProof
from crypto.group import L, Point, base_mul, small_multiple
from crypto.hashing import HS
from crypto.rng import SYSTEM_RANDOMNESS, Randomness, random_scalar
from crypto.schnorr import ProofPair

TAG = "piaojue/v1/range"

RangeProof = tuple[ProofPair, ...]


def _fake_commitments(
    ct: Ciphertext, joint_key: Point, j: int, c: int, s: int
) -> tuple[Point, Point]:
    a = base_mul(s) - c * ct.A
    b = s * joint_key - c * (ct.B - small_multiple(j))
    return a, b


def prove_range(
    ct: Ciphertext,
    value: int,
    nonce: int,
    lo: int,
    hi: int,
    joint_key: Point,
    context: bytes,
    rng: Randomness = SYSTEM_RANDOMNESS,
) -> RangeProof:
    """Prove ``ct = Enc(value; nonce)`` with ``lo <= value <= hi``."""
    if not 0 <= lo <= value <= hi:
        raise ValueError(f"value {value} is outside {lo}..{hi}")
    fake: dict[int, ProofPair] = {}
    commitments: list[Point] = []
    u = random_scalar(rng)
    for j in range(lo, hi + 1):
        if j == value:
            commitments += [base_mul(u), u * joint_key]
        else:
            c_j, s_j = random_scalar(rng), random_scalar(rng)
            fake[j] = (c_j, s_j)
            commitments += list(_fake_commitments(ct, joint_key, j, c_j, s_j))
    c = HS(TAG, context, ct.A, ct.B, lo, hi, *commitments)
    c_v = (c - sum(cj for cj, _ in fake.values())) % L
    s_v = (u + c_v * nonce) % L
    return tuple(fake.get(j, (c_v, s_v)) for j in range(lo, hi + 1))


def verify_range(
    ct: Ciphertext, proof: RangeProof, lo: int, hi: int, joint_key: Point, context: bytes
) -> None:
    """Return ``None`` or raise :class:`InvalidProof`."""
    if len(proof) != hi - lo + 1:
        raise InvalidProof(
            f"range proof for {lo}..{hi} needs {hi - lo + 1} pairs, has {len(proof)}"
        )
    commitments: list[Point] = []
    for j, (c_j, s_j) in zip(range(lo, hi + 1), proof, strict=True):
        commitments += list(_fake_commitments(ct, joint_key, j, c_j, s_j))
    expected = HS(TAG, context, ct.A, ct.B, lo, hi, *commitments)
    if sum(c_j for c_j, _ in proof) % L != expected:
        raise InvalidProof(f"range proof for {lo}..{hi} does not verify")
