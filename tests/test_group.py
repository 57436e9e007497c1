"""The group of PROTOCOL.md §1: point and scalar parsing, and the arithmetic rules.

Every point or scalar that reaches the protocol from outside passes through
``Point.from_bytes`` / ``scalar_from_bytes`` (or their hex forms), so these
tests are the wall against small-subgroup, non-canonical and off-curve
inputs. A tiny pure-Python edwards25519 below derives the torsion points
and builds the malicious encodings independently of libsodium.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nacl import bindings as sodium

from crypto.canonical import point_from_hex, scalar_from_hex, scalar_hex
from crypto.errors import CryptoError, InvalidEncoding, InvalidPoint, InvalidScalar
from crypto.group import (
    GENERATOR_BYTES,
    IDENTITY,
    G,
    L,
    Point,
    base_mul,
    point_sum,
    scalar_from_bytes,
    scalar_to_bytes,
    small_multiple,
)

# --------------------------------------------------------------------------
# An independent, slow, affine edwards25519 (RFC 8032 §5.1) for building inputs.
# --------------------------------------------------------------------------

P_FIELD = 2**255 - 19
D = (-121665 * pow(121666, P_FIELD - 2, P_FIELD)) % P_FIELD
SQRT_M1 = pow(2, (P_FIELD - 1) // 4, P_FIELD)

Affine = tuple[int, int]
NEUTRAL: Affine = (0, 1)


def _inv(a: int) -> int:
    return pow(a, P_FIELD - 2, P_FIELD)


def ed_add(p1: Affine, p2: Affine) -> Affine:
    (x1, y1), (x2, y2) = p1, p2
    t = D * x1 * x2 * y1 * y2 % P_FIELD
    x3 = (x1 * y2 + x2 * y1) * _inv(1 + t) % P_FIELD
    y3 = (y1 * y2 + x1 * x2) * _inv(1 - t) % P_FIELD
    return x3, y3


def ed_mul(k: int, pt: Affine) -> Affine:
    result, addend = NEUTRAL, pt
    while k:
        if k & 1:
            result = ed_add(result, addend)
        addend = ed_add(addend, addend)
        k >>= 1
    return result


def ed_on_curve(pt: Affine) -> bool:
    x, y = pt
    return (-x * x + y * y - 1 - D * x * x * y * y) % P_FIELD == 0


def ed_encode(pt: Affine) -> bytes:
    x, y = pt
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def ed_recover_x(y: int, sign: int) -> int | None:
    """The x with the given parity on the curve at ``y`` (any ``y``), or None."""
    y %= P_FIELD
    u = (y * y - 1) * _inv(D * y * y + 1) % P_FIELD
    x = pow(u, (P_FIELD + 3) // 8, P_FIELD)
    if x * x % P_FIELD != u:
        x = x * SQRT_M1 % P_FIELD
    if x * x % P_FIELD != u:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P_FIELD - x
    return x


def ed_decode(data: bytes) -> Affine:
    """Strict RFC 8032 decoding (canonical y, no negative zero); ValueError otherwise."""
    n = int.from_bytes(data, "little")
    y, sign = n & ((1 << 255) - 1), n >> 255
    if y >= P_FIELD:
        raise ValueError("non-canonical y")
    x = ed_recover_x(y, sign)
    if x is None:
        raise ValueError("not on the curve")
    return x, y


BASE: Affine = ed_decode(GENERATOR_BYTES)

# --------------------------------------------------------------------------
# The eight points of order dividing 8, canonically encoded (the same set as
# libsodium's small-order blacklist, with both signs of x where x != 0).
# --------------------------------------------------------------------------

TORSION_HEX = {
    "order 1 (identity)": "0100000000000000000000000000000000000000000000000000000000000000",
    "order 2 (0, -1)": "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "order 4 (+sqrt(-1), 0)": "0000000000000000000000000000000000000000000000000000000000000000",
    "order 4 (-sqrt(-1), 0)": "0000000000000000000000000000000000000000000000000000000000000080",
    "order 8 a+": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "order 8 a-": "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "order 8 b+": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "order 8 b-": "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
}

NON_CANONICAL_HEX = {
    # y = p (reduces to y = 0, the order-4 points), both signs
    "y = p": "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "y = p, sign set": "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    # y = p + 1 (reduces to y = 1, the identity), both signs
    "y = p + 1": "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "y = p + 1, sign set": "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    # 'negative zero': x = 0 with the sign bit set
    "identity, negative zero": "0100000000000000000000000000000000000000000000000000000000000080",
    "(0, -1), negative zero": "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    # largest 255-bit y
    "y = 2**255 - 1": "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
}


def _derive_torsion() -> set[bytes]:
    """All 8 torsion points as L*P for a point P of full order 8L, then its multiples."""
    y = 2
    while True:
        x = ed_recover_x(y, 0)
        if x is not None:
            t = ed_mul(L, (x, y))
            if ed_mul(4, t) != NEUTRAL:
                return {ed_encode(ed_mul(k, t)) for k in range(8)}
        y += 1


def _off_curve_encodings(count: int) -> list[bytes]:
    out: list[bytes] = []
    y = 2
    while len(out) < count:
        if ed_recover_x(y, 0) is None:
            out += [y.to_bytes(32, "little"), (y | 1 << 255).to_bytes(32, "little")]
        y += 1
    return out


OFF_CURVE = _off_curve_encodings(4)
SOME_POINT = base_mul(0x1234567890ABCDEF)


def _expect_invalid_point(data: Any) -> None:
    with pytest.raises(InvalidPoint):
        Point.from_bytes(data)


# --------------------------------------------------------------------------
# Sanity of the reference implementation against libsodium
# --------------------------------------------------------------------------


def test_reference_model_matches_libsodium() -> None:
    """The pure-Python curve must agree with libsodium, or its encodings prove nothing."""
    assert ed_on_curve(BASE)
    for k in (1, 2, 3, 0xDEADBEEF, L - 1):
        assert ed_encode(ed_mul(k, BASE)) == base_mul(k).data
    assert ed_mul(L, BASE) == NEUTRAL


def test_torsion_constants_are_exactly_the_eight_small_order_points() -> None:
    """The hex list is the full 8-torsion: derived here, not trusted from memory."""
    constants = {bytes.fromhex(h) for h in TORSION_HEX.values()}
    assert len(constants) == 8
    assert constants == _derive_torsion()
    for data in constants:
        pt = ed_decode(data)
        assert ed_on_curve(pt)
        assert ed_mul(8, pt) == NEUTRAL


# --------------------------------------------------------------------------
# Point parsing rejects what §1 forbids, always with InvalidPoint
# --------------------------------------------------------------------------


def test_valid_points_are_accepted() -> None:
    """The rejection tests mean nothing unless good points still parse."""
    for k in (1, 2, 12345, L - 1):
        assert Point.from_bytes(base_mul(k).data) == base_mul(k)
    assert Point.from_bytes(bytearray(SOME_POINT.data)) == SOME_POINT
    assert point_from_hex(SOME_POINT.hex()) == SOME_POINT


@pytest.mark.parametrize("length", [0, 1, 31, 33, 64])
def test_point_wrong_length_rejected(length: int) -> None:
    with pytest.raises(InvalidPoint, match="exactly 32 bytes"):
        Point.from_bytes(b"\x05" * length)


@pytest.mark.parametrize(
    "value", [None, 7, "00" * 32, SOME_POINT.hex(), [0] * 32, memoryview(SOME_POINT.data), 1.5]
)
def test_point_non_bytes_rejected(value: Any) -> None:
    """A point from JSON arrives as anything; the wrong type is a named error, not a crash."""
    with pytest.raises(InvalidPoint, match="exactly 32 bytes"):
        Point.from_bytes(value)


def test_identity_rejected() -> None:
    with pytest.raises(InvalidPoint, match="identity"):
        Point.from_bytes(b"\x01" + b"\x00" * 31)


@pytest.mark.parametrize(("name", "hex_value"), sorted(TORSION_HEX.items()))
def test_small_order_points_rejected(name: str, hex_value: str) -> None:
    """A small-order point would leak the vote modulo 8 or let a share cancel out."""
    _expect_invalid_point(bytes.fromhex(hex_value))
    with pytest.raises(InvalidPoint, match="point"):
        point_from_hex(hex_value)


@pytest.mark.parametrize(("name", "hex_value"), sorted(NON_CANONICAL_HEX.items()))
def test_non_canonical_encodings_rejected(name: str, hex_value: str) -> None:
    """Two encodings of one point would give two hashes for one ballot."""
    _expect_invalid_point(bytes.fromhex(hex_value))


@pytest.mark.parametrize("k", range(19))
@pytest.mark.parametrize("sign", [0, 1])
def test_every_y_at_or_above_p_rejected(k: int, sign: int) -> None:
    """Encodings with y = p + k (k < 19) are non-canonical whatever point they reduce to."""
    data = ((P_FIELD + k) | (sign << 255)).to_bytes(32, "little")
    _expect_invalid_point(data)
    # the reduced, canonical y is never a prime-order point for k < 19 either
    x = ed_recover_x(k, sign)
    if x is not None:
        _expect_invalid_point(ed_encode((x, k)))


@pytest.mark.parametrize(
    ("name", "hex_value"), sorted(i for i in TORSION_HEX.items() if not i[0].startswith("order 1"))
)
def test_point_plus_torsion_rejected(name: str, hex_value: str) -> None:
    """P + T is on the curve but outside the prime-order subgroup."""
    torsion = ed_decode(bytes.fromhex(hex_value))
    mixed = ed_encode(ed_add(ed_decode(SOME_POINT.data), torsion))
    assert ed_on_curve(ed_decode(mixed))
    assert mixed != SOME_POINT.data
    _expect_invalid_point(mixed)
    with pytest.raises(InvalidPoint, match="prime-order subgroup"):
        point_from_hex(mixed.hex(), "ballot A")


@given(st.integers(min_value=1, max_value=L - 1), st.sampled_from(sorted(TORSION_HEX.values())))
def test_random_point_plus_torsion_rejected(k: int, hex_value: str) -> None:
    torsion = ed_decode(bytes.fromhex(hex_value))
    mixed = ed_encode(ed_add(ed_decode(base_mul(k).data), torsion))
    if torsion == NEUTRAL:
        assert Point.from_bytes(mixed) == base_mul(k)
    else:
        _expect_invalid_point(mixed)


@pytest.mark.parametrize("data", OFF_CURVE, ids=lambda b: b.hex()[:8] + "…" + b.hex()[-2:])
def test_off_curve_rejected(data: bytes) -> None:
    with pytest.raises(ValueError, match="not on the curve"):
        ed_decode(data)
    _expect_invalid_point(data)


@given(st.binary(min_size=32, max_size=32))
def test_random_bytes_never_crash(data: bytes) -> None:
    """Any 32 bytes either parse to a subgroup point or raise InvalidPoint."""
    try:
        point = Point.from_bytes(data)
    except InvalidPoint:
        return
    assert point.data == data
    assert ed_mul(L, ed_decode(data)) == NEUTRAL


# --------------------------------------------------------------------------
# point_from_hex: the JSON form
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "zz" * 32,
        " " + "00" * 31 + "0",
        SOME_POINT.hex().upper(),
        SOME_POINT.hex()[:-2],
        SOME_POINT.hex() + "00",
        SOME_POINT.hex() + "\n",
        "",
        "0x" + SOME_POINT.hex()[2:],
        None,
        12,
        SOME_POINT.data,
        [SOME_POINT.hex()],
    ],
)
def test_point_from_hex_rejects_malformed(value: Any) -> None:
    with pytest.raises(InvalidPoint, match="cell A: expected 64 lowercase hex"):
        point_from_hex(value, "cell A")


def test_point_from_hex_rejects_uppercase_even_when_valid() -> None:
    """Hex is lowercase (§9): an uppercase twin would hash differently."""
    assert SOME_POINT.hex().upper() != SOME_POINT.hex()
    with pytest.raises(InvalidPoint):
        point_from_hex(SOME_POINT.hex().upper())


def test_point_from_hex_names_the_field_for_identity() -> None:
    with pytest.raises(InvalidPoint, match="joint key: the identity"):
        point_from_hex("01" + "00" * 31, "joint key")


def test_invalid_point_is_a_crypto_error() -> None:
    """Callers catch CryptoError (or InvalidEncoding) to refuse input."""
    assert issubclass(InvalidPoint, InvalidEncoding)
    assert issubclass(InvalidPoint, CryptoError)
    assert issubclass(InvalidScalar, CryptoError)


# --------------------------------------------------------------------------
# Scalars
# --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [L, L + 1, 2**255, 2**256 - 1])
def test_scalar_at_or_above_l_rejected(value: int) -> None:
    data = value.to_bytes(32, "little")
    with pytest.raises(InvalidScalar, match="below the group order"):
        scalar_from_bytes(data)
    with pytest.raises(InvalidScalar, match="proof s: a scalar must be below"):
        scalar_from_hex(data.hex(), "proof s")


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_scalar_wrong_length_rejected(length: int) -> None:
    with pytest.raises(InvalidScalar, match="exactly 32 bytes"):
        scalar_from_bytes(b"\x00" * length)
    with pytest.raises(InvalidScalar, match="64 lowercase hex"):
        scalar_from_hex("00" * length)


@pytest.mark.parametrize("value", [None, 0, "00" * 32, [0] * 32])
def test_scalar_non_bytes_rejected(value: Any) -> None:
    with pytest.raises(InvalidScalar):
        scalar_from_bytes(value)


@pytest.mark.parametrize("value", ["AB" * 32, "g" * 64, None, 5, b"\x00" * 32])
def test_scalar_from_hex_rejects_malformed(value: Any) -> None:
    with pytest.raises(InvalidScalar, match="64 lowercase hex"):
        scalar_from_hex(value)


@pytest.mark.parametrize("value", [0, 1, 2**64, L - 1])
def test_scalar_boundaries_accepted(value: int) -> None:
    data = value.to_bytes(32, "little")
    assert scalar_from_bytes(data) == value
    assert scalar_from_hex(data.hex()) == value
    assert scalar_to_bytes(value) == data
    assert scalar_hex(value) == data.hex()


def test_scalar_to_bytes_reduces_mod_l() -> None:
    assert scalar_to_bytes(L) == b"\x00" * 32
    assert scalar_to_bytes(L + 5) == scalar_to_bytes(5)
    assert scalar_to_bytes(-1) == scalar_to_bytes(L - 1)


@given(st.integers(min_value=0, max_value=L - 1))
def test_scalar_round_trip(k: int) -> None:
    assert scalar_from_bytes(scalar_to_bytes(k)) == k
    assert scalar_from_hex(scalar_hex(k)) == k


# --------------------------------------------------------------------------
# Arithmetic and the identity rules the wrapper defines itself
# --------------------------------------------------------------------------


def test_identity_encoding_and_generator() -> None:
    assert IDENTITY.data == b"\x01" + b"\x00" * 31
    assert IDENTITY.is_identity
    assert not G.is_identity
    assert G.data == GENERATOR_BYTES == ed_encode(BASE)
    # RFC 8032 base point: y = 4/5
    assert BASE[1] == 4 * _inv(5) % P_FIELD


@pytest.mark.parametrize("k", [0, 1, 2, 7, L - 1, L, 2 * L + 3])
def test_scalar_times_identity_is_identity(k: int) -> None:
    """libsodium refuses k*O; the wrapper defines it (an empty aggregate times a share)."""
    assert k * IDENTITY == IDENTITY


@pytest.mark.parametrize("k", [0, L, 5 * L])
def test_zero_times_point_is_identity(k: int) -> None:
    assert k * SOME_POINT == IDENTITY
    assert k * G == IDENTITY
    assert base_mul(k) == IDENTITY
    assert small_multiple(0) == IDENTITY


def test_identity_addition_and_subtraction_rules() -> None:
    P = SOME_POINT
    assert P - P == IDENTITY
    assert IDENTITY + P == P
    assert P + IDENTITY == P
    assert P - IDENTITY == P
    assert IDENTITY + IDENTITY == IDENTITY
    assert IDENTITY - IDENTITY == IDENTITY
    assert -IDENTITY == IDENTITY
    assert P + (-P) == IDENTITY
    assert IDENTITY - P == -P
    assert IDENTITY - (IDENTITY - P) == P
    assert point_sum([]) == IDENTITY
    assert point_sum([P, -P, G]) == G


def test_l_times_g_is_identity_by_libsodium_not_only_by_reduction() -> None:
    """(L-1)*G + G computed by libsodium's addition really lands on the identity."""
    assert L * G == IDENTITY
    assert base_mul(L - 1) + G == IDENTITY
    assert base_mul(L - 1) == -G


@given(st.integers(min_value=1, max_value=L - 1))
def test_base_mul_agrees_with_variable_base(k: int) -> None:
    """The fixed-base table and the generic multiplication give the same point."""
    generic = sodium.crypto_scalarmult_ed25519_noclamp(scalar_to_bytes(k), GENERATOR_BYTES)
    assert base_mul(k).data == generic
    assert (k * G).data == generic
    assert ed_encode(ed_mul(k, BASE)) == generic


@given(st.integers(min_value=0, max_value=L - 1), st.integers(min_value=0, max_value=L - 1))
def test_scalar_addition_distributes(a: int, b: int) -> None:
    assert base_mul(a + b) == base_mul(a) + base_mul(b)


@given(st.integers(min_value=0, max_value=L - 1), st.integers(min_value=0, max_value=L - 1))
def test_scalar_multiplication_associates(a: int, b: int) -> None:
    assert a * base_mul(b) == base_mul(a * b)
    assert a * (b * SOME_POINT) == (a * b % L) * SOME_POINT


@given(st.integers(min_value=0, max_value=L - 1), st.integers(min_value=0, max_value=L - 1))
def test_add_then_subtract_returns_the_point(a: int, b: int) -> None:
    P, Q = base_mul(a), base_mul(b)
    assert (P + Q) - Q == P
    assert P + Q == Q + P
    assert P - Q == P + (-Q)


@given(st.integers(min_value=0, max_value=L - 1))
def test_order_is_l(k: int) -> None:
    assert L * base_mul(k) == IDENTITY
    assert (L + 1) * base_mul(k) == base_mul(k)


def test_small_multiple_matches_base_mul() -> None:
    for m in range(6):
        assert small_multiple(m) == base_mul(m)
        assert small_multiple(m) == point_sum([G] * m)
