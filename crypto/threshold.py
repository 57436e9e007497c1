"""Lagrange combination of t decryption shares (PROTOCOL.md §8)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from crypto.errors import InvalidCeremony
from crypto.group import L, Point, point_sum


def lagrange_at_zero(j: int, subset: Iterable[int]) -> int:
    """``lambda_j = prod_{k in S, k != j} k / (k - j) mod L``."""
    members = set(subset)
    if j not in members:
        raise InvalidCeremony(f"trustee {j} is not in the decrypting set")
    num, den = 1, 1
    for k in members:
        if k != j:
            num = num * k % L
            den = den * (k - j) % L
    return num * pow(den, -1, L) % L


def combine(shares: Mapping[int, Point], threshold: int) -> Point:
    """``M = sum lambda_j * M_j`` over a set of at least ``threshold`` trustees."""
    if len(shares) < threshold:
        raise InvalidCeremony(
            f"{len(shares)} decryption shares given; the threshold is {threshold}"
        )
    subset = list(shares)
    return point_sum([lagrange_at_zero(j, subset) * M for j, M in shares.items()])
