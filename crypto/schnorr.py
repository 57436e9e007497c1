"""Schnorr proof of knowing ``x`` with ``X = x*G`` (PROTOCOL.md §5.2).

Trustees prove they know every polynomial coefficient they commit to, so no
trustee can pick a commitment that cancels the others' (a rogue-key attack).
"""

from __future__ import annotations

from crypto.errors import InvalidProof
from crypto.group import L, Point, base_mul
from crypto.hashing import HS
from crypto.rng import SYSTEM_RANDOMNESS, Randomness, random_scalar

TAG = "piaojue/v1/schnorr"

ProofPair = tuple[int, int]
"""A compact Fiat-Shamir proof ``(c, s)``."""


def prove_knowledge(x: int, context: bytes, rng: Randomness = SYSTEM_RANDOMNESS) -> ProofPair:
    X = base_mul(x)
    u = random_scalar(rng)
    c = HS(TAG, context, X, base_mul(u))
    return c, (u + c * x) % L


def verify_knowledge(X: Point, proof: ProofPair, context: bytes) -> None:
    """Return ``None`` or raise :class:`InvalidProof`."""
    c, s = proof
    if HS(TAG, context, X, base_mul(s) - c * X) != c:
        raise InvalidProof("Schnorr proof of knowledge does not verify")
