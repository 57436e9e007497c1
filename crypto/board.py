"""The bulletin board's hash chain (PROTOCOL.md §6).

``h_k = HB(board, h_(k-1), d_k)`` with ``d_k`` the digest of entry k: one
head, so any removal, insertion or rewrite changes every later chain value
and every receipt handed out after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crypto.canonical import canonical_json
from crypto.hashing import HB

ENTRY_TYPES = ("credentials", "void", "cast", "spoiled")


def entry_digest(context: bytes, entry: dict[str, Any]) -> bytes:
    """``d_k = HB("piaojue/v1/entry", Q, canonical_json(entry_k))``."""
    return HB("piaojue/v1/entry", context, canonical_json(entry))


def genesis(context: bytes) -> bytes:
    """``h_0 = HB("piaojue/v1/genesis", Q)``."""
    return HB("piaojue/v1/genesis", context)


def next_hash(previous: bytes, digest: bytes) -> bytes:
    """``h_k = HB("piaojue/v1/board", h_(k-1), d_k)``."""
    return HB("piaojue/v1/board", previous, digest)


def chain(context: bytes, entries: Iterable[dict[str, Any]]) -> list[tuple[bytes, bytes]]:
    """``(d_k, h_k)`` for every entry in order."""
    out = []
    head = genesis(context)
    for entry in entries:
        digest = entry_digest(context, entry)
        head = next_hash(head, digest)
        out.append((digest, head))
    return out
