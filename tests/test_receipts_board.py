"""Signed receipts (PROTOCOL.md §7) and the bulletin board's hash chain (§6).

A receipt is what a deputy carries away: it must verify offline against the
manifest's receipt key over exactly the canonical JSON bytes, and fail for
any change. The chain is what makes one receipt vouch for every earlier
entry: any edit to the board must change the chain value from that point on.
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from crypto.board import chain, entry_digest, genesis, next_hash
from crypto.canonical import canonical_json
from crypto.errors import InvalidEncoding, InvalidSignature
from crypto.hashing import HB
from crypto.receipts import (
    make_receipt,
    new_receipt_key,
    receipt_public_key,
    sign_receipt,
    verify_receipt,
)
from crypto.rng import SeededRandomness

Q = HB("piaojue/v1/context", b"manifest hash", b"joint key", b"commitments hash")
ELECTION_ID = "2025-西城区人大"
ROUND_ID = "selection-1"


def test_small_order_receipt_key_is_refused(receipt):
    """A manifest whose receipt key is the identity must not make every receipt valid."""
    identity = b"\x01" + bytes(31)
    with pytest.raises((InvalidEncoding, InvalidSignature)):
        verify_receipt(receipt, identity + bytes(32), identity)


def _hb_by_hand(tag: str, *items: bytes) -> bytes:
    """§2's HB written out: SHA-256 over 4-byte big-endian lengths and bytes."""
    parts = [tag.encode("ascii"), *items]
    return hashlib.sha256(b"".join(len(p).to_bytes(4, "big") + p for p in parts)).digest()


def entries_for(n: int) -> list[dict]:
    """n distinct board entries of the four §9 types."""
    out: list[dict] = [{"type": "credentials", "keys": [f"{k:064x}" for k in range(3)]}]
    for k in range(1, n):
        if k % 5 == 0:
            out.append({"type": "void", "key": f"{k:064x}"})
        else:
            out.append({"type": "cast", "ballot": {"cells": [[k]]}, "credential": f"{k:064x}",
                        "signature": f"{k:0128x}"})
    return out[:n]


@pytest.fixture(scope="module")
def receipt_key():
    return new_receipt_key(SeededRandomness("receipt key"))


@pytest.fixture
def receipt() -> dict:
    d = entry_digest(Q, {"type": "cast", "ballot": {}, "credential": "00" * 32,
                         "signature": "00" * 64})
    return make_receipt(ELECTION_ID, ROUND_ID, 7, d, next_hash(genesis(Q), d))


# --- receipts ---------------------------------------------------------------------------


def test_receipt_fields(receipt):
    """§7's fields, with digests as lowercase hex, and nothing about the marks."""
    assert set(receipt) == {"election_id", "round_id", "index", "entry_digest", "board_hash"}
    assert receipt["index"] == 7
    assert len(receipt["entry_digest"]) == 64
    assert receipt["entry_digest"] == receipt["entry_digest"].lower()


def test_receipt_round_trip(receipt_key, receipt):
    signature = sign_receipt(receipt_key, receipt)
    assert len(signature) == 64
    verify_receipt(receipt, signature, receipt_public_key(receipt_key))


def test_receipt_signature_is_over_canonical_json(receipt_key, receipt):
    """Anyone can check it offline with plain Ed25519 over canonical_json(receipt)."""
    signature = sign_receipt(receipt_key, receipt)
    raw_key = receipt_public_key(receipt_key)
    message = canonical_json(receipt)
    assert message.startswith(b'{"board_hash":"')
    assert b" " not in message
    Ed25519PublicKey.from_public_bytes(raw_key).verify(signature, message)
    # The order in which the dict was built does not matter: the bytes are canonical.
    reordered = dict(reversed(list(receipt.items())))
    verify_receipt(reordered, signature, raw_key)


def test_receipt_verifies_against_pure_ed25519_signature(receipt_key, receipt):
    """A signature made by any Ed25519 implementation over those bytes is accepted."""
    signature = receipt_key.sign(canonical_json(receipt))
    verify_receipt(receipt, signature, receipt_public_key(receipt_key))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("index", 8),
        ("index", 6),
        ("entry_digest", "11" * 32),
        ("board_hash", "22" * 32),
        ("election_id", "2025-东城区人大"),
        ("round_id", "runoff-1"),
    ],
)
def test_altered_receipt_fails(receipt_key, receipt, field, value):
    """Every field is signed: a receipt cannot be moved to another entry or round."""
    signature = sign_receipt(receipt_key, receipt)
    altered = {**receipt, field: value}
    with pytest.raises(InvalidSignature, match="receipt signature does not verify"):
        verify_receipt(altered, signature, receipt_public_key(receipt_key))


def test_added_field_is_signed_too(receipt_key, receipt):
    """Extra fields are allowed by §7 ("at least") but then covered by the signature."""
    signature = sign_receipt(receipt_key, receipt)
    with pytest.raises(InvalidSignature):
        verify_receipt({**receipt, "note": "x"}, signature, receipt_public_key(receipt_key))
    extended = {**receipt, "note": "x"}
    verify_receipt(extended, sign_receipt(receipt_key, extended), receipt_public_key(receipt_key))


@pytest.mark.parametrize("position", [0, 31, 32, 63])
def test_altered_signature_fails(receipt_key, receipt, position):
    signature = bytearray(sign_receipt(receipt_key, receipt))
    signature[position] ^= 0x40
    with pytest.raises(InvalidSignature):
        verify_receipt(receipt, bytes(signature), receipt_public_key(receipt_key))


def test_truncated_signature_fails(receipt_key, receipt):
    signature = sign_receipt(receipt_key, receipt)
    with pytest.raises(InvalidSignature, match="64 bytes"):
        verify_receipt(receipt, signature[:-1], receipt_public_key(receipt_key))


def test_another_key_fails(receipt_key, receipt):
    """Only the round's receipt key (the one in the manifest) makes valid receipts."""
    other = new_receipt_key(SeededRandomness("another receipt key"))
    with pytest.raises(InvalidSignature):
        verify_receipt(receipt, sign_receipt(other, receipt), receipt_public_key(receipt_key))
    with pytest.raises(InvalidSignature):
        verify_receipt(receipt, sign_receipt(receipt_key, receipt), receipt_public_key(other))


def test_malformed_receipt_key(receipt_key, receipt):
    signature = sign_receipt(receipt_key, receipt)
    with pytest.raises(InvalidEncoding, match="public key is not 32 bytes"):
        verify_receipt(receipt, signature, receipt_public_key(receipt_key)[:31])


FIELDS = ("election_id", "round_id", "index", "entry_digest", "board_hash")
MALFORMED = [
    *[(f"missing {f}", lambda r, f=f: {k: v for k, v in r.items() if k != f},
       "a receipt has the fields") for f in FIELDS],
    ("not a dict", lambda r: "not a dict", "a receipt has the fields"),
    ("a list", lambda r: [r], "a receipt has the fields"),
    ("index 0", lambda r: {**r, "index": 0}, "index must be a positive integer"),
    ("index -1", lambda r: {**r, "index": -1}, "index must be a positive integer"),
    ("index true", lambda r: {**r, "index": True}, "index must be a positive integer"),
    ("index text", lambda r: {**r, "index": "7"}, "index must be a positive integer"),
    ("index null", lambda r: {**r, "index": None}, "index must be a positive integer"),
    ("election_id int", lambda r: {**r, "election_id": 2025}, "election_id must be text"),
    ("round_id null", lambda r: {**r, "round_id": None}, "round_id must be text"),
    ("digest not hex", lambda r: {**r, "entry_digest": "zz" * 32}, "entry_digest"),
    ("digest upper", lambda r: {**r, "entry_digest": r["entry_digest"].upper()}, "entry_digest"),
    ("digest short", lambda r: {**r, "entry_digest": r["entry_digest"][:-2]}, "entry_digest"),
    ("digest bytes", lambda r: {**r, "entry_digest": bytes(32)}, "entry_digest"),
    ("hash long", lambda r: {**r, "board_hash": r["board_hash"] + "00"}, "board_hash"),
    ("hash 0x", lambda r: {**r, "board_hash": "0x" + r["board_hash"][2:]}, "board_hash"),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_receipts_are_encoding_errors(receipt_key, receipt, mutate, message):
    """A receipt of the wrong shape is refused by name before any signature check."""
    signature = sign_receipt(receipt_key, receipt)
    with pytest.raises(InvalidEncoding, match=message):
        verify_receipt(mutate(receipt), signature, receipt_public_key(receipt_key))


# --- board chain ------------------------------------------------------------------------


def test_entry_digest_by_hand():
    """d_k = HB("piaojue/v1/entry", Q, canonical_json(entry))."""
    entry = {"type": "void", "key": "ab" * 32}
    expected = _hb_by_hand("piaojue/v1/entry", Q, b'{"key":"' + b"ab" * 32 + b'","type":"void"}')
    assert entry_digest(Q, entry) == expected
    assert entry_digest(Q, entry) == HB("piaojue/v1/entry", Q, canonical_json(entry))


def test_entry_digest_depends_on_context():
    """The same entry on another round's board has another digest."""
    entry = {"type": "void", "key": "ab" * 32}
    assert entry_digest(Q, entry) != entry_digest(HB("piaojue/v1/context", b"other"), entry)


def test_genesis_by_hand():
    """h_0 = HB("piaojue/v1/genesis", Q)."""
    assert genesis(Q) == _hb_by_hand("piaojue/v1/genesis", Q)
    assert genesis(Q) == HB("piaojue/v1/genesis", Q)
    assert genesis(Q) != genesis(HB("piaojue/v1/context", b"other"))


def test_next_hash_by_hand():
    """h_k = HB("piaojue/v1/board", h_(k-1), d_k)."""
    prev, d = bytes(range(32)), bytes(range(32, 64))
    assert next_hash(prev, d) == _hb_by_hand("piaojue/v1/board", prev, d)
    assert next_hash(prev, d) != next_hash(d, prev)


def test_chain_by_hand():
    """chain() is exactly the fold of next_hash over the entry digests from genesis."""
    entries = entries_for(6)
    result = chain(Q, entries)
    assert len(result) == 6
    head = genesis(Q)
    for entry, (d, h) in zip(entries, result, strict=True):
        assert d == entry_digest(Q, entry)
        head = next_hash(head, d)
        assert h == head
    assert chain(Q, []) == []
    assert chain(Q, iter(entries)) == result


def test_receipt_for_each_entry_verifies(receipt_key):
    """The booth signs (k, d_k, h_k) from chain(); each receipt checks offline."""
    public = receipt_public_key(receipt_key)
    for k, (d, h) in enumerate(chain(Q, entries_for(4)), 1):
        receipt = make_receipt(ELECTION_ID, ROUND_ID, k, d, h)
        verify_receipt(receipt, sign_receipt(receipt_key, receipt), public)


def _assert_changed_from(original: list, altered_entries: list, position: int) -> None:
    """Chain values before ``position`` agree; from it on, none equals the original's."""
    before = [h for _, h in chain(Q, original)]
    after = [h for _, h in chain(Q, altered_entries)]
    assert after[:position] == before[:position]
    for k in range(position, min(len(before), len(after))):
        assert after[k] != before[k], k
    # No later chain value of the altered board reappears anywhere in the original one.
    assert not set(after[position:]) & set(before)


@given(data=st.data())
def test_changing_an_entry_changes_every_later_chain_value(data):
    n = data.draw(st.integers(1, 12), label="n")
    pos = data.draw(st.integers(0, n - 1), label="pos")
    entries = entries_for(n)
    altered = [dict(e) for e in entries]
    altered[pos] = {**altered[pos], "type": "spoiled"}
    _assert_changed_from(entries, altered, pos)


@given(data=st.data())
def test_removing_an_entry_changes_every_later_chain_value(data):
    n = data.draw(st.integers(1, 12), label="n")
    pos = data.draw(st.integers(0, n - 1), label="pos")
    entries = entries_for(n)
    altered = entries[:pos] + entries[pos + 1 :]
    _assert_changed_from(entries, altered, pos)
    # The original board's entries after pos no longer have their receipted chain values.
    assert [h for _, h in chain(Q, entries)][pos:] != [h for _, h in chain(Q, altered)][pos:]


@given(data=st.data())
def test_inserting_an_entry_changes_every_later_chain_value(data):
    n = data.draw(st.integers(0, 12), label="n")
    pos = data.draw(st.integers(0, n), label="pos")
    entries = entries_for(n)
    inserted = {"type": "cast", "ballot": {"cells": [["forged"]]}, "credential": "ff" * 32,
                "signature": "ee" * 64}
    altered = [*entries[:pos], inserted, *entries[pos:]]
    _assert_changed_from(entries, altered, pos)
    assert len(chain(Q, altered)) == n + 1


@given(data=st.data())
def test_reordering_entries_changes_every_later_chain_value(data):
    n = data.draw(st.integers(2, 12), label="n")
    i = data.draw(st.integers(0, n - 2), label="i")
    j = data.draw(st.integers(i + 1, n - 1), label="j")
    entries = entries_for(n)
    altered = list(entries)
    altered[i], altered[j] = altered[j], altered[i]
    _assert_changed_from(entries, altered, i)
    # Digests are per entry, so they move with it; only the chain reveals the order.
    assert sorted(d for d, _ in chain(Q, altered)) == sorted(d for d, _ in chain(Q, entries))


def test_rewritten_key_order_is_the_same_entry():
    """Canonical JSON: re-serialising an entry with other key order is not a change."""
    entry = {"type": "cast", "ballot": {"b": 1, "a": 2}, "credential": "aa", "signature": "bb"}
    same = {"signature": "bb", "credential": "aa", "ballot": {"a": 2, "b": 1}, "type": "cast"}
    assert chain(Q, [entry]) == chain(Q, [same])
