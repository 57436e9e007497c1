"""``enc``, ``HB``, ``HS`` (PROTOCOL.md §2) and canonical JSON, byte for byte.

An independent verifier rebuilds every digest from the spec alone, so the
byte layout here must match the page exactly; these tests recompute each
hash with ``hashlib`` rather than trusting the module under test.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.canonical import canonical_json, hex_bytes, parse_json
from crypto.errors import CryptoError, InvalidEncoding
from crypto.group import IDENTITY, G, L, base_mul, scalar_to_bytes
from crypto.hashing import HB, HS, TAG_PREFIX, enc

P = base_mul(987654321)


def _len(n: int) -> bytes:
    return n.to_bytes(4, "big")


# --------------------------------------------------------------------------
# enc
# --------------------------------------------------------------------------


def test_enc_point_is_its_32_bytes() -> None:
    assert enc(P) == bytes.fromhex("00000020") + P.data
    assert enc(IDENTITY) == _len(32) + b"\x01" + b"\x00" * 31


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0000000000000000"),
        (1, "0000000000000001"),
        (258, "0000000000000102"),
        (2**64 - 1, "ffffffffffffffff"),
    ],
)
def test_enc_int_is_8_bytes_big_endian(value: int, expected: str) -> None:
    assert enc(value) == bytes.fromhex("00000008" + expected)


@pytest.mark.parametrize(
    ("value", "utf8"),
    [
        ("", b""),
        ("piaojue/v1/range", b"piaojue/v1/range"),
        ("民生实事", "民生实事".encode()),
        ("é", b"\xc3\xa9"),
    ],
)
def test_enc_str_is_utf8(value: str, utf8: bytes) -> None:
    assert enc(value) == _len(len(utf8)) + utf8


def test_enc_chinese_length_counts_bytes_not_characters() -> None:
    """'票决' is 2 characters but 6 UTF-8 bytes: the prefix must say 6."""
    assert enc("票决") == bytes.fromhex("00000006") + "票决".encode()


@pytest.mark.parametrize("value", [b"", b"\x00", b"\xff" * 40, bytearray(b"abc")])
def test_enc_bytes_as_they_are(value: bytes) -> None:
    assert enc(value) == _len(len(value)) + bytes(value)


def test_enc_scalar_is_caller_encoded_32_bytes_le() -> None:
    """A scalar is hashed as its 32-byte LE form, which the caller passes as bytes."""
    assert enc(scalar_to_bytes(L - 1)) == _len(32) + (L - 1).to_bytes(32, "little")


def test_enc_concatenates_items_in_order() -> None:
    assert enc("ab", 5, b"\x01", P) == (
        _len(2) + b"ab" + _len(8) + (5).to_bytes(8, "big") + _len(1) + b"\x01" + _len(32) + P.data
    )
    assert enc() == b""


def test_enc_is_unambiguous_where_concatenation_is_not() -> None:
    """The length prefix is what keeps ("ab", "c") and ("a", "bc") apart."""
    assert enc("ab", "c") != enc("a", "bc")
    assert enc(b"", b"x") != enc(b"x", b"")


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (True, TypeError),
        (False, TypeError),
        (-1, ValueError),
        (2**64, ValueError),
        (2**100, ValueError),
        (1.0, TypeError),
        (None, TypeError),
        ([1], TypeError),
    ],
)
def test_enc_rejects_values_without_an_encoding(value: Any, error: type[Exception]) -> None:
    """bool would silently hash as 1/0 and a float has no byte form: both are refused."""
    with pytest.raises(error, match="encod"):
        enc(value)


# --------------------------------------------------------------------------
# HB and HS
# --------------------------------------------------------------------------


def test_hb_is_sha256_of_enc_with_tag() -> None:
    tag = "piaojue/v1/manifest"
    data = b'{"a":1}'
    expected = hashlib.sha256(_len(len(tag)) + tag.encode() + _len(len(data)) + data).digest()
    assert HB(tag, data) == expected
    assert len(HB(tag)) == 32


def test_hb_with_point_int_and_chinese() -> None:
    tag = "piaojue/v1/election"
    raw = (
        _len(len(tag)) + tag.encode()
        + _len(10) + "人大2025".encode()
        + _len(8) + (3).to_bytes(8, "big")
        + _len(32) + G.data
    )
    assert HB(tag, "人大2025", 3, G) == hashlib.sha256(raw).digest()


def test_hs_is_sha512_little_endian_mod_l() -> None:
    tag = "piaojue/v1/schnorr"
    raw = _len(len(tag)) + tag.encode() + _len(3) + b"ctx" + _len(32) + P.data
    digest = hashlib.sha512(raw).digest()
    expected = int.from_bytes(digest, "little") % L
    assert HS(tag, b"ctx", P) == expected
    assert 0 <= HS(tag, b"ctx", P) < L
    # big-endian would be a different challenge: guard against the easy slip
    assert expected != int.from_bytes(digest, "big") % L


@given(st.binary(max_size=64), st.integers(min_value=0, max_value=2**64 - 1), st.text(max_size=20))
def test_hb_hs_match_hashlib(data: bytes, n: int, text: str) -> None:
    tag = "piaojue/v1/test"
    raw = (
        _len(len(tag)) + tag.encode()
        + _len(len(data)) + data
        + _len(8) + n.to_bytes(8, "big")
        + _len(len(text.encode())) + text.encode()
    )
    assert HB(tag, data, n, text) == hashlib.sha256(raw).digest()
    assert HS(tag, data, n, text) == int.from_bytes(hashlib.sha512(raw).digest(), "little") % L


def test_tags_separate_domains() -> None:
    assert HB("piaojue/v1/a", b"x") != HB("piaojue/v1/b", b"x")
    assert HS("piaojue/v1/range", b"x") != HS("piaojue/v1/decrypt", b"x")


@pytest.mark.parametrize(
    "tag",
    ["", "piaojue/v2/range", "piaojue/range", "Piaojue/v1/range", "x/piaojue/v1/", "piaojue/v1中/x",
     "piaojue/v1/票"],
)
def test_tags_must_be_ascii_and_start_with_the_prefix(tag: str) -> None:
    with pytest.raises(ValueError, match="piaojue/v1/"):
        HB(tag, b"x")
    with pytest.raises(ValueError, match="piaojue/v1/"):
        HS(tag, b"x")


def test_tag_prefix_constant() -> None:
    assert TAG_PREFIX == "piaojue/v1/"


# --------------------------------------------------------------------------
# canonical_json
# --------------------------------------------------------------------------


def test_canonical_json_sorts_keys_and_drops_whitespace() -> None:
    value = {"b": 1, "a": [3, {"z": None, "y": True}], "c": "x"}
    assert canonical_json(value) == b'{"a":[3,{"y":true,"z":null}],"b":1,"c":"x"}'


def test_canonical_json_bytes_and_points_as_lowercase_hex() -> None:
    assert canonical_json({"k": b"\xab\xcd", "p": P}) == (
        b'{"k":"abcd","p":"' + P.hex().encode() + b'"}'
    )
    assert P.hex() == P.hex().lower()


def test_canonical_json_keeps_non_ascii_as_utf8() -> None:
    """No \\u escapes: the bytes hashed are the UTF-8 a person can read."""
    out = canonical_json({"title": "民生实事项目"})
    assert out == '{"title":"民生实事项目"}'.encode()
    assert b"\\u" not in out


def test_canonical_json_tuples_are_lists_and_big_ints_exact() -> None:
    assert canonical_json((1, (2, 3))) == b"[1,[2,3]]"
    assert canonical_json({"n": 2**80, "m": -5}) == b'{"m":-5,"n":1208925819614629174706176}'


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (1.5, "value"),
        (1.0, "value"),
        ({"rate": 0.5}, "rate"),
        ({"a": {"b": [1, 2.0]}}, r"a\.b\[1\]"),
        ([float("nan")], r"\[0\]"),
        ({"x": float("inf")}, "x"),
    ],
)
def test_canonical_json_rejects_floats(value: Any, where: str) -> None:
    """Fractions are [num, den]; a float would hash differently in another language."""
    with pytest.raises(InvalidEncoding, match=where + ": floating-point"):
        canonical_json(value)


@pytest.mark.parametrize("value", [{1: "a"}, {"a": {2: 3}}, {"s": {1, 2}}, object()])
def test_canonical_json_rejects_non_json_values(value: Any) -> None:
    with pytest.raises(InvalidEncoding):
        canonical_json(value)


# --------------------------------------------------------------------------
# parse_json
# --------------------------------------------------------------------------


def test_parse_json_accepts_plain_json() -> None:
    assert parse_json(b'{"a": [1, "\xe7\xa5\xa8"], "b": null}') == {"a": [1, "票"], "b": None}
    assert parse_json('{"x": -12}') == {"x": -12}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a": 1.5}', "floating-point"),
        (b'{"a": 1e3}', "floating-point"),
        (b"[-0.0]", "floating-point"),
        (b'{"a": NaN}', "NaN"),
        (b"[Infinity]", "Infinity"),
        (b"[-Infinity]", "Infinity"),
        (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
        (b'{"x": {"k": 1, "k": 1}}', "duplicate key 'k'"),
        (b'{"a": "\xff"}', "UTF-8"),
        (b"\xc3\x28", "UTF-8"),
        (b'"\xe7\xa5"', "UTF-8"),
        (b"{", "malformed"),
        (b"", "malformed"),
        (b'{"a": 1,}', "malformed"),
        (b"[1] [2]", "malformed"),
        (b"[" * 100_000 + b"]" * 100_000, "nested|malformed"),
    ],
)
def test_parse_json_rejects(data: bytes, message: str) -> None:
    with pytest.raises(InvalidEncoding, match=message):
        parse_json(data)


def test_parse_json_huge_integer_is_a_named_error() -> None:
    """A 5000-digit number is hostile input; it must be InvalidEncoding, not a crash."""
    with pytest.raises(InvalidEncoding):
        parse_json(b"[" + b"9" * 5000 + b"]")


def test_lone_surrogate_is_a_named_error() -> None:
    """JSON text may escape a lone surrogate ("\\ud800"); it has no UTF-8 form to hash."""
    with pytest.raises(InvalidEncoding):
        canonical_json(parse_json(b'{"title": "\\ud800"}'))


def test_hex_bytes_is_strict() -> None:
    assert hex_bytes("ab" * 4, 4, "key") == b"\xab" * 4
    for bad in ("AB" * 4, "ab" * 3, "ab" * 5, "zz" * 4, None, 12):
        with pytest.raises(InvalidEncoding, match="key"):
            hex_bytes(bad, 4, "key")


def test_errors_are_crypto_errors() -> None:
    assert issubclass(InvalidEncoding, CryptoError)


# --------------------------------------------------------------------------
# Round trip
# --------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=15,
)


@given(json_values)
def test_canonical_json_round_trip(value: Any) -> None:
    """Parsing canonical bytes and re-encoding gives the same bytes: hashes are stable."""
    first = canonical_json(value)
    assert canonical_json(parse_json(first)) == first
    # and it is what the standard library produces with the canonical settings
    assert first == json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


@given(st.dictionaries(st.text(max_size=6), st.integers(0, 9), min_size=2, max_size=6))
def test_canonical_json_key_order_independent_of_insertion(value: dict[str, int]) -> None:
    reversed_value = dict(reversed(list(value.items())))
    assert canonical_json(value) == canonical_json(reversed_value)
    keys = list(parse_json(canonical_json(value)))
    assert keys == sorted(keys)
