"""Signed cast receipts (PROTOCOL.md §7).

A receipt is canonical JSON of where the ballot landed on the board, signed
with the round's receipt key. It reveals nothing about the marks, and because
the board hash chains every earlier entry, one receipt also proves that no
earlier entry was later removed or changed.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.canonical import canonical_json, hex_bytes
from crypto.credentials import public_key_bytes, verify_ed25519
from crypto.errors import InvalidEncoding
from crypto.rng import SYSTEM_RANDOMNESS, Randomness

RECEIPT_FIELDS = frozenset({"election_id", "round_id", "index", "entry_digest", "board_hash"})


def new_receipt_key(rng: Randomness = SYSTEM_RANDOMNESS) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(rng.token_bytes(32))


def receipt_public_key(key: Ed25519PrivateKey) -> bytes:
    return public_key_bytes(key)


def make_receipt(
    election_id: str, round_id: str, index: int, entry_digest: bytes, board_hash: bytes
) -> dict[str, Any]:
    return {
        "election_id": election_id,
        "round_id": round_id,
        "index": index,
        "entry_digest": entry_digest.hex(),
        "board_hash": board_hash.hex(),
    }


def sign_receipt(key: Ed25519PrivateKey, receipt: dict[str, Any]) -> bytes:
    return key.sign(canonical_json(receipt))


def check_receipt_shape(receipt: Any) -> None:
    if not isinstance(receipt, dict) or not set(receipt) >= RECEIPT_FIELDS:
        raise InvalidEncoding(f"a receipt has the fields {sorted(RECEIPT_FIELDS)}")
    for field in ("election_id", "round_id"):
        if not isinstance(receipt[field], str):
            raise InvalidEncoding(f"receipt {field} must be text")
    index = receipt["index"]
    if not isinstance(index, int) or isinstance(index, bool) or index < 1:
        raise InvalidEncoding("receipt index must be a positive integer")
    hex_bytes(receipt["entry_digest"], 32, "receipt entry_digest")
    hex_bytes(receipt["board_hash"], 32, "receipt board_hash")


def verify_receipt(receipt: Any, signature: bytes, receipt_key: bytes) -> None:
    """Return ``None`` or raise: shape first, then the Ed25519 signature."""
    check_receipt_shape(receipt)
    verify_ed25519(receipt_key, signature, canonical_json(receipt), "the receipt signature")
