"""Exponential ElGamal under the joint key: ``Enc(m; r) = (r*G, m*G + r*K)``.

Messages live in the exponent so ciphertexts add up to an encryption of the
total; the total is recovered by a small discrete-log search (crypto.dlog).
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto.group import IDENTITY, Point, base_mul, small_multiple


@dataclass(frozen=True, slots=True)
class Ciphertext:
    A: Point
    B: Point

    def __add__(self, other: Ciphertext) -> Ciphertext:
        return Ciphertext(self.A + other.A, self.B + other.B)


ZERO_CIPHERTEXT = Ciphertext(IDENTITY, IDENTITY)
"""The sum of no ciphertexts: what an empty aggregate starts from."""


def encrypt(m: int, r: int, joint_key: Point) -> Ciphertext:
    """Encrypt a small non-negative ``m`` with nonce ``r`` (1..L-1)."""
    return Ciphertext(base_mul(r), small_multiple(m) + r * joint_key)


def add_all(ciphertexts: list[Ciphertext]) -> Ciphertext:
    total = ZERO_CIPHERTEXT
    for ct in ciphertexts:
        total = total + ct
    return total
