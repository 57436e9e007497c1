"""Randomness is passed in, never taken from a global, so tests can fix it.

Production code uses :class:`SystemRandomness` (the OS generator). The
known-answer vectors under ``tests/vectors`` use :class:`SeededRandomness`,
which is deterministic and must never be used to make a real election.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Protocol, TypeVar

from crypto.group import L


class Randomness(Protocol):
    def token_bytes(self, n: int) -> bytes: ...


class SystemRandomness:
    """The operating system's CSPRNG."""

    def token_bytes(self, n: int) -> bytes:
        return secrets.token_bytes(n)


class SeededRandomness:
    """SHA-512 in counter mode over a seed: reproducible, for tests only."""

    def __init__(self, seed: bytes | str) -> None:
        self._seed = seed.encode() if isinstance(seed, str) else seed
        self._counter = 0

    def token_bytes(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            block = hashlib.sha512(self._seed + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
            out += block
        return bytes(out[:n])


SYSTEM_RANDOMNESS = SystemRandomness()


def random_scalar(rng: Randomness = SYSTEM_RANDOMNESS) -> int:
    """Uniform in ``1..L-1``: 64 bytes reduced mod L (bias below 2**-250)."""
    while True:
        k = int.from_bytes(rng.token_bytes(64), "little") % L
        if k:
            return k


T = TypeVar("T")


def random_below(n: int, rng: Randomness = SYSTEM_RANDOMNESS) -> int:
    """Uniform in ``0..n-1`` (64 random bytes reduced: bias below 2**-440 for any list here)."""
    return int.from_bytes(rng.token_bytes(64), "little") % n


def shuffled(items: Sequence[T], rng: Randomness = SYSTEM_RANDOMNESS) -> list[T]:
    """A Fisher-Yates shuffle driven by ``rng``: random order, reproducible in tests."""
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = random_below(i + 1, rng)
        out[i], out[j] = out[j], out[i]
    return out
