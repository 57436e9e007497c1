"""The prime-order subgroup of edwards25519, over libsodium (PROTOCOL.md §1).

Points are immutable 32-byte canonical encodings; scalars are Python ints
reduced mod ``L``. libsodium refuses a zero scalar and an identity result, so
this wrapper defines ``k*O = O`` and ``0*P = O`` itself: a count of zero, or
an empty aggregate, is legitimate inside the protocol even though the
identity is never accepted from outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from nacl import bindings as _sodium

from crypto.errors import InvalidPoint, InvalidScalar

L = 2**252 + 27742317777372353535851937790883648493
"""The order of the prime-order subgroup and of the generator ``G``."""

POINT_BYTES = 32
SCALAR_BYTES = 32
_IDENTITY_BYTES = b"\x01" + b"\x00" * 31


def scalar_to_bytes(k: int) -> bytes:
    """32 bytes little-endian of ``k mod L``."""
    return (k % L).to_bytes(SCALAR_BYTES, "little")


def scalar_from_bytes(data: bytes) -> int:
    """Read a scalar from outside: exactly 32 bytes, value below ``L``."""
    if not isinstance(data, bytes | bytearray) or len(data) != SCALAR_BYTES:
        raise InvalidScalar("a scalar must be exactly 32 bytes")
    value = int.from_bytes(data, "little")
    if value >= L:
        raise InvalidScalar("a scalar must be below the group order L")
    return value


@dataclass(frozen=True, slots=True)
class Point:
    """A group element by its canonical compressed encoding.

    Build one from outside with :meth:`from_bytes` (validated); arithmetic
    results are trusted because libsodium only produces valid encodings.
    """

    data: bytes

    @classmethod
    def from_bytes(cls, data: bytes | bytearray) -> Point:
        """Read a point from outside, rejecting everything §1 forbids."""
        if not isinstance(data, bytes | bytearray) or len(data) != POINT_BYTES:
            raise InvalidPoint("a point must be exactly 32 bytes")
        data = bytes(data)
        if data == _IDENTITY_BYTES:
            raise InvalidPoint("the identity point is not allowed here")
        if not _sodium.crypto_core_ed25519_is_valid_point(data):
            raise InvalidPoint(
                "not a canonical point of the prime-order subgroup "
                "(off the curve, small order or non-canonical)"
            )
        return cls(data)

    @property
    def is_identity(self) -> bool:
        return self.data == _IDENTITY_BYTES

    def __add__(self, other: Point) -> Point:
        if self.is_identity:
            return other
        if other.is_identity:
            return self
        return Point(_sodium.crypto_core_ed25519_add(self.data, other.data))

    def __sub__(self, other: Point) -> Point:
        if other.is_identity:
            return self
        if self.data == other.data:
            return IDENTITY
        return Point(_sodium.crypto_core_ed25519_sub(self.data, other.data))

    def __neg__(self) -> Point:
        return IDENTITY - self

    def __rmul__(self, k: int) -> Point:
        k %= L
        if k == 0 or self.is_identity:
            return IDENTITY
        if self.data == GENERATOR_BYTES:
            return base_mul(k)
        return Point(_sodium.crypto_scalarmult_ed25519_noclamp(scalar_to_bytes(k), self.data))

    def __bytes__(self) -> bytes:
        return self.data

    def hex(self) -> str:
        return self.data.hex()

    def __repr__(self) -> str:
        return f"Point({self.data.hex()[:16]}…)"


IDENTITY = Point(_IDENTITY_BYTES)
GENERATOR_BYTES = _sodium.crypto_scalarmult_ed25519_base_noclamp(scalar_to_bytes(1))
G = Point(GENERATOR_BYTES)


def base_mul(k: int) -> Point:
    """``k*G`` with libsodium's fixed-base table (about 4x a variable-base mult)."""
    k %= L
    if k == 0:
        return IDENTITY
    return Point(_sodium.crypto_scalarmult_ed25519_base_noclamp(scalar_to_bytes(k)))


@lru_cache(maxsize=4096)
def small_multiple(m: int) -> Point:
    """``m*G`` for small plaintexts, cached: proofs use ``j*G`` over and over."""
    return base_mul(m)


def point_sum(points: list[Point] | tuple[Point, ...]) -> Point:
    total = IDENTITY
    for p in points:
        total = total + p
    return total
