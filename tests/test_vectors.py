"""Known-answer tests: the committed vectors must be reproduced byte for byte.

The vectors were generated once by ``python -m tests.vectors.generate`` from
fixed seeds. Any change of a tag, an encoding, a field name or a proof
layout changes these bytes, and old records would stop verifying: that must
be a deliberate protocol change, never an accident.
"""

from __future__ import annotations

from typing import Any

import pytest

from ballot.record import REQUIRED_FILES
from ballot.verifier import verify_record_files
from crypto.canonical import canonical_json, parse_json, point_from_hex, scalar_from_hex
from crypto.credentials import derive_credential_key, public_key_bytes, verify_cast
from crypto.decryption_proof import verify_decryption
from crypto.elgamal import Ciphertext
from crypto.hashing import HB
from crypto.keyfile import open_key_file
from crypto.range_proof import verify_range
from crypto.receipts import verify_receipt
from tests.vectors.generate import (
    BOOTH,
    ENCODINGS,
    PRIMITIVES,
    RECORD_DIR,
    booth_vectors,
    encoding_vectors,
    primitive_vectors,
    record_vector,
)

STORED_RECORD = {p.name: p.read_bytes() for p in RECORD_DIR.iterdir()}
STORED = parse_json(PRIMITIVES.read_bytes())


def test_stored_record_still_verifies() -> None:
    assert set(REQUIRED_FILES) <= set(STORED_RECORD)
    report = verify_record_files(STORED_RECORD)
    assert (report.cast, report.spoiled, report.voided) == (3, 1, 1)


@pytest.mark.parametrize("name", sorted(STORED_RECORD))
def test_record_is_reproduced_byte_for_byte(name: str) -> None:
    assert record_vector()[name] == STORED_RECORD[name]


@pytest.mark.parametrize(("path", "make"), [(BOOTH, booth_vectors),
                                             (ENCODINGS, encoding_vectors)])
def test_javascript_vectors_are_reproduced(path: Any, make: Any) -> None:
    """The files tests/js checks the JavaScript against are Python's current bytes."""
    assert canonical_json(make()) + b"\n" == path.read_bytes()


@pytest.mark.parametrize("key", sorted(STORED))
def test_primitive_vectors_are_reproduced(key: str) -> None:
    assert canonical_json(primitive_vectors()[key]) == canonical_json(STORED[key])


def test_stored_primitives_verify_independently_of_the_generator() -> None:
    """The stored proofs verify from the stored values alone."""
    K = point_from_hex(STORED["joint_key"])
    Q = bytes.fromhex(STORED["context"])
    ct = Ciphertext(point_from_hex(STORED["ciphertext"]["A"]),
                    point_from_hex(STORED["ciphertext"]["B"]))

    def pairs(value: list[list[str]]) -> tuple[tuple[int, int], ...]:
        return tuple((scalar_from_hex(c), scalar_from_hex(s)) for c, s in value)

    verify_range(ct, pairs(STORED["range_0_1"]), 0, 1, K, Q)
    verify_range(ct, pairs(STORED["range_1_3"]), 1, 3, K, Q)
    decryption = STORED["decryption"]
    verify_decryption(K, ct.A, point_from_hex(decryption["M"]), pairs(decryption["proof"])[0], Q)
    credential = STORED["credential"]
    key = derive_credential_key(credential["code"], "kat-election", "kat-round")
    assert public_key_bytes(key).hex() == credential["public_key"]
    verify_cast(bytes.fromhex(credential["public_key"]),
                bytes.fromhex(credential["cast_signature"]), Q, b"\x33" * 32)
    receipt = STORED["receipt"]
    verify_receipt(receipt["receipt"], bytes.fromhex(receipt["signature"]),
                   bytes.fromhex(receipt["public_key"]))
    public, secrets = open_key_file(STORED["key_file"].encode(), "correct horse battery")
    assert public == {"trustee": 1}
    assert secrets == {"share": STORED["secret"]}
    assert HB("piaojue/v1/test", "票决", 2**63).hex() == STORED["HB"]
