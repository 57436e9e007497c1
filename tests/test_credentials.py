"""Anonymous voting credentials (PROTOCOL.md §6): codes, derived keys, cast signatures.

A slip's code must carry at least 80 random bits, survive sloppy typing
(case, spaces, O/0, I/L/1), catch real typos before a key is derived, and
derive exactly the key the protocol defines, so that an independent verifier
and the booth agree on which credential signed which ballot.
"""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given
from hypothesis import strategies as st

from crypto.credentials import (
    ALPHABET,
    CODE_CHARS,
    RANDOM_CHARS,
    cast_message,
    derive_credential_key,
    generate_code,
    group_code,
    normalize_code,
    public_key_bytes,
    sign_cast,
    verify_cast,
)
from crypto.errors import InvalidCredentialCode, InvalidEncoding, InvalidSignature
from crypto.hashing import HB
from crypto.rng import SeededRandomness

GROUPED = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}\Z")
ELECTION_ID = "2025-朝阳区人大"
ROUND_ID = "selection-1"
Q = HB("piaojue/v1/context", b"manifest", b"key", b"commitments")
DIGEST = HB("piaojue/v1/ballot", Q, b"{}")


class FixedBytes:
    """A Randomness that returns exactly the bytes it was given (to map bits to chars)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def token_bytes(self, n: int) -> bytes:
        assert n == len(self.data)
        return self.data


@pytest.fixture(scope="module")
def code() -> str:
    return generate_code(SeededRandomness("credential code"))


@pytest.fixture(scope="module")
def key(code) -> Ed25519PrivateKey:
    return derive_credential_key(code, ELECTION_ID, ROUND_ID)


def by_hand(normalized: str, election_id: str, round_id: str) -> bytes:
    """The §6 derivation written out with pyca/cryptography, independent of the module."""
    seed = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=election_id.encode("utf-8"),
        info=("piaojue/v1/credential/" + round_id).encode("utf-8"),
    ).derive(normalized.encode("ascii"))
    return public_key_bytes(Ed25519PrivateKey.from_private_bytes(seed))


# --- codes ------------------------------------------------------------------------------


def test_generated_code_shape():
    """20 Crockford characters in five groups of four, as printed on the slip."""
    for _ in range(50):
        code = generate_code()
        assert GROUPED.match(code), code
        assert len(code.replace("-", "")) == CODE_CHARS == 20
        assert not set(code) & set("ILOU")


def test_generated_code_normalizes_to_itself(code):
    normalized = normalize_code(code)
    assert normalized == code.replace("-", "")
    assert group_code(normalized) == code


def test_each_random_character_carries_five_bits():
    """18 characters each take the low 5 bits of one random byte: 90 >= 80 bits."""
    assert RANDOM_CHARS * 5 >= 90
    low = generate_code(FixedBytes(bytes(range(18)))).replace("-", "")
    high = generate_code(FixedBytes(bytes(range(14, 32)))).replace("-", "")
    assert low[:18] == ALPHABET[:18]
    assert high[:18] == ALPHABET[14:32]
    # Bits above the low five do not leak into (or bias) the character.
    shifted = generate_code(FixedBytes(bytes(b | 0xE0 for b in range(18)))).replace("-", "")
    assert shifted[:18] == ALPHABET[:18]


def test_every_position_uses_the_whole_alphabet():
    """Over many codes, every random position takes all 32 values (no dead bits)."""
    rng = SeededRandomness("alphabet coverage")
    codes = [generate_code(rng).replace("-", "") for _ in range(600)]
    for pos in range(RANDOM_CHARS):
        assert {c[pos] for c in codes} == set(ALPHABET)
    assert len(set(codes)) == len(codes)


def test_seeded_codes_are_reproducible_and_distinct():
    assert generate_code(SeededRandomness("a")) == generate_code(SeededRandomness("a"))
    assert generate_code(SeededRandomness("a")) != generate_code(SeededRandomness("b"))


def _sloppy_variants(code: str) -> list[str]:
    plain = code.replace("-", "")
    return [
        code.lower(),
        plain,
        plain.lower(),
        " ".join(code.split("-")),
        f"  {code}  ",
        "-".join(plain[i : i + 2] for i in range(0, 20, 2)),
        "\t".join(code.split("-")),
        " - ".join(code.split("-")),
    ]


def test_normalize_accepts_sloppy_typing(code):
    """Case, spaces, tabs and hyphens anywhere do not matter."""
    for typed in _sloppy_variants(code):
        assert normalize_code(typed) == code.replace("-", ""), typed


def test_normalize_reads_o_as_zero_and_i_l_as_one():
    """Letters that look like digits are read as those digits."""
    # Find codes containing both 0 and 1 so the substitutions are exercised.
    rng = SeededRandomness("zeros and ones")
    found = 0
    while found < 5:
        code = generate_code(rng)
        if "0" not in code or "1" not in code:
            continue
        found += 1
        expected = code.replace("-", "")
        for o, i in [("O", "I"), ("o", "l"), ("O", "L"), ("o", "i")]:
            typed = code.replace("0", o).replace("1", i)
            assert normalize_code(typed) == expected


@pytest.mark.parametrize("bad", ["U", "u", "!", ".", "_", "/", "é", "０", "*"])
def test_normalize_rejects_foreign_characters(code, bad):
    """U and punctuation never occur in codes; the message names the character."""
    typed = code[:5] + bad + code[6:]
    with pytest.raises(InvalidCredentialCode, match="does not occur in codes") as info:
        normalize_code(typed)
    assert repr(bad.upper()) in str(info.value) or repr(bad) in str(info.value)


@pytest.mark.parametrize("cut", [1, 2, 4])
def test_normalize_rejects_wrong_length(code, cut):
    plain = code.replace("-", "")
    with pytest.raises(InvalidCredentialCode, match=f"20 characters; {20 - cut} were entered"):
        normalize_code(plain[:-cut])
    with pytest.raises(InvalidCredentialCode, match=f"20 characters; {20 + cut} were entered"):
        normalize_code(plain + plain[:cut])
    with pytest.raises(InvalidCredentialCode, match="0 were entered"):
        normalize_code(" - ")


def test_normalize_rejects_non_text():
    with pytest.raises(InvalidCredentialCode, match="must be text"):
        normalize_code(b"ABCD")  # type: ignore[arg-type]


def _substitutions(plain: str):
    for pos, old in enumerate(plain):
        for new in ALPHABET:
            if new != old:
                yield pos, plain[:pos] + new + plain[pos + 1 :]


def _accepted(typed: str) -> bool:
    """True if the typo slips through; a caught typo must be reported as a typo."""
    message = None
    try:
        normalize_code(typed)
    except InvalidCredentialCode as exc:
        message = str(exc)
    if message is None:
        return True
    assert "typing mistake" in message
    return False


def test_every_substitution_of_a_fixed_code(code):
    """All 620 single-character typos of one code: check characters always caught,
    the rest caught except for the ~1/1024 the 10-bit check cannot see."""
    plain = code.replace("-", "")
    accepted = [(pos, typed) for pos, typed in _substitutions(plain) if _accepted(typed)]
    assert all(pos < RANDOM_CHARS for pos, _ in accepted)
    assert len(accepted) <= 6  # 620 typos, ~0.6 expected to pass a 10-bit check
    # A typo in a check character is always caught: the check is a function of the body.
    for pos in (18, 19):
        for new in ALPHABET:
            if new != plain[pos]:
                assert not _accepted(plain[:pos] + new + plain[pos + 1 :])


@given(seed=st.binary(min_size=1, max_size=16))
def test_substitution_typos_are_rejected_over_99_percent(seed):
    """For any code, over 99% of single-character substitutions are refused."""
    plain = generate_code(SeededRandomness(seed)).replace("-", "")
    results = [_accepted(typed) for _, typed in _substitutions(plain)]
    assert len(results) == 20 * 31
    assert sum(results) / len(results) < 0.01


def test_typo_messages_do_not_depend_on_issuance():
    """The booth cannot tell an issued code from any other: same messages either way."""
    issued = generate_code(SeededRandomness("issued"))
    never = generate_code(SeededRandomness("never issued"))
    derive_credential_key(issued, ELECTION_ID, ROUND_ID)  # "issued": its key is on the board
    # Both valid codes normalize without any hint of issuance.
    assert normalize_code(issued) == issued.replace("-", "")
    assert normalize_code(never) == never.replace("-", "")

    def message(typed: str) -> str:
        with pytest.raises(InvalidCredentialCode) as info:
            normalize_code(typed)
        return str(info.value)

    for mistake in [
        lambda c: c[:-1],
        lambda c: c + "7",
        lambda c: c[:3] + "U" + c[4:],
        lambda c: c[:-1] + ALPHABET[(ALPHABET.index(c[-1]) + 1) % 32],
    ]:
        assert message(mistake(issued)) == message(mistake(never))
    for typed in (issued, never):
        wrong = typed[:-1] + ALPHABET[(ALPHABET.index(typed[-1]) + 1) % 32]
        assert typed.replace("-", "") not in message(wrong)
        assert "issued" not in message(wrong)


# --- derived keys -----------------------------------------------------------------------


def test_key_matches_the_protocol_derivation(code, key):
    """HKDF-SHA256(ikm=code, salt=election_id, info=".../credential/"+round_id), by hand."""
    assert public_key_bytes(key) == by_hand(code.replace("-", ""), ELECTION_ID, ROUND_ID)


def test_key_uses_the_normalized_code(code, key):
    """However the deputy types it, the same key comes out."""
    for typed in _sloppy_variants(code):
        assert public_key_bytes(derive_credential_key(typed, ELECTION_ID, ROUND_ID)) == (
            public_key_bytes(key)
        )


def test_key_differs_per_round_and_election(code, key):
    """A slip for one round (or election) is useless in another."""
    keys = {
        public_key_bytes(key),
        public_key_bytes(derive_credential_key(code, ELECTION_ID, "runoff-1")),
        public_key_bytes(derive_credential_key(code, "2026-朝阳区人大", ROUND_ID)),
        public_key_bytes(derive_credential_key(code, ELECTION_ID + " ", ROUND_ID)),
    }
    assert len(keys) == 4
    assert by_hand(code.replace("-", ""), ELECTION_ID, "runoff-1") in keys


def test_key_derivation_refuses_mistyped_code(code):
    """No key is derived from a typo (which would silently cast as nobody)."""
    with pytest.raises(InvalidCredentialCode):
        derive_credential_key(code[:-1], ELECTION_ID, ROUND_ID)


# --- cast signatures --------------------------------------------------------------------


def test_cast_message_is_hb_of_q_and_digest():
    assert cast_message(Q, DIGEST) == HB("piaojue/v1/cast", Q, DIGEST)


def test_sign_and_verify_cast(key):
    """The booth's signature verifies with the credential's public key alone."""
    signature = sign_cast(key, Q, DIGEST)
    assert len(signature) == 64
    verify_cast(public_key_bytes(key), signature, Q, DIGEST)
    key.public_key().verify(signature, HB("piaojue/v1/cast", Q, DIGEST))


def test_verify_cast_rejects_another_key(key):
    other = derive_credential_key(generate_code(SeededRandomness("other")), ELECTION_ID, ROUND_ID)
    signature = sign_cast(key, Q, DIGEST)
    with pytest.raises(InvalidSignature, match="credential signature on the ballot"):
        verify_cast(public_key_bytes(other), signature, Q, DIGEST)


def test_verify_cast_rejects_another_context(key):
    """A signature from one round cannot be replayed under another Q."""
    signature = sign_cast(key, Q, DIGEST)
    with pytest.raises(InvalidSignature, match="does not verify"):
        verify_cast(public_key_bytes(key), signature, HB("piaojue/v1/context", b"x"), DIGEST)


def test_verify_cast_rejects_another_ballot(key):
    """The signature binds the exact ballot: a substituted ballot fails."""
    signature = sign_cast(key, Q, DIGEST)
    with pytest.raises(InvalidSignature, match="does not verify"):
        verify_cast(public_key_bytes(key), signature, Q, HB("piaojue/v1/ballot", Q, b"[]"))


@pytest.mark.parametrize("bit", [0, 7, 8 * 31, 8 * 32, 8 * 63 + 7])
def test_verify_cast_rejects_flipped_signature_bit(key, bit):
    signature = bytearray(sign_cast(key, Q, DIGEST))
    signature[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidSignature):
        verify_cast(public_key_bytes(key), bytes(signature), Q, DIGEST)


@pytest.mark.parametrize("length", [0, 63, 65])
def test_verify_cast_rejects_wrong_signature_length(key, length):
    signature = (sign_cast(key, Q, DIGEST) * 2)[:length]
    with pytest.raises(InvalidSignature, match="a signature is 64 bytes"):
        verify_cast(public_key_bytes(key), signature, Q, DIGEST)


@pytest.mark.parametrize("length", [0, 31, 33])
def test_verify_cast_rejects_malformed_key(key, length):
    signature = sign_cast(key, Q, DIGEST)
    with pytest.raises(InvalidEncoding, match="public key is not 32 bytes"):
        verify_cast((public_key_bytes(key) * 2)[:length], signature, Q, DIGEST)


IDENTITY_KEY = b"\x01" + bytes(31)
"""The identity point as an Ed25519 public key: small order, so [k]A = O for every k."""


def test_verify_cast_refuses_small_order_key():
    """A credential key of small order would let anyone sign any ballot for it."""
    forged = IDENTITY_KEY + bytes(32)
    with pytest.raises((InvalidEncoding, InvalidSignature)):
        verify_cast(IDENTITY_KEY, forged, Q, DIGEST)
