"""Proof that a trustee's decryption share ``M = x*A`` uses its real share ``x``.

PROTOCOL.md §5.3: a Chaum-Pedersen proof of equal discrete logs of
``X = x*G`` and ``M = x*A``, so a wrong share is caught and named before it
can spoil the count.
"""

from __future__ import annotations

from crypto.errors import InvalidProof
from crypto.group import L, Point, base_mul
from crypto.hashing import HS
from crypto.rng import SYSTEM_RANDOMNESS, Randomness, random_scalar
from crypto.schnorr import ProofPair

TAG = "piaojue/v1/decrypt"


def prove_decryption(
    x: int, A: Point, context: bytes, rng: Randomness = SYSTEM_RANDOMNESS
) -> tuple[Point, ProofPair]:
    """Return ``M = x*A`` and its proof."""
    X = base_mul(x)
    M = x * A
    u = random_scalar(rng)
    c = HS(TAG, context, X, A, M, base_mul(u), u * A)
    return M, (c, (u + c * x) % L)


def verify_decryption(X: Point, A: Point, M: Point, proof: ProofPair, context: bytes) -> None:
    """Return ``None`` or raise :class:`InvalidProof`."""
    c, s = proof
    a = base_mul(s) - c * X
    b = s * A - c * M
    if HS(TAG, context, X, A, M, a, b) != c:
        raise InvalidProof("decryption share proof does not verify")
