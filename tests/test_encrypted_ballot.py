"""Whole encrypted ballots (PROTOCOL.md §6, §9): encrypt, serialise, parse, verify, open.

The server and every auditor run ``EncryptedBallot.from_json`` and
``verify_ballot`` on bytes that anyone may have crafted, so a bad ballot
must always be refused as :class:`InvalidBallot` with the row, option or
column that failed, and never crash. A deputy's Benaloh challenge relies on
``check_opening`` refusing any opening that is not the real one.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from crypto.canonical import canonical_json, parse_json, point_from_hex, scalar_hex
from crypto.elgamal import add_all, encrypt
from crypto.encrypted_ballot import (
    BallotOpening,
    EncryptedBallot,
    EncryptedCell,
    ballot_digest,
    check_marks,
    check_opening,
    encrypt_ballot,
    fingerprint,
    verify_ballot,
)
from crypto.errors import CryptoError, InvalidBallot, InvalidMarks, InvalidOpening
from crypto.group import IDENTITY, G, L, Point, base_mul
from crypto.hashing import HB
from crypto.manifest import Manifest, round_context
from crypto.range_proof import prove_range
from crypto.rng import SeededRandomness

SECRET = 0x7E57_5EC2E7_0F_7E_1017
K = base_mul(SECRET)
COMMITMENTS_HASH = hashlib.sha256(b"test commitments").digest()
RECEIPT_KEY = (
    Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key().public_bytes_raw().hex()
)

Json = dict[str, Any]


# --------------------------------------------------------------------------
# Manifests and cached ballots
# --------------------------------------------------------------------------


def selection_data(
    seats: int = 2, n_rows: int = 4, row_limits: list[int] | None = None
) -> Json:
    return {
        "protocol": "piaojue/1",
        "election_id": "2025-人大",
        "round_id": f"selection-{seats}-{n_rows}-{row_limits}",
        "kind": "selection",
        "title": "民生实事项目票决",
        "rows": [{"id": f"p{i}", "title": f"项目{i}"} for i in range(1, n_rows + 1)],
        "options": ["for", "against"],
        "row_limits": row_limits or [0, 1],
        "column_limits": {"for": [0, seats]},
        "rule": {"name": "majority-top-k", "seats": seats, "basis": "enrolled"},
        "electorate": {"enrolled": 45},
        "trustees": {"n": 3, "threshold": 2},
        "receipt_key": RECEIPT_KEY,
    }


def rating_data(
    n_rows: int = 3,
    row_limits: list[int] | None = None,
    column_limits: dict[str, list[int]] | None = None,
) -> Json:
    return {
        "protocol": "piaojue/1",
        "election_id": "2025-人大",
        "round_id": f"rating-{n_rows}-{row_limits}-{column_limits}",
        "kind": "rating",
        "title": "满意度测评",
        "rows": [{"id": f"r{i}", "title": f"项目{i}"} for i in range(1, n_rows + 1)],
        "options": ["satisfied", "basically_satisfied", "dissatisfied"],
        "row_limits": row_limits or [0, 1],
        "column_limits": column_limits or {},
        "rule": {"name": "satisfaction", "threshold": [4, 5]},
        "electorate": {"enrolled": 45},
        "trustees": {"n": 3, "threshold": 2},
        "receipt_key": RECEIPT_KEY,
    }


def context_of(manifest: Manifest) -> bytes:
    return round_context(manifest.hash, K, COMMITMENTS_HASH)


@dataclass(frozen=True)
class Case:
    manifest: Manifest
    Q: bytes
    marks: tuple[tuple[int, ...], ...]
    ballot: EncryptedBallot
    opening: BallotOpening
    json_bytes: bytes

    @property
    def json(self) -> Json:
        """A fresh copy each time: tests mutate it."""
        return parse_json(self.json_bytes)


def make_case(data: Json, marks: list[list[int]], seed: str) -> Case:
    manifest = Manifest.from_json(data)
    Q = context_of(manifest)
    ballot, opening = encrypt_ballot(manifest, K, Q, marks, SeededRandomness(seed))
    return Case(manifest, Q, tuple(map(tuple, marks)), ballot, opening,
                canonical_json(ballot.to_json()))


SELECTION_MARKS = [[1, 0], [0, 1], [1, 0], [0, 0]]
RATING_MARKS = [[1, 0, 0], [0, 0, 1], [0, 0, 0]]


@functools.cache
def selection_case() -> Case:
    """4 rows, 2 seats: row proofs ([0, 1] < 2 options) and a 'for' column proof (2 < 4 rows)."""
    return make_case(selection_data(), SELECTION_MARKS, "selection")


@functools.cache
def rating_case() -> Case:
    """3 rows, no column limits: row proofs only."""
    return make_case(rating_data(), RATING_MARKS, "rating")


def row_name(case: Case, r: int) -> str:
    return re.escape(f"row {r + 1} ({case.manifest.row_ids[r]})")


def cell_name(case: Case, r: int, o: int) -> str:
    return row_name(case, r) + re.escape(f", option {case.manifest.options[o]!r}")


def parse_and_verify(case: Case, value: Any, Q: bytes | None = None, key: Point = K) -> None:
    ballot = EncryptedBallot.from_json(value, case.manifest)
    verify_ballot(ballot, case.manifest, key, case.Q if Q is None else Q)


def decrypt(point_a: Point, point_b: Point) -> int:
    """B - x*A = m*G for a small m; the test holds the whole secret."""
    target = point_b - SECRET * point_a
    for m in range(10):
        if base_mul(m) == target:
            return m
    raise AssertionError("not a small plaintext")


def bump_scalar(hex_value: str) -> str:
    return scalar_hex((int.from_bytes(bytes.fromhex(hex_value), "little") + 1) % L)


def bump_point(hex_value: str) -> str:
    return (point_from_hex(hex_value) + G).hex()


# --------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------


@pytest.mark.parametrize("case_fn", [selection_case, rating_case], ids=["selection", "rating"])
def test_round_trip_verifies(case_fn: Callable[[], Case]) -> None:
    """encrypt -> to_json -> canonical bytes -> parse -> from_json -> verify."""
    case = case_fn()
    verify_ballot(case.ballot, case.manifest, K, case.Q)
    parsed = EncryptedBallot.from_json(parse_json(case.json_bytes), case.manifest)
    verify_ballot(parsed, case.manifest, K, case.Q)
    assert parsed == case.ballot
    assert canonical_json(parsed.to_json()) == case.json_bytes


@pytest.mark.parametrize("case_fn", [selection_case, rating_case], ids=["selection", "rating"])
def test_cells_decrypt_to_the_marks(case_fn: Callable[[], Case]) -> None:
    case = case_fn()
    for r, row in enumerate(case.json["cells"]):
        for o, cell in enumerate(row):
            A, B = point_from_hex(cell["A"]), point_from_hex(cell["B"])
            assert decrypt(A, B) == case.marks[r][o]
    for r, row_marks in enumerate(case.marks):
        total = case.ballot.row_sum(r)
        assert decrypt(total.A, total.B) == sum(row_marks)


def test_json_shape_follows_section_9() -> None:
    case = selection_case()
    value = case.json
    assert set(value) == {"cells", "rows", "columns"}
    assert len(value["cells"]) == 4
    assert all(len(row) == 2 for row in value["cells"])
    cell = value["cells"][0][0]
    assert set(cell) == {"A", "B", "proof"}
    assert re.fullmatch(r"[0-9a-f]{64}", cell["A"])
    assert len(cell["proof"]) == 2
    assert all(len(pair) == 2 for pair in cell["proof"])
    assert all(set(entry) == {"proof"} and len(entry["proof"]) == 2 for entry in value["rows"])
    assert set(value["columns"]) == {"for"}
    assert len(value["columns"]["for"]["proof"]) == 3  # 0..2


@given(st.lists(st.lists(st.integers(0, 1), min_size=2, max_size=2), min_size=3, max_size=3)
       .filter(lambda rows: all(sum(r) <= 1 for r in rows) and sum(r[0] for r in rows) <= 2))
def test_any_valid_selection_marks_round_trip(marks: list[list[int]]) -> None:
    manifest = Manifest.from_json(selection_data(seats=2, n_rows=3))
    Q = context_of(manifest)
    ballot, opening = encrypt_ballot(manifest, K, Q, marks, SeededRandomness(str(marks)))
    parsed = EncryptedBallot.from_json(parse_json(canonical_json(ballot.to_json())), manifest)
    verify_ballot(parsed, manifest, K, Q)
    check_opening(parsed, opening, K)
    assert [list(r) for r in opening.plaintext] == marks


def test_encryption_is_deterministic_only_under_a_fixed_rng() -> None:
    case = selection_case()
    again, _ = encrypt_ballot(case.manifest, K, case.Q, SELECTION_MARKS,
                              SeededRandomness("selection"))
    assert canonical_json(again.to_json()) == case.json_bytes
    fresh, _ = encrypt_ballot(case.manifest, K, case.Q, SELECTION_MARKS)
    assert canonical_json(fresh.to_json()) != case.json_bytes
    verify_ballot(fresh, case.manifest, K, case.Q)


# --------------------------------------------------------------------------
# check_marks
# --------------------------------------------------------------------------


def test_check_marks_accepts_valid_marks() -> None:
    check_marks(selection_case().manifest, SELECTION_MARKS)
    check_marks(selection_case().manifest, [[0, 0]] * 4)
    check_marks(rating_case().manifest, RATING_MARKS)


@pytest.mark.parametrize(
    ("marks", "message"),
    [
        ([[1, 0], [1, 0], [1, 0], [0, 0]], r"3 marks 'for'; between 0 and 2 allowed"),
        ([[1, 0], [1, 0], [1, 0], [1, 0]], r"4 marks 'for'; between 0 and 2 allowed"),
        ([[1, 1], [0, 0], [0, 0], [0, 0]], r"row 1 \(p1\): 2 marks; between 0 and 1 allowed"),
        ([[0, 0], [0, 0], [0, 1], [1, 1]], r"row 4 \(p4\): 2 marks; between 0 and 1"),
        ([[0, 0], [2, 0], [0, 0], [0, 0]], r"row 2 \(p2\): one 0 or 1 per option expected"),
        ([[0, 0], [0, -1], [0, 0], [0, 0]], r"row 2 \(p2\): one 0 or 1 per option"),
        ([[True, 0], [0, 0], [0, 0], [0, 0]], r"row 1 \(p1\): one 0 or 1 per option"),
        ([[0, 0], [0, 0], [1.0, 0], [0, 0]], r"row 3 \(p3\): one 0 or 1 per option"),
        ([[0, 0], [0, 0], ["1", 0], [0, 0]], r"row 3 \(p3\): one 0 or 1 per option"),
        ([[0, 0], [0, 0], [0, 0], [None, 0]], r"row 4 \(p4\): one 0 or 1 per option"),
        ([[0, 0], [0, 0], [0, 0, 0], [0, 0]], r"row 3 \(p3\): one 0 or 1 per option"),
        ([[0, 0], [0], [0, 0], [0, 0]], r"row 2 \(p2\): one 0 or 1 per option"),
        ([[0, 0]] * 3, r"marks for 3 rows; the ballot has 4"),
        ([[0, 0]] * 5, r"marks for 5 rows; the ballot has 4"),
        ([], r"marks for 0 rows; the ballot has 4"),
    ],
)
def test_check_marks_refuses(marks: list[list[Any]], message: str) -> None:
    """The booth must refuse these before encrypting, naming the row or column."""
    manifest = selection_case().manifest
    with pytest.raises(InvalidMarks, match=message):
        check_marks(manifest, marks)
    with pytest.raises(InvalidMarks, match=message):
        encrypt_ballot(manifest, K, selection_case().Q, marks)


def test_check_marks_rating_limits() -> None:
    exact = Manifest.from_json(rating_data(row_limits=[1, 1], column_limits={"satisfied": [1, 3]}))
    check_marks(exact, [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    with pytest.raises(InvalidMarks, match=r"row 2 \(r2\): 0 marks; between 1 and 1"):
        check_marks(exact, [[1, 0, 0], [0, 0, 0], [0, 0, 1]])
    with pytest.raises(InvalidMarks, match=r"row 1 \(r1\): 2 marks; between 1 and 1"):
        check_marks(exact, [[1, 1, 0], [0, 1, 0], [0, 0, 1]])
    with pytest.raises(InvalidMarks, match=r"0 marks 'satisfied'; between 1 and 3"):
        check_marks(exact, [[0, 1, 0], [0, 1, 0], [0, 0, 1]])
    with pytest.raises(InvalidMarks, match=r"row 3 \(r3\): 2 marks"):
        check_marks(rating_case().manifest, [[0, 0, 0], [0, 0, 0], [0, 1, 1]])


# --------------------------------------------------------------------------
# Which proofs a ballot carries (§6)
# --------------------------------------------------------------------------


@functools.cache
def implied_case() -> Case:
    """Row limits [0, 2] with 2 options, 4 seats of 4 rows: no row or column proofs."""
    return make_case(selection_data(seats=4, n_rows=4, row_limits=[0, 2]),
                     [[1, 1], [1, 0], [0, 1], [1, 0]], "implied")


@functools.cache
def exact_rating_case() -> Case:
    """Row limits [1, 1] (a minimum needs a proof), 'satisfied' [1, 3] and
    'dissatisfied' [0, 3] (implied with 3 rows, so omitted)."""
    data = rating_data(row_limits=[1, 1],
                       column_limits={"satisfied": [1, 3], "dissatisfied": [0, 3]})
    return make_case(data, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "exact")


def test_implied_limits_carry_no_proofs() -> None:
    case = implied_case()
    value = case.json
    assert value["rows"] == [{}, {}, {}, {}]
    assert value["columns"] == {}
    assert case.ballot.rows == (None, None, None, None)
    parse_and_verify(case, value)


def test_rating_row_limit_with_minimum_and_columns() -> None:
    case = exact_rating_case()
    value = case.json
    assert all(set(entry) == {"proof"} and len(entry["proof"]) == 1 for entry in value["rows"])
    assert set(value["columns"]) == {"satisfied"}
    assert len(value["columns"]["satisfied"]["proof"]) == 3  # 1..3
    parse_and_verify(case, value)


@pytest.mark.parametrize("n_rows", [3, 4, 5])
def test_column_proof_present_exactly_when_seats_below_rows(n_rows: int) -> None:
    manifest = Manifest.from_json(selection_data(seats=4, n_rows=n_rows))
    marks = [[1, 0]] * min(4, n_rows) + [[0, 0]] * (n_rows - min(4, n_rows))
    ballot, _ = encrypt_ballot(manifest, K, context_of(manifest), marks, SeededRandomness("c"))
    assert ("for" in ballot.to_json()["columns"]) == (n_rows > 4)
    verify_ballot(ballot, manifest, K, context_of(manifest))


def test_missing_row_proof_refused() -> None:
    case = selection_case()
    value = case.json
    value["rows"][2] = {}
    with pytest.raises(InvalidBallot, match=row_name(case, 2) + ": the row sum needs a proof"):
        EncryptedBallot.from_json(value, case.manifest)


def test_unneeded_row_proof_refused() -> None:
    case = implied_case()
    value = case.json
    value["rows"][1] = {"proof": selection_case().json["rows"][1]["proof"]}
    with pytest.raises(InvalidBallot, match=row_name(case, 1) + ": the row limits need no proof"):
        EncryptedBallot.from_json(value, case.manifest)


def test_missing_column_proof_refused() -> None:
    case = selection_case()
    value = case.json
    del value["columns"]["for"]
    with pytest.raises(InvalidBallot, match=r"column proofs for exactly \['for'\]"):
        EncryptedBallot.from_json(value, case.manifest)


def test_unneeded_column_proof_refused() -> None:
    case = implied_case()
    value = case.json
    value["columns"]["for"] = selection_case().json["columns"]["for"]
    with pytest.raises(InvalidBallot, match=r"column proofs for exactly \[\]"):
        EncryptedBallot.from_json(value, case.manifest)


def test_implied_column_proof_refused_in_rating() -> None:
    case = exact_rating_case()
    value = case.json
    value["columns"]["dissatisfied"] = value["columns"]["satisfied"]
    with pytest.raises(InvalidBallot, match=r"exactly \['satisfied'\]"):
        EncryptedBallot.from_json(value, case.manifest)


# --------------------------------------------------------------------------
# Tampering: one changed value, and the message says where
# --------------------------------------------------------------------------


@pytest.mark.parametrize("case_fn", [selection_case, rating_case], ids=["selection", "rating"])
@pytest.mark.parametrize("field", ["A", "B"])
def test_altered_ciphertext_in_any_cell_refused(case_fn: Callable[[], Case], field: str) -> None:
    case = case_fn()
    for r in range(len(case.manifest.row_ids)):
        for o in range(len(case.manifest.options)):
            value = case.json
            value["cells"][r][o][field] = bump_point(value["cells"][r][o][field])
            with pytest.raises(InvalidBallot, match=cell_name(case, r, o) + ": the cell's 0-or-1"):
                parse_and_verify(case, value)


@pytest.mark.parametrize("case_fn", [selection_case, rating_case], ids=["selection", "rating"])
def test_altered_cell_proof_value_refused(case_fn: Callable[[], Case]) -> None:
    case = case_fn()
    for r in range(len(case.manifest.row_ids)):
        for o in range(len(case.manifest.options)):
            for j in (0, 1):
                for which in (0, 1):
                    value = case.json
                    pair = value["cells"][r][o]["proof"][j]
                    pair[which] = bump_scalar(pair[which])
                    with pytest.raises(InvalidBallot, match=cell_name(case, r, o)):
                        parse_and_verify(case, value)


@pytest.mark.parametrize("case_fn", [selection_case, rating_case], ids=["selection", "rating"])
def test_altered_row_proof_refused(case_fn: Callable[[], Case]) -> None:
    case = case_fn()
    lo, hi = case.manifest.row_limits
    for r in range(len(case.manifest.row_ids)):
        value = case.json
        pair = value["rows"][r]["proof"][r % 2]
        pair[1] = bump_scalar(pair[1])
        with pytest.raises(
            InvalidBallot,
            match=row_name(case, r) + f": the proof that the row has {lo} to {hi} marks",
        ):
            parse_and_verify(case, value)


def test_altered_column_proof_refused() -> None:
    case = selection_case()
    for j in range(3):
        for which in (0, 1):
            value = case.json
            pair = value["columns"]["for"]["proof"][j]
            pair[which] = bump_scalar(pair[which])
            with pytest.raises(
                InvalidBallot, match=r"column 'for': the proof that it has 0 to 2 marks"
            ):
                parse_and_verify(case, value)


def test_row_proof_from_another_ballot_refused() -> None:
    """Same marks, other nonces: the sum differs, so the borrowed proof fails."""
    case = selection_case()
    other = make_case(selection_data(), SELECTION_MARKS, "other")
    value = case.json
    value["rows"][0] = other.json["rows"][0]
    with pytest.raises(InvalidBallot, match=row_name(case, 0)):
        parse_and_verify(case, value)


def test_swapping_two_cells_in_a_column_refused() -> None:
    """Moving a 'for' from row 1 to row 2 breaks both rows' sums."""
    case = selection_case()
    value = case.json
    cells = value["cells"]
    cells[0][0], cells[1][0] = cells[1][0], cells[0][0]  # row 2 now has for + against
    with pytest.raises(InvalidBallot, match=row_name(case, 0) + ": the proof that the row"):
        parse_and_verify(case, value)


def test_swapping_two_cells_in_a_row_refused_by_the_column_proof() -> None:
    """Turning row 1's 'for' into 'against' keeps the row sum; the 'for' column catches it."""
    case = selection_case()
    value = case.json
    row = value["cells"][0]
    row[0], row[1] = row[1], row[0]
    with pytest.raises(InvalidBallot, match=r"column 'for': the proof"):
        parse_and_verify(case, value)


def test_swapping_ciphertexts_but_not_proofs_refused() -> None:
    case = rating_case()
    value = case.json
    a, b = value["cells"][1][0], value["cells"][1][2]
    a["A"], b["A"] = b["A"], a["A"]
    with pytest.raises(InvalidBallot, match=cell_name(case, 1, 0)):
        parse_and_verify(case, value)


def test_swapping_whole_rows_verifies_but_changes_the_digest() -> None:
    """Proofs bind (Q, A, B, lo, hi), not a position (§5.1): a row swap, proofs and all,
    is another valid ballot. What pins the deputy's ballot is ballot_digest, which the
    credential signs, so the swap must change it."""
    case = selection_case()
    value = case.json
    for part in ("cells", "rows"):
        value[part][0], value[part][1] = value[part][1], value[part][0]
    parse_and_verify(case, value)
    assert ballot_digest(case.Q, value) != ballot_digest(case.Q, case.json)


@pytest.mark.parametrize("case_fn", [selection_case, rating_case], ids=["selection", "rating"])
def test_other_context_or_key_refused(case_fn: Callable[[], Case]) -> None:
    case = case_fn()
    other_q = round_context(case.manifest.hash, K, bytes(32))
    first_cell = cell_name(case, 0, 0) + ": the cell's 0-or-1 proof does not verify"
    with pytest.raises(InvalidBallot, match=first_cell):
        parse_and_verify(case, case.json, Q=other_q)
    with pytest.raises(InvalidBallot, match=first_cell):
        parse_and_verify(case, case.json, key=base_mul(SECRET + 1))


def test_ballot_for_another_round_refused() -> None:
    """A ballot replayed into another round (same shape, other manifest) fails its proofs."""
    case = selection_case()
    data = selection_data()
    data["round_id"] = "runoff-1"
    other = Manifest.from_json(data)
    ballot = EncryptedBallot.from_json(case.json, other)
    with pytest.raises(InvalidBallot, match=cell_name(case, 0, 0)):
        verify_ballot(ballot, other, K, context_of(other))


def test_out_of_range_cell_with_borrowed_proof_refused() -> None:
    """A cell encrypting 2 ('vote twice') carrying another cell's valid proof fails."""
    case = selection_case()
    value = case.json
    two = encrypt(2, 987654321, K)
    value["cells"][3][0].update(A=two.A.hex(), B=two.B.hex())
    with pytest.raises(InvalidBallot, match=cell_name(case, 3, 0)):
        parse_and_verify(case, value)


# --------------------------------------------------------------------------
# Malformed shapes: always InvalidBallot, naming the place
# --------------------------------------------------------------------------

SMALL_ORDER_HEX = "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"
NON_CANONICAL_HEX = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
OFF_CURVE_HEX = (2).to_bytes(32, "little").hex()
L_HEX = L.to_bytes(32, "little").hex()
VALID_POINT_HEX = base_mul(42).hex()

Mutation = Callable[[Json], None]


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(d: Json) -> None:
        target: Any = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _del(path: tuple[Any, ...]) -> Mutation:
    def mutate(d: Json) -> None:
        target: Any = d
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def _append(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(d: Json) -> None:
        target: Any = d
        for key in path:
            target = target[key]
        target.append(copy.deepcopy(value) if not callable(value) else value(d))

    return mutate


CELL = r"row 2 \(p2\), option 'against'"
MALFORMED: list[tuple[str, Mutation, str]] = [
    ("missing cells", _del(("cells",)), "exactly cells, rows and columns"),
    ("missing rows", _del(("rows",)), "exactly cells, rows and columns"),
    ("missing columns", _del(("columns",)), "exactly cells, rows and columns"),
    ("extra key", _set(("version",), 1), "exactly cells, rows and columns"),
    ("cells not a list", _set(("cells",), {"0": []}), "must have 4 rows of cells"),
    ("cells too short", _del(("cells", 3)), "must have 4 rows of cells"),
    ("cells too long", _append(("cells",), lambda d: d["cells"][0]), "must have 4 rows of cells"),
    ("cells a string", _set(("cells",), "[]"), "must have 4 rows of cells"),
    ("row of cells not a list", _set(("cells", 1), {"for": {}}), r"row 2 \(p2\) must have 2 cells"),
    ("row with one cell", _del(("cells", 1, 1)), r"row 2 \(p2\) must have 2 cells"),
    ("row with three cells", _append(("cells", 1), lambda d: d["cells"][1][0]),
     r"row 2 \(p2\) must have 2 cells"),
    ("cell not an object", _set(("cells", 1, 1), [VALID_POINT_HEX] * 2),
     CELL + ": a cell is an object with exactly A, B and proof"),
    ("cell missing A", _del(("cells", 1, 1, "A")), CELL + ": a cell is an object"),
    ("cell missing proof", _del(("cells", 1, 1, "proof")), CELL + ": a cell is an object"),
    ("cell extra key", _set(("cells", 1, 1, "r"), "00" * 32), CELL + ": a cell is an object"),
    ("A an int", _set(("cells", 1, 1, "A"), 5), CELL + " A: expected 64 lowercase hex"),
    ("A a huge int", _set(("cells", 1, 1, "A"), 2**300), CELL + " A: expected 64 lowercase"),
    ("A null", _set(("cells", 1, 1, "A"), None), CELL + " A: expected 64 lowercase hex"),
    ("A a list", _set(("cells", 1, 1, "A"), [VALID_POINT_HEX]), CELL + " A: expected 64"),
    ("A a float", _set(("cells", 1, 1, "A"), 1.5), CELL + " A: expected 64 lowercase hex"),
    ("A non-hex", _set(("cells", 1, 1, "A"), "xy" * 32), CELL + " A: expected 64 lowercase"),
    ("A uppercase", _set(("cells", 1, 1, "A"), VALID_POINT_HEX.upper()), CELL + " A: expected"),
    ("A short", _set(("cells", 1, 1, "A"), VALID_POINT_HEX[:62]), CELL + " A: expected 64"),
    ("B identity", _set(("cells", 1, 1, "B"), "01" + "00" * 31), CELL + " B: the identity"),
    ("B small order", _set(("cells", 1, 1, "B"), SMALL_ORDER_HEX), CELL + " B: not a canonical"),
    ("B non-canonical", _set(("cells", 1, 1, "B"), NON_CANONICAL_HEX), CELL + " B: not a canon"),
    ("B off curve", _set(("cells", 1, 1, "B"), OFF_CURVE_HEX), CELL + " B: not a canonical"),
    ("proof not a list", _set(("cells", 1, 1, "proof"), {"c": 1}),
     CELL + ": the proof must have 2 .c, s. pairs"),
    ("proof one pair", _del(("cells", 1, 1, "proof", 0)), CELL + ": the proof must have 2"),
    ("proof three pairs", _append(("cells", 1, 1, "proof"), ["00" * 32, "00" * 32]),
     CELL + ": the proof must have 2"),
    ("pair not a list", _set(("cells", 1, 1, "proof", 0), "00" * 64),
     CELL + " proof pair 0: a proof is a .c, s. pair"),
    ("pair of one", _del(("cells", 1, 1, "proof", 1, 1)), CELL + " proof pair 1: a proof is"),
    ("pair of three", _append(("cells", 1, 1, "proof", 1), "00" * 32),
     CELL + " proof pair 1: a proof is"),
    ("pair nested too deep", _set(("cells", 1, 1, "proof", 0), [["00" * 32, "00" * 32]]),
     CELL + " proof pair 0: a proof is"),
    ("c equal to L", _set(("cells", 1, 1, "proof", 0, 0), L_HEX),
     CELL + " proof pair 0 c: a scalar must be below the group order"),
    ("s = 2**256 - 1", _set(("cells", 1, 1, "proof", 1, 1), "ff" * 32),
     CELL + " proof pair 1 s: a scalar must be below"),
    ("s an int", _set(("cells", 1, 1, "proof", 1, 1), 7), CELL + " proof pair 1 s: expected 64"),
    ("c a huge int", _set(("cells", 1, 1, "proof", 0, 0), 10**80), CELL + " proof pair 0 c"),
    ("c uppercase", _set(("cells", 1, 1, "proof", 0, 0), "AB" * 32), CELL + " proof pair 0 c"),
    ("rows not a list", _set(("rows",), {}), "must have 4 row entries"),
    ("rows too short", _del(("rows", 0)), "must have 4 row entries"),
    ("row entry a list", _set(("rows", 2), []), r"row 3 \(p3\): the row sum needs a proof"),
    ("row entry extra key", _set(("rows", 2, "extra"), 1), r"row 3 \(p3\): the row sum needs"),
    ("row proof three pairs", _append(("rows", 2, "proof"), ["00" * 32, "00" * 32]),
     r"row 3 \(p3\) sum: the proof must have 2"),
    ("row proof scalar >= L", _set(("rows", 2, "proof", 1, 0), L_HEX),
     r"row 3 \(p3\) sum proof pair 1 c: a scalar must be below"),
    ("columns a list", _set(("columns",), [["for"]]), r"column proofs for exactly \['for'\]"),
    ("columns extra option", _set(("columns", "against"), {"proof": []}),
     r"column proofs for exactly \['for'\]"),
    ("column entry not an object", _set(("columns", "for"), []),
     "column 'for': expected an object with a proof"),
    ("column entry extra key", _set(("columns", "for", "sum"), 2), "column 'for': expected"),
    ("column proof two pairs", _del(("columns", "for", "proof", 2)),
     "column 'for': the proof must have 3"),
    ("column pair not hex", _set(("columns", "for", "proof", 2, 1), "zz" * 32),
     "column 'for' proof pair 2 s: expected 64 lowercase hex"),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [pytest.param(m, msg, id=name) for name, m, msg in MALFORMED]
)
def test_malformed_ballot_refused(mutate: Mutation, message: str) -> None:
    case = selection_case()
    value = case.json
    mutate(value)
    with pytest.raises(InvalidBallot, match=message):
        EncryptedBallot.from_json(value, case.manifest)


@pytest.mark.parametrize("value", [None, [], "ballot", 3, {"cells": [], "rows": []}])
def test_non_object_ballot_refused(value: Any) -> None:
    with pytest.raises(InvalidBallot, match="exactly cells, rows and columns"):
        EncryptedBallot.from_json(value, selection_case().manifest)


def test_invalid_ballot_is_a_crypto_error() -> None:
    assert issubclass(InvalidBallot, CryptoError)


# ---- random mutations (hypothesis) --------------------------------------

INTERESTING_STRINGS = [
    VALID_POINT_HEX, VALID_POINT_HEX.upper(), "01" + "00" * 31, SMALL_ORDER_HEX,
    NON_CANONICAL_HEX, OFF_CURVE_HEX, L_HEX, "ff" * 32, "00" * 32, "0" * 63, "", "0" * 65,
    scalar_hex(1), scalar_hex(L - 1), "for", "against", "proof",
]
json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**300), max_value=2**300)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=70)
    | st.sampled_from(INTERESTING_STRINGS)
)
json_value = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["A", "B", "proof", "for", "x"]) | st.text(max_size=5),
                      children, max_size=4),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*prefix, i))
    return out


@functools.cache
def _selection_paths() -> list[tuple[Any, ...]]:
    return _paths(selection_case().json)


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def _mutate(data: st.DataObject, value: Any) -> Any:
    """One random structural or value change at a random place; returns the new root."""
    path = data.draw(st.sampled_from(_paths(value)), label="path")
    op = data.draw(st.sampled_from(["replace", "delete", "insert", "duplicate", "hexchar",
                                    "graft"]), label="op")
    target = _get(value, path)
    new: Any = target
    if op == "replace":
        new = data.draw(json_value, label="new value")
    elif op == "delete" and path:
        del _get(value, path[:-1])[path[-1]]
        return value
    elif op == "insert" and isinstance(target, dict):
        target[data.draw(st.text(max_size=6), label="key")] = data.draw(json_value, label="v")
    elif op == "insert" and isinstance(target, list):
        at = data.draw(st.integers(0, len(target)), label="at")
        target.insert(at, data.draw(json_value, label="v"))
    elif op == "duplicate":
        new = [*target, copy.deepcopy(target[0])] if isinstance(target, list) and target else (
            [target, copy.deepcopy(target)])
    elif op == "hexchar" and isinstance(target, str) and target:
        i = data.draw(st.integers(0, len(target) - 1), label="index")
        ch = data.draw(st.sampled_from("0123456789abcdefAF g"), label="char")
        new = target[:i] + ch + target[i + 1:]
    elif op == "graft":  # a subtree from another (valid) place of the ballot
        donor_path = data.draw(st.sampled_from(_selection_paths()), label="donor")
        new = copy.deepcopy(_get(selection_case().json, donor_path))
    if not path:
        return new
    _get(value, path[:-1])[path[-1]] = new
    return value


def _outcome(case: Case, value: Any) -> str | None:
    """None when the ballot parses and verifies, else the InvalidBallot reason.
    Any other exception propagates and fails the test."""
    try:
        ballot = EncryptedBallot.from_json(value, case.manifest)
        verify_ballot(ballot, case.manifest, K, case.Q)
    except InvalidBallot as exc:
        return str(exc)
    return None


def _assert_only_crypto_errors(case: Case, value: Any) -> None:
    outcome = _outcome(case, value)
    assert outcome is None or len(outcome) > 10  # refused with a reason a person can read


@given(st.data())
def test_random_mutation_raises_only_invalid_ballot(data: st.DataObject) -> None:
    """Whatever a client sends, from_json/verify_ballot end in success or InvalidBallot."""
    case = selection_case()
    value: Any = case.json
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        value = _mutate(data, value)
    _assert_only_crypto_errors(case, value)


@given(st.data())
def test_single_value_change_never_verifies(data: st.DataObject) -> None:
    """Change one string leaf to a different value: the ballot must be refused."""
    case = selection_case()
    value = case.json
    leaves = [p for p in _paths(value) if isinstance(_get(value, p), str)]
    path = data.draw(st.sampled_from(leaves), label="leaf")
    old = _get(value, path)
    new = data.draw(st.sampled_from(INTERESTING_STRINGS).filter(lambda s: s != old)
                    | st.integers(1, L - 1).map(scalar_hex), label="new")
    _get(value, path[:-1])[path[-1]] = new
    with pytest.raises(InvalidBallot):
        parse_and_verify(case, value)


@given(st.data())
def test_random_byte_flips_in_the_json_text(data: st.DataObject) -> None:
    """Corrupted bytes on the wire: parse_json refuses with InvalidEncoding, or the
    ballot is refused with InvalidBallot, or (rarely) it still verifies."""
    case = selection_case()
    raw = bytearray(case.json_bytes)
    for _ in range(data.draw(st.integers(1, 4), label="flips")):
        i = data.draw(st.integers(0, len(raw) - 1), label="index")
        raw[i] = data.draw(st.integers(0, 255), label="byte")
    try:
        value = parse_json(bytes(raw))
    except CryptoError:
        return
    _assert_only_crypto_errors(case, value)


# --------------------------------------------------------------------------
# Benaloh challenge
# --------------------------------------------------------------------------


@pytest.mark.parametrize("case_fn", [selection_case, rating_case], ids=["selection", "rating"])
def test_true_opening_accepted(case_fn: Callable[[], Case]) -> None:
    case = case_fn()
    check_opening(case.ballot, case.opening, K)
    opening_json = canonical_json(case.opening.to_json())
    parsed_json = parse_json(opening_json)
    opening = BallotOpening.from_json(parsed_json["plaintext"], parsed_json["nonces"],
                                      case.manifest)
    assert opening == case.opening
    check_opening(EncryptedBallot.from_json(case.json, case.manifest), opening, K)
    assert [list(r) for r in opening.plaintext] == [list(r) for r in case.marks]


@pytest.mark.parametrize("case_fn", [selection_case, rating_case], ids=["selection", "rating"])
def test_flipped_plaintext_bit_refused(case_fn: Callable[[], Case]) -> None:
    """A booth that encrypted something else than shown is caught at this cell."""
    case = case_fn()
    for r, row in enumerate(case.opening.plaintext):
        for o in range(len(row)):
            plain = [list(x) for x in case.opening.plaintext]
            plain[r][o] ^= 1
            opening = replace(case.opening, plaintext=tuple(map(tuple, plain)))
            with pytest.raises(InvalidOpening, match=f"row {r + 1}, option {o + 1}: the plaintext"):
                check_opening(case.ballot, opening, K)


@pytest.mark.parametrize("change", [lambda n: (n + 1) % L, lambda n: L - n, lambda n: 0,
                                    lambda n: 1])
def test_changed_nonce_refused(change: Callable[[int], int]) -> None:
    case = selection_case()
    nonces = [list(x) for x in case.opening.nonces]
    nonces[2][1] = change(nonces[2][1])
    opening = replace(case.opening, nonces=tuple(map(tuple, nonces)))
    with pytest.raises(InvalidOpening, match="row 3, option 2"):
        check_opening(case.ballot, opening, K)


def test_opening_of_another_ballot_refused() -> None:
    case = selection_case()
    other = make_case(selection_data(), SELECTION_MARKS, "another")
    with pytest.raises(InvalidOpening, match="row 1, option 1"):
        check_opening(case.ballot, other.opening, K)


def test_opening_under_another_key_refused() -> None:
    case = rating_case()
    with pytest.raises(InvalidOpening):
        check_opening(case.ballot, case.opening, base_mul(SECRET + 1))


def _opening_args() -> tuple[list[list[Any]], list[list[Any]]]:
    value = selection_case().opening.to_json()
    return value["plaintext"], value["nonces"]


OPENING_REFUSALS: list[tuple[str, Callable[[list[Any], list[Any]], None], str]] = [
    ("plaintext one row short", lambda p, n: p.pop(),
     r"plaintext must have the shape of the cells .4, 2."),
    ("plaintext row long", lambda p, n: p[0].append(0), "plaintext must have the shape"),
    ("plaintext row not a list", lambda p, n: p.__setitem__(1, "10"), "plaintext must have"),
    ("plaintext value 2", lambda p, n: p[1].__setitem__(0, 2), "plaintext marks must be 0 or 1"),
    ("plaintext value -1", lambda p, n: p[1].__setitem__(0, -1), "marks must be 0 or 1"),
    ("plaintext value true", lambda p, n: p[1].__setitem__(0, True), "marks must be 0 or 1"),
    ("plaintext value '1'", lambda p, n: p[1].__setitem__(0, "1"), "marks must be 0 or 1"),
    ("plaintext value 1.0", lambda p, n: p[1].__setitem__(0, 1.0), "marks must be 0 or 1"),
    ("nonces one row long", lambda p, n: n.append(n[0]),
     r"nonces must have the shape of the cells .4, 2."),
    ("nonces row short", lambda p, n: n[3].pop(), "nonces must have the shape"),
    ("nonce not hex", lambda p, n: n[2].__setitem__(1, "zz" * 32),
     "nonce at row 3: expected 64 lowercase hex"),
    ("nonce uppercase", lambda p, n: n[0].__setitem__(0, n[0][0].upper()), "nonce at row 1"),
    ("nonce >= L", lambda p, n: n[3].__setitem__(0, L_HEX), "nonce at row 4: a scalar must be"),
    ("nonce an int", lambda p, n: n[1].__setitem__(1, 12345), "nonce at row 2: expected 64"),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [pytest.param(m, msg, id=name) for name, m, msg in OPENING_REFUSALS]
)
def test_opening_from_json_refuses(
    mutate: Callable[[list[Any], list[Any]], None], message: str
) -> None:
    plaintext, nonces = _opening_args()
    mutate(plaintext, nonces)
    with pytest.raises(InvalidOpening, match=message):
        BallotOpening.from_json(plaintext, nonces, selection_case().manifest)


@pytest.mark.parametrize("which", ["plaintext", "nonces"])
@pytest.mark.parametrize("bad", [None, {}, "[]", 4])
def test_opening_from_json_refuses_non_lists(which: str, bad: Any) -> None:
    plaintext, nonces = _opening_args()
    args = {"plaintext": plaintext, "nonces": nonces, which: bad}
    with pytest.raises(InvalidOpening, match=f"{which} must have the shape"):
        BallotOpening.from_json(args["plaintext"], args["nonces"], selection_case().manifest)


# --------------------------------------------------------------------------
# Digest and fingerprint
# --------------------------------------------------------------------------


def test_ballot_digest_is_hb_of_context_and_canonical_json() -> None:
    case = selection_case()
    digest = ballot_digest(case.Q, case.json)
    tag = b"piaojue/v1/ballot"
    raw = b"".join(len(x).to_bytes(4, "big") + x for x in (tag, case.Q, case.json_bytes))
    assert digest == hashlib.sha256(raw).digest()
    assert digest == HB("piaojue/v1/ballot", case.Q, canonical_json(case.ballot.to_json()))


def test_ballot_digest_changes_when_the_ballot_changes() -> None:
    case = selection_case()
    base = ballot_digest(case.Q, case.json)
    seen = {base}
    for path in [("cells", 0, 0, "A"), ("cells", 3, 1, "B"), ("rows", 2, "proof", 0, 1),
                 ("columns", "for", "proof", 2, 0)]:
        value = case.json
        parent = _get(value, path[:-1])
        parent[path[-1]] = bump_point(parent[path[-1]]) if path[-1] in ("A", "B") else (
            bump_scalar(parent[path[-1]]))
        seen.add(ballot_digest(case.Q, value))
    seen.add(ballot_digest(round_context(case.manifest.hash, K, bytes(32)), case.json))
    seen.add(ballot_digest(case.Q, make_case(selection_data(), SELECTION_MARKS, "x").json))
    assert len(seen) == 7
    # key order of the input does not matter: the digest is over canonical JSON
    reordered = dict(reversed(list(case.json.items())))
    assert ballot_digest(case.Q, reordered) == base


def test_fingerprint_is_grouped_uppercase_hex_prefix() -> None:
    digest = ballot_digest(selection_case().Q, selection_case().json)
    fp = fingerprint(digest)
    assert re.fullmatch(r"[0-9A-F]{4}( [0-9A-F]{4}){3}", fp)
    assert fp.replace(" ", "") == digest.hex()[:16].upper()
    assert fingerprint(digest, groups=8).replace(" ", "") == digest.hex()[:32].upper()
    assert fingerprint(bytes.fromhex("abcdef0123456789" + "00" * 24)) == "ABCD EF01 2345 6789"
    assert fingerprint(bytes(range(32)), groups=2) == "0001 0203"


def test_row_sum_at_the_identity_verifies_without_crash() -> None:
    """Nonces r and L - r make a row's sum (O, O): libsodium refuses the identity as a
    scalar-mult input, so the wrapper's rules must carry verification through."""
    manifest = selection_case().manifest
    Q = selection_case().Q
    r0 = 0x1DE471
    nonces = [[r0, L - r0], [11, 12], [13, 14], [15, 16]]
    cells = tuple(
        tuple(
            EncryptedCell(encrypt(0, n, K), prove_range(encrypt(0, n, K), 0, n, 0, 1, K, Q))
            for n in row
        )
        for row in nonces
    )
    rows = tuple(
        prove_range(add_all([c.ciphertext for c in row]), 0, sum(n) % L, 0, 1, K, Q)
        for row, n in zip(cells, nonces, strict=True)
    )
    column_sum = add_all([row[0].ciphertext for row in cells])
    column = prove_range(column_sum, 0, sum(n[0] for n in nonces) % L, 0, 2, K, Q)
    ballot = EncryptedBallot(cells, rows, {"for": column})
    assert ballot.row_sum(0).A == IDENTITY
    assert ballot.row_sum(0).B == IDENTITY
    parsed = EncryptedBallot.from_json(parse_json(canonical_json(ballot.to_json())), manifest)
    verify_ballot(parsed, manifest, K, Q)
    bad = replace(parsed, rows=(parsed.rows[1], *parsed.rows[1:]))
    with pytest.raises(InvalidBallot, match=r"row 1 \(p1\): the proof that the row"):
        verify_ballot(bad, manifest, K, Q)
