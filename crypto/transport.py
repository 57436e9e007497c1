"""Sealing a ceremony share to its recipient's X25519 transport key.

The server relays shares between trustees but must never read one, so each
share is encrypted with an ephemeral X25519 key, HKDF-SHA256 and
ChaCha20-Poly1305, with the election context and both indices as associated
data so a sealed share cannot be replayed to another trustee or election.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.errors import InvalidEncoding, InvalidShare
from crypto.group import L, scalar_from_bytes, scalar_to_bytes
from crypto.hashing import enc
from crypto.rng import SYSTEM_RANDOMNESS, Randomness

_RAW = serialization.Encoding.Raw
_NONCE_BYTES = 12
SEALED_SHARE_BYTES = 32 + _NONCE_BYTES + 32 + 16


def new_transport_key(rng: Randomness = SYSTEM_RANDOMNESS) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(rng.token_bytes(32))


def transport_public_bytes(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)


def transport_private_bytes(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def check_transport_key(public: bytes) -> None:
    """Refuse a transport key no share could be sealed to (wrong size, low order)."""
    try:
        new_transport_key().exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError:
        raise InvalidEncoding("the transport key is not a usable X25519 public key") from None


def _key(shared: bytes, context: bytes, eph: bytes, recipient_key: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=context,
        info=enc("piaojue/v1/share", eph, recipient_key),
    ).derive(shared)


def seal_share(
    share: int,
    *,
    sender: int,
    recipient: int,
    recipient_key: bytes,
    context: bytes,
    rng: Randomness = SYSTEM_RANDOMNESS,
) -> bytes:
    """``eph_pub || nonce || ChaCha20-Poly1305(P_i(j))``."""
    if not 0 <= share < L:
        raise ValueError("share must be reduced mod L")
    try:
        peer = X25519PublicKey.from_public_bytes(recipient_key)
    except ValueError as exc:
        raise InvalidEncoding(f"trustee {recipient}: transport key is not 32 bytes") from exc
    eph = new_transport_key(rng)
    eph_pub = transport_public_bytes(eph)
    nonce = rng.token_bytes(_NONCE_BYTES)
    try:
        shared = eph.exchange(peer)
    except ValueError:
        raise InvalidEncoding(f"trustee {recipient}: the transport key is a low-order "
                              "point, which no honest key is") from None
    key = _key(shared, context, eph_pub, recipient_key)
    sealed = ChaCha20Poly1305(key).encrypt(
        nonce, scalar_to_bytes(share), enc(context, sender, recipient)
    )
    return eph_pub + nonce + sealed


def open_share(
    sealed: bytes, *, sender: int, recipient: int, private_key: X25519PrivateKey, context: bytes
) -> int:
    """Decrypt a share addressed to us, or raise :class:`InvalidShare`."""

    def fail(why: str) -> InvalidShare:
        return InvalidShare(
            f"the share trustee {sender} sent to trustee {recipient} {why}",
            sender=sender,
            recipient=recipient,
        )

    if len(sealed) != SEALED_SHARE_BYTES:
        raise fail(f"has {len(sealed)} bytes, not {SEALED_SHARE_BYTES}")
    eph_pub, nonce, body = sealed[:32], sealed[32 : 32 + _NONCE_BYTES], sealed[32 + _NONCE_BYTES :]
    try:
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(eph_pub))
        key = _key(shared, context, eph_pub, transport_public_bytes(private_key))
        plain = ChaCha20Poly1305(key).decrypt(nonce, body, enc(context, sender, recipient))
        return scalar_from_bytes(plain)
    except (InvalidTag, ValueError):
        raise fail("cannot be decrypted with this trustee's transport key") from None
