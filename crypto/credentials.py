"""Anonymous one-time voting credentials (PROTOCOL.md §6).

A slip carries a code; the booth derives an Ed25519 key from it and signs
the cast. The server only ever sees public keys, so it can check that a
ballot comes from an issued slip without being able to forge one.

Codes are 20 Crockford base32 characters in groups of four: 18 random (90
bits) and 2 check characters, so a mistyped code is caught at the booth
before any key is derived, without revealing whether a code was issued.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.errors import InvalidCredentialCode, InvalidEncoding, InvalidPoint, InvalidSignature
from crypto.group import Point
from crypto.hashing import HB
from crypto.rng import SYSTEM_RANDOMNESS, Randomness

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford base32: no I, L, O or U."""
RANDOM_CHARS = 18
CHECK_CHARS = 2
CODE_CHARS = RANDOM_CHARS + CHECK_CHARS
GROUP = 4
_READ_AS = {"O": "0", "I": "1", "L": "1"}
_SEPARATORS = " -\t"


def _check_chars(body: str) -> str:
    value = int.from_bytes(hashlib.sha256(b"piaojue/v1/code-check" + body.encode()).digest()[:2],
                           "big") >> 6
    return ALPHABET[value >> 5] + ALPHABET[value & 31]


def group_code(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def generate_code(rng: Randomness = SYSTEM_RANDOMNESS) -> str:
    """A fresh grouped code such as ``7K2M-…``, with its check characters."""
    body = "".join(ALPHABET[b & 31] for b in rng.token_bytes(RANDOM_CHARS))
    return group_code(body + _check_chars(body))


def normalize_code(typed: str) -> str:
    """Upper case, separators dropped, O/I/L read as 0/1; check characters verified.

    Errors say what is wrong with the typing (length, a character, a typo
    somewhere) and never whether such a code was issued.
    """
    if not isinstance(typed, str):
        raise InvalidCredentialCode("the code must be text")
    chars = []
    for ch in typed.strip():
        if not ch.isascii():
            raise InvalidCredentialCode(
                f"the character {ch!r} does not occur in codes (letters and digits only, no U)"
            )
        ch = ch.upper()
        if ch in _SEPARATORS:
            continue
        ch = _READ_AS.get(ch, ch)
        if ch not in ALPHABET:
            raise InvalidCredentialCode(
                f"the character {ch!r} does not occur in codes (letters and digits only, no U)"
            )
        chars.append(ch)
    code = "".join(chars)
    if len(code) != CODE_CHARS:
        raise InvalidCredentialCode(
            f"a code has {CODE_CHARS} characters; {len(code)} were entered"
        )
    if _check_chars(code[:RANDOM_CHARS]) != code[RANDOM_CHARS:]:
        raise InvalidCredentialCode("the code has a typing mistake; please check each character")
    return code


def derive_credential_key(code: str, election_id: str, round_id: str) -> Ed25519PrivateKey:
    """``HKDF-SHA256(ikm=code, salt=election_id, info="piaojue/v1/credential/" + round_id)``."""
    normalized = normalize_code(code)
    seed = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=election_id.encode("utf-8"),
        info=("piaojue/v1/credential/" + round_id).encode("utf-8"),
    ).derive(normalized.encode("ascii"))
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


def cast_message(context: bytes, ballot_digest: bytes) -> bytes:
    return HB("piaojue/v1/cast", context, ballot_digest)


def sign_cast(key: Ed25519PrivateKey, context: bytes, ballot_digest: bytes) -> bytes:
    return key.sign(cast_message(context, ballot_digest))


def check_ed25519_public_key(public_key: bytes, what: str) -> None:
    """An Ed25519 key from outside is a point too (PROTOCOL.md §1): refuse small order.

    RFC 8032 verification accepts a small-order key with a signature that
    verifies for every message; honest keys (a clamped scalar times the base
    point) always lie in the prime-order subgroup, so nothing honest is lost.
    """
    if not isinstance(public_key, bytes | bytearray) or len(public_key) != 32:
        raise InvalidEncoding(f"{what}: the public key is not 32 bytes")
    try:
        Point.from_bytes(bytes(public_key))
    except InvalidPoint as exc:
        raise InvalidEncoding(f"{what}: the public key is not a valid point ({exc})") from None


def verify_ed25519(public_key: bytes, signature: bytes, message: bytes, what: str) -> None:
    """Return ``None`` or raise :class:`InvalidSignature` naming ``what``."""
    check_ed25519_public_key(public_key, what)
    if len(signature) != 64:
        raise InvalidSignature(f"{what}: a signature is 64 bytes")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except _CryptographyInvalidSignature:
        raise InvalidSignature(f"{what} does not verify") from None


def verify_cast(public_key: bytes, signature: bytes, context: bytes, ballot_digest: bytes) -> None:
    verify_ed25519(public_key, signature, cast_message(context, ballot_digest),
                   "the credential signature on the ballot")
