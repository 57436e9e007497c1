"""Recovering a count ``m`` from ``m*G`` by baby-step giant-step.

Counts are bounded by the number of ballots cast, so a table of ``~sqrt(N)``
multiples of ``G`` (built once per bound and reused for every cell) finds
any ``m`` in ``0..N`` in at most ``sqrt(N)`` point subtractions.
"""

from __future__ import annotations

from functools import lru_cache
from math import isqrt

from crypto.errors import DiscreteLogNotFound
from crypto.group import IDENTITY, Point, base_mul, small_multiple


class DiscreteLog:
    """Solve ``m*G == P`` for ``m`` in ``0..bound``."""

    def __init__(self, bound: int) -> None:
        if bound < 0:
            raise ValueError("bound must be non-negative")
        self.bound = bound
        self.step = isqrt(bound) + 1
        self._baby: dict[bytes, int] = {}
        point = IDENTITY
        for i in range(self.step):
            self._baby[point.data] = i
            point = point + small_multiple(1)
        self._giant = base_mul(self.step)

    def solve(self, target: Point) -> int:
        point = target
        for g in range(self.step + 1):
            i = self._baby.get(point.data)
            if i is not None:
                m = g * self.step + i
                if m <= self.bound:
                    return m
                break
            point = point - self._giant
        raise DiscreteLogNotFound(f"decrypted total is not a count between 0 and {self.bound}")


@lru_cache(maxsize=8)
def discrete_log_for(bound: int) -> DiscreteLog:
    return DiscreteLog(bound)


def discrete_log(target: Point, bound: int) -> int:
    return discrete_log_for(bound).solve(target)
