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
BOOTH = HERE / "booth_v1.json"
ENCODINGS = HERE / "encodings_v1.json"
"""Edge cases both implementations must decide alike: canonical JSON of awkward text,
points libsodium accepts or refuses, and typed credential codes."""
"""The deputy's side of PROTOCOL.md for the JavaScript twin (tests/js): pinned rounds,
ballots encrypted from fixed seeds, credential keys and cast signatures."""
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


BOOTH_CASES = (
    # name, options, rows, seats (selection) or None (rating), marks
    ("selection", ("for", "against"), 4, 2, [[1, 0], [0, 1], [0, 0], [1, 0]]),
    ("approval", ("for",), 5, 2, [[0], [1], [0], [0], [1]]),
    ("rating", ("satisfied", "basically_satisfied", "dissatisfied"), 3, None,
     [[1, 0, 0], [0, 0, 1], [0, 0, 0]]),
)


def _booth_case(name: str, options: tuple[str, ...], rows: int, seats: int | None,
                marks: list[list[int]]) -> dict[str, Any]:
    from crypto.cast import prepare_cast
    from crypto.ceremony import commit, joint_key
    from crypto.pinning import pin_round

    rng = SeededRandomness(f"piaojue booth vectors v1 {name}")
    n, t, eid, rid = 3, 2, "kat-booth", f"{name}-1"
    E = election_context(eid, n, t)
    trustees = [commit(i, new_polynomial(t, rng), E, rng) for i in range(1, n + 1)]
    receipt_key = new_receipt_key(rng)
    if seats is not None:
        rule: dict[str, Any] = {"name": "majority-top-k", "seats": seats, "basis": "enrolled"}
        column_limits: dict[str, Any] = {"for": [0, seats]}
    else:
        rule, column_limits = {"name": "satisfaction", "threshold": [3, 5]}, {}
    manifest = {
        "protocol": "piaojue/1", "election_id": eid, "round_id": rid,
        "kind": "rating" if seats is None else "selection", "title": f"票决 {name} 测试",
        "rows": [{"id": f"P{r + 1:02d}", "title": f"项目 {r + 1}"} for r in range(rows)],
        "options": list(options), "row_limits": [0, 1], "column_limits": column_limits,
        "rule": rule, "electorate": {"enrolled": 9}, "trustees": {"n": n, "threshold": t},
        "receipt_key": receipt_public_key(receipt_key).hex(),
    }
    manifest_json = canonical_json(manifest).decode("utf-8")
    election = {"election_id": eid, "threshold": t, "joint_key": joint_key(trustees).hex(),
                "trustees": [tc.to_json() for tc in trustees]}
    pinned = pin_round(manifest_json, election)
    code = generate_code(rng)
    seed = f"piaojue booth ballot v1 {name}"
    prepared = prepare_cast(pinned, code, marks, SeededRandomness(seed))
    entry = {"type": "cast", **prepared.body}
    from crypto.board import entry_digest

    digest = entry_digest(pinned.context, entry)
    receipt = make_receipt(eid, rid, 2, digest, HB("piaojue/v1/board", b"\x00" * 32, digest))
    return {
        "manifest_json": manifest_json, "election": election,
        "context": pinned.context.hex(), "round_fingerprint": pinned.fingerprint,
        "marks": marks, "ballot_seed": seed, "ballot": prepared.body["ballot"],
        "opening": prepared.opening.to_json(), "ballot_digest": prepared.ballot_digest.hex(),
        "code": code, "credential": prepared.body["credential"],
        "signature": prepared.body["signature"], "entry_digest": digest.hex(),
        "receipt": {"receipt": receipt, "signature": sign_receipt(receipt_key, receipt).hex()},
    }


def booth_vectors() -> dict[str, Any]:
    return {case[0]: _booth_case(*case) for case in BOOTH_CASES}


SMALL_ORDER_POINTS = (  # the eight torsion points and their non-canonical twins
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
)
CANONICAL_TEXTS = ("", "票决", "tab\tnew\nline\r", "quote \" back \\ slash", "\x00\x01\x1f\x7f",
                   "\u2028\u2029", "😀 astral", "é combining", "</script>")


def encoding_vectors() -> dict[str, Any]:
    from crypto.credentials import normalize_code
    from crypto.errors import CryptoError
    from crypto.group import G, Point

    rng = SeededRandomness("piaojue encoding vectors v1")
    points: list[list[Any]] = [[h, False] for h in SMALL_ORDER_POINTS]
    for _ in range(4):
        p = base_mul(random_scalar(rng))
        points.append([p.hex(), True])
        torsion = Point(bytes.fromhex(SMALL_ORDER_POINTS[4]))
        points.append([(p + torsion).hex(), False])  # a torsion component: off the subgroup
        raw = bytearray(p.data)
        raw[0] ^= 1
        try:
            Point.from_bytes(bytes(raw))
            points.append([bytes(raw).hex(), True])
        except CryptoError:
            points.append([bytes(raw).hex(), False])
    points.append([G.hex(), True])
    for text in ("ff" * 32, "ed" + "ff" * 30 + "7f", "ab" * 31):
        points.append([text, False])
    for entry in points:  # every verdict is libsodium's, through crypto.group
        try:
            Point.from_bytes(bytes.fromhex(entry[0]))
            entry[1] = True
        except CryptoError:
            entry[1] = False
    objects = [{"b": 1, "a": [True, None, False], "é": {"z": "y", "a": ""}},
               {text: index for index, text in enumerate(CANONICAL_TEXTS)},
               {"\U0001f600": 1, "\uffff": 2, "\ud7ff": 3}, [2**53 - 1, -(2**53 - 1), 0]]
    code = generate_code(rng)
    typed = [code, code.lower(), code.replace("-", " "), code.replace("0", "O"), code[:-1],
             code[:-1] + ("A" if code[-1] != "A" else "B"), code + "U", "票" + code, "", "   "]
    codes: list[list[str | None]] = []  # [typed, normalized], or None where it is refused
    for text in typed:
        try:
            codes.append([text, normalize_code(text)])
        except CryptoError:
            codes.append([text, None])
    return {"points": points,
            "canonical": [[value, canonical_json(value).decode("utf-8")] for value in objects],
            "codes": codes}


def record_vector() -> dict[str, bytes]:
    """A whole round rehearsed through the services from a fixed seed."""
    from tests.record_tools import rehearsal_files

    return rehearsal_files(RECORD_CONFIG, "piaojue record vector v1")


def main() -> None:
    RECORD_DIR.mkdir(exist_ok=True)
    for name, data in record_vector().items():
        (RECORD_DIR / name).write_bytes(data)
    PRIMITIVES.write_bytes(canonical_json(primitive_vectors()) + b"\n")
    BOOTH.write_bytes(canonical_json(booth_vectors()) + b"\n")
    ENCODINGS.write_bytes(canonical_json(encoding_vectors()) + b"\n")
    print(f"wrote {RECORD_DIR}, {PRIMITIVES} and {BOOTH}", file=sys.stderr)


if __name__ == "__main__":
    main()
