"""Trustee key files: secrets sealed under a passphrase (scrypt + ChaCha20-Poly1305).

A trustee's polynomial, transport key and secret share exist only in this
file, on the trustee's own machine. The file is JSON so a trustee can see
what it is, but everything secret is inside the authenticated ciphertext.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from crypto.canonical import canonical_json, parse_json
from crypto.errors import InvalidEncoding, WrongPassphrase
from crypto.rng import SYSTEM_RANDOMNESS, Randomness

FORMAT = "piaojue-trustee-key/1"
DEFAULT_SCRYPT_N = 2**15
_MAX_SCRYPT_N = 2**20
_SCRYPT_R = 8
_SCRYPT_P = 1
MIN_PASSPHRASE_LENGTH = 8


def _derive(passphrase: str, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=_SCRYPT_R, p=_SCRYPT_P).derive(
        passphrase.encode("utf-8")
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def seal_key_file(
    secrets: dict[str, Any],
    passphrase: str,
    *,
    public: dict[str, Any] | None = None,
    scrypt_n: int = DEFAULT_SCRYPT_N,
    rng: Randomness = SYSTEM_RANDOMNESS,
) -> bytes:
    """Encrypt ``secrets``; ``public`` stays readable and is authenticated."""
    if not 2 <= scrypt_n <= _MAX_SCRYPT_N or scrypt_n & (scrypt_n - 1):
        raise ValueError(f"scrypt cost must be a power of two up to {_MAX_SCRYPT_N}")
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise ValueError(f"the passphrase must have at least {MIN_PASSPHRASE_LENGTH} characters")
    public = public or {}
    salt, nonce = rng.token_bytes(16), rng.token_bytes(12)
    header = {"format": FORMAT, "kdf": {"name": "scrypt", "n": scrypt_n, "r": _SCRYPT_R,
              "p": _SCRYPT_P, "salt": _b64(salt)}, "public": public}
    body = ChaCha20Poly1305(_derive(passphrase, salt, scrypt_n)).encrypt(
        nonce, canonical_json(secrets), canonical_json(header)
    )
    return canonical_json({**header, "nonce": _b64(nonce), "ciphertext": _b64(body)}) + b"\n"


def scrypt_cost(data: bytes) -> int:
    """The scrypt cost ``n`` a key file was sealed with."""
    return _parse(data)[1]


def read_public_part(data: bytes) -> dict[str, Any]:
    """The unencrypted part: who the trustee is, which election. No passphrase needed."""
    return _parse(data)[0]["public"]


def _parse(data: bytes) -> tuple[dict[str, Any], int, bytes, bytes, bytes]:
    doc = parse_json(data)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InvalidEncoding(f"not a Piaojue trustee key file (format {FORMAT!r} expected)")
    try:
        kdf = doc["kdf"]
        n = kdf["n"]
        if kdf["name"] != "scrypt" or kdf["r"] != _SCRYPT_R or kdf["p"] != _SCRYPT_P:
            raise InvalidEncoding("trustee key file: unsupported key derivation")
        if not isinstance(n, int) or n < 2 or n > _MAX_SCRYPT_N or n & (n - 1):
            raise InvalidEncoding("trustee key file: scrypt cost out of range")
        salt = base64.b64decode(kdf["salt"], validate=True)
        nonce = base64.b64decode(doc["nonce"], validate=True)
        body = base64.b64decode(doc["ciphertext"], validate=True)
        if not isinstance(doc["public"], dict) or len(nonce) != 12:
            raise InvalidEncoding("trustee key file: malformed header")
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InvalidEncoding):
            raise
        raise InvalidEncoding("trustee key file: missing or malformed field") from None
    header = {"format": FORMAT, "kdf": kdf, "public": doc["public"]}
    return header, n, salt, nonce, body


def open_key_file(data: bytes, passphrase: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(public, secrets)`` or raise :class:`WrongPassphrase`."""
    header, n, salt, nonce, body = _parse(data)
    try:
        plain = ChaCha20Poly1305(_derive(passphrase, salt, n)).decrypt(
            nonce, body, canonical_json(header)
        )
    except InvalidTag:
        raise WrongPassphrase(
            "the passphrase does not open this trustee key file (or the file was altered)"
        ) from None
    secrets = parse_json(plain)
    if not isinstance(secrets, dict):
        raise InvalidEncoding("trustee key file: secrets are not an object")
    return header["public"], secrets
