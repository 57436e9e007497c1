"""``enc``, ``HB`` and ``HS`` of PROTOCOL.md §2.

Every hash of the protocol goes through these three functions so that the
byte layout of a hashed tuple is defined in exactly one place.
"""

from __future__ import annotations

import hashlib

from crypto.group import L, Point

TAG_PREFIX = "piaojue/v1/"

Hashable = Point | int | str | bytes


def _item_bytes(item: Hashable) -> bytes:
    if isinstance(item, Point):
        return item.data
    if isinstance(item, bool):
        raise TypeError("booleans have no protocol encoding")
    if isinstance(item, int):
        if not 0 <= item < 2**64:
            raise ValueError("integers are encoded as 8 unsigned bytes")
        return item.to_bytes(8, "big")
    if isinstance(item, str):
        return item.encode("utf-8")
    if isinstance(item, bytes | bytearray):
        return bytes(item)
    raise TypeError(f"no protocol encoding for {type(item).__name__}")


def enc(*items: Hashable) -> bytes:
    """Length-prefixed concatenation: 4-byte big-endian length, then bytes.

    Scalars are not accepted as ints (an int is an 8-byte integer here);
    a caller that hashes a scalar passes ``scalar_to_bytes(k)``.
    """
    out = bytearray()
    for item in items:
        data = _item_bytes(item)
        out += len(data).to_bytes(4, "big")
        out += data
    return bytes(out)


def _check_tag(tag: str) -> None:
    if not tag.startswith(TAG_PREFIX) or not tag.isascii():
        raise ValueError(f"protocol tags are ASCII and start with {TAG_PREFIX!r}")


def HB(tag: str, *items: Hashable) -> bytes:  # noqa: N802 - the protocol's name
    """SHA-256 digest of ``enc(tag, items...)``: digests and chain values."""
    _check_tag(tag)
    return hashlib.sha256(enc(tag, *items)).digest()


def HS(tag: str, *items: Hashable) -> int:  # noqa: N802 - the protocol's name
    """SHA-512 of ``enc(tag, items...)`` read little-endian mod ``L``: challenges."""
    _check_tag(tag)
    return int.from_bytes(hashlib.sha512(enc(tag, *items)).digest(), "little") % L


def fingerprint(digest: bytes, groups: int = 4) -> str:
    """A grouped hex prefix of a digest, short enough to compare by eye: ``1A2B 3C4D …``.

    The booth shows a ballot's (its ``ballot_digest``) before cast or challenge,
    and a round's (its context ``Q``) on the tablet, the slips and the hall screen.
    """
    text = digest.hex()[: 4 * groups].upper()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
