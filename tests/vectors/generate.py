"""Make the known-answer vectors once: ``python -m tests.vectors.generate``.

Everything is derived from fixed seeds, so running this again must reproduce
the committed files byte for byte; tests/test_vectors.py checks exactly that,
and that the committed record still verifies. A change of any tag, encoding,
field name or proof layout therefore fails a test instead of silently making
old records unverifiable. Regenerate only for a deliberate protocol change,
and bump the protocol version when you do.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ballot.rehearsal import RehearsalConfig
from crypto.canonical import canonical_json, scalar_hex
from crypto.ceremony import election_context, evaluate, new_polynomial
from crypto.credentials import derive_credential_key, generate_code, public_key_bytes, sign_cast
from crypto.decryption_proof import prove_decryption
from crypto.elgamal import encrypt
from crypto.group import base_mul
from crypto.hashing import HB, HS, enc
from crypto.keyfile import seal_key_file
from crypto.range_proof import prove_range
from crypto.receipts import make_receipt, new_receipt_key, receipt_public_key, sign_receipt
from crypto.rng import SeededRandomness, random_scalar
from crypto.schnorr import prove_knowledge
from crypto.transport import new_transport_key, seal_share, transport_public_bytes

HERE = Path(__file__).parent
RECORD_DIR = HERE / "record_v1"
PRIMITIVES = HERE / "primitives_v1.json"
RECORD_CONFIG = RehearsalConfig(rows=3, seats=1, deputies=5, present=4, voters=3, spoil=1,
                                voided=1, trustees=3, threshold=2, scrypt_n=2**10)


def _pairs(proof: Any) -> list[list[str]]:
    return [[scalar_hex(c), scalar_hex(s)] for c, s in proof]


def primitive_vectors() -> dict[str, Any]:
    rng = SeededRandomness("piaojue known-answer vectors v1")
    x = random_scalar(rng)
    K = base_mul(x)
    Q = HB("piaojue/v1/context", b"known-answer")
    r = random_scalar(rng)
    ct = encrypt(1, r, K)
    transport = new_transport_key(rng)
    poly = new_polynomial(2, rng)
    E = election_context("kat-election", 3, 2)
    code = generate_code(rng)
    cred = derive_credential_key(code, "kat-election", "kat-round")
    receipt_key = new_receipt_key(rng)
    receipt = make_receipt("kat-election", "kat-round", 7, b"\x11" * 32, b"\x22" * 32)
    M, dproof = prove_decryption(x, ct.A, Q, rng)
    return {
        "enc": enc("piaojue/v1/x", base_mul(2), 7, "票决", b"\x00\xff").hex(),
        "HB": HB("piaojue/v1/test", "票决", 2**63).hex(),
        "HS": scalar_hex(HS("piaojue/v1/test", b"abc", base_mul(3))),
        "secret": scalar_hex(x),
        "joint_key": K.hex(),
        "context": Q.hex(),
        "ciphertext": {"m": 1, "r": scalar_hex(r), "A": ct.A.hex(), "B": ct.B.hex()},
        "range_0_1": _pairs(prove_range(ct, 1, r, 0, 1, K, Q, rng)),
        "range_1_3": _pairs(prove_range(ct, 1, r, 1, 3, K, Q, rng)),
        "schnorr": _pairs([prove_knowledge(x, E, rng)]),
        "decryption": {"M": M.hex(), "proof": _pairs([dproof])},
        "election_context": E.hex(),
        "polynomial": [scalar_hex(a) for a in poly],
        "share_to_2": scalar_hex(evaluate(poly, 2)),
        "sealed_share": seal_share(evaluate(poly, 2), sender=1, recipient=2,
                                   recipient_key=transport_public_bytes(transport),
                                   context=E, rng=rng).hex(),
        "credential": {"code": code, "public_key": public_key_bytes(cred).hex(),
                       "cast_signature": sign_cast(cred, Q, b"\x33" * 32).hex()},
        "receipt": {"receipt": receipt, "public_key": receipt_public_key(receipt_key).hex(),
                    "signature": sign_receipt(receipt_key, receipt).hex()},
        "key_file": seal_key_file({"share": scalar_hex(x)}, "correct horse battery",
                                  public={"trustee": 1}, scrypt_n=2**10, rng=rng).decode(),
    }


def record_vector() -> dict[str, bytes]:
    """A whole round rehearsed through the services from a fixed seed."""
    from tests.record_tools import rehearsal_files

    return rehearsal_files(RECORD_CONFIG, "piaojue record vector v1")


def main() -> None:
    RECORD_DIR.mkdir(exist_ok=True)
    for name, data in record_vector().items():
        (RECORD_DIR / name).write_bytes(data)
    PRIMITIVES.write_bytes(canonical_json(primitive_vectors()) + b"\n")
    print(f"wrote {RECORD_DIR} and {PRIMITIVES}", file=sys.stderr)


if __name__ == "__main__":
    main()
