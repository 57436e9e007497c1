"""Sealing server-held secrets at rest (the receipt signing key).

The key comes from the instance configuration, never from the database, so
a copy of the database alone does not let anyone sign receipts.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.errors import CryptoError
from crypto.rng import SYSTEM_RANDOMNESS, Randomness


class AtRestKey:
    """A 32-byte key derived from the instance secret; it never prints itself."""

    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else secret
        if len(raw) < 16:
            raise ValueError("the at-rest secret must have at least 16 characters")
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                         info=b"piaojue/v1/at-rest").derive(raw)

    def __repr__(self) -> str:
        return "AtRestKey(<hidden>)"

    def seal(self, plaintext: bytes, label: str, rng: Randomness = SYSTEM_RANDOMNESS) -> bytes:
        nonce = rng.token_bytes(12)
        return nonce + ChaCha20Poly1305(self._key).encrypt(nonce, plaintext, label.encode())

    def open(self, sealed: bytes, label: str) -> bytes:
        try:
            return ChaCha20Poly1305(self._key).decrypt(sealed[:12], sealed[12:], label.encode())
        except (InvalidTag, ValueError):
            raise CryptoError(
                f"cannot unseal {label}: the instance secret (PIAOJUE_SECRET_KEY) differs from "
                "the one it was sealed with"
            ) from None
