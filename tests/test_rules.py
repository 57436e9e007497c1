"""Seat and rating rules (PROTOCOL.md §10, with the reconciliation of §8).

The result is a pure function of the published counts and the manifest's rule,
and an independent verifier recomputes it from the protocol text alone. So the
worked examples below state the expected ``result.json`` body in full, and the
properties compare ``compute_result`` with a reference written here directly
from §10's sentences (not from ``ballot/rules.py``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import example, given
from hypothesis import strategies as st

from ballot.rules import Reconciliation, compute_result, rating_result, selection_result
from crypto.manifest import Manifest

RECEIPT_KEY = (
    Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key().public_bytes_raw().hex()
)


def _rows(n_rows: int) -> list[dict[str, str]]:
    return [{"id": f"p{i}", "title": f"项目{i}"} for i in range(1, n_rows + 1)]


def selection_manifest(n_rows: int, seats: int, basis: str, enrolled: int) -> Manifest:
    return Manifest.from_json({
        "protocol": "piaojue/1",
        "election_id": "2025-人大",
        "round_id": "selection-1",
        "kind": "selection",
        "title": "2025年民生实事项目票决",
        "rows": _rows(n_rows),
        "options": ["for", "against"],
        "row_limits": [0, 1],
        "column_limits": {"for": [0, seats]},
        "rule": {"name": "majority-top-k", "seats": seats, "basis": basis},
        "electorate": {"enrolled": enrolled},
        "trustees": {"n": 3, "threshold": 2},
        "receipt_key": RECEIPT_KEY,
    })


def rating_manifest(n_rows: int, threshold: list[int], enrolled: int) -> Manifest:
    return Manifest.from_json({
        "protocol": "piaojue/1",
        "election_id": "2025-人大",
        "round_id": "rating-1",
        "kind": "rating",
        "title": "满意度测评",
        "rows": _rows(n_rows),
        "options": ["satisfied", "basically_satisfied", "dissatisfied"],
        "row_limits": [0, 1],
        "column_limits": {},
        "rule": {"name": "satisfaction", "threshold": threshold},
        "electorate": {"enrolled": enrolled},
        "trustees": {"n": 3, "threshold": 2},
        "receipt_key": RECEIPT_KEY,
    })


def sound_reconciliation(enrolled: int, cast: int) -> Reconciliation:
    return Reconciliation(enrolled=enrolled, present=enrolled, issued=cast, cast=cast)


# ---------------------------------------------------------------------------
# Reference implementation, from the text of PROTOCOL.md §10 only.
# ---------------------------------------------------------------------------


def reference_selection(
    row_ids: list[str], counts: list[tuple[int, int]], cast: int,
    seats: int, basis: str, enrolled: int,
) -> dict[str, Any]:
    """§10 Selection, sentence by sentence."""
    # "n = enrolled or cast by basis"
    n = enrolled if basis == "enrolled" else cast
    # "for each row for, against from the counts, abstain = cast - for - against"
    fors = dict(zip(row_ids, (c[0] for c in counts), strict=True))
    againsts = dict(zip(row_ids, (c[1] for c in counts), strict=True))
    # "A row passes when 2*for > n."
    passing = {r for r in row_ids if 2 * fors[r] > n}
    # "rows that do not pass are failed"
    status = {r: ("failed" if r not in passing else None) for r in row_ids}
    runoff = None
    unfilled = 0
    if len(passing) <= seats:
        # "If at most K pass, all are elected and unfilled = K - passed."
        for r in passing:
            status[r] = "elected"
        unfilled = seats - len(passing)
    else:
        # "Sort passing rows by for, highest first ... let v be the for of the
        # K-th passing row"
        v = sorted((fors[r] for r in passing), reverse=True)[seats - 1]
        above = [r for r in row_ids if r in passing and fors[r] > v]
        at_v = [r for r in row_ids if r in passing and fors[r] == v]
        # "rows above v are elected"
        for r in above:
            status[r] = "elected"
        if len(above) + len(at_v) <= seats:
            # "rows at v are elected too if they all fit in the K seats"
            for r in at_v:
                status[r] = "elected"
        else:
            # "else they are tied and runoff = {candidates: [tied ids], seats: K - elected}"
            for r in at_v:
                status[r] = "tied"
            runoff = {"candidates": at_v, "seats": seats - len(above)}
        # "Other passing rows are not_elected"
        for r in passing:
            if status[r] is None:
                status[r] = "not_elected"
    return {
        "rows": [
            {"id": r, "for": fors[r], "against": againsts[r],
             "abstain": cast - fors[r] - againsts[r], "status": status[r]}
            for r in row_ids
        ],
        # "elected (ids in ballot order)"
        "elected": [r for r in row_ids if status[r] == "elected"],
        "runoff": runoff,
        "unfilled": unfilled,
    }


def reference_rating_row(
    s: int, b: int, d: int, enrolled: int, threshold: tuple[int, int]
) -> dict[str, Any]:
    """§10 Rating, for one row."""
    marks = s + b + d
    if 2 * s > enrolled:
        cls = "satisfied"
    elif 2 * (s + b) > enrolled:
        cls = "basically_satisfied"
    else:
        cls = "dissatisfied"
    flagged = marks == 0 or Fraction(s + b, marks) < Fraction(*threshold)
    return {"satisfied": s, "basically_satisfied": b, "dissatisfied": d,
            "marks": marks, "rate": [s + b, marks], "class": cls, "flagged": flagged}


# ---------------------------------------------------------------------------
# Selection: worked examples
# ---------------------------------------------------------------------------

# Each case: seats K, basis, enrolled, cast, per-row (for, against), then the
# expected statuses per row (p1, p2, ... in ballot order), elected, runoff, unfilled.
SELECTION_CASES = [
    pytest.param(
        # At most K pass: n = 10, p1 (8) and p3 (6) pass, p2 (2) and p4 (1) fail.
        # Both passing rows are elected and the third seat stays unfilled.
        3, "enrolled", 10, 10, [(8, 2), (2, 7), (6, 3), (1, 1)],
        ["elected", "failed", "elected", "failed"], ["p1", "p3"], None, 1,
        id="at-most-K-pass",
    ),
    pytest.param(
        # Exactly half is not a majority: 2*5 == 10 fails; 2*6 > 10 passes.
        2, "enrolled", 10, 10, [(5, 5), (6, 0)],
        ["failed", "elected"], ["p2"], None, 1,
        id="exact-half-fails",
    ),
    pytest.param(
        # Odd basis: 2*6 == 11 + 1 passes; 2*5 == 10 < 11 fails.
        2, "enrolled", 11, 11, [(6, 5), (5, 6)],
        ["elected", "failed"], ["p1"], None, 1,
        id="half-plus-one-passes",
    ),
    pytest.param(
        # Basis "enrolled": 8 of 20 enrolled is no majority (only 10 were cast).
        1, "enrolled", 20, 10, [(8, 1)],
        ["failed"], [], None, 1,
        id="basis-enrolled-fails",
    ),
    pytest.param(
        # The same counts on basis "cast": 8 of 10 cast is a majority.
        1, "cast", 20, 10, [(8, 1)],
        ["elected"], ["p1"], None, 0,
        id="basis-cast-passes",
    ),
    pytest.param(
        # All four pass, K = 2, clear cutoff: v = 8 (p3); p1 (9) and p3 (8)
        # elected, p2 (7) and p4 (6) not_elected; elected in ballot order.
        2, "enrolled", 10, 10, [(9, 0), (7, 1), (8, 2), (6, 3)],
        ["elected", "not_elected", "elected", "not_elected"], ["p1", "p3"], None, 0,
        id="clear-cutoff",
    ),
    pytest.param(
        # A tie at the K-th place that fits: K = 3, sorted 9, 8, 8, 6; v = 8;
        # one row above plus two at v fill exactly three seats: all elected.
        3, "enrolled", 10, 10, [(8, 0), (9, 0), (6, 0), (8, 1)],
        ["elected", "elected", "not_elected", "elected"], ["p1", "p2", "p4"], None, 0,
        id="tie-that-fits",
    ),
    pytest.param(
        # A tie that does not fit: K = 3, sorted 9, 8, 7, 7, 7, 6; v = 7;
        # p2 (9) and p6 (8) are elected, the three rows at 7 are tied for the
        # one remaining seat (candidates in ballot order), p4 (6) not_elected.
        3, "enrolled", 10, 10, [(7, 1), (9, 0), (7, 2), (6, 4), (7, 3), (8, 2)],
        ["tied", "elected", "tied", "not_elected", "tied", "elected"], ["p2", "p6"],
        {"candidates": ["p1", "p3", "p5"], "seats": 1}, 0,
        id="tie-that-does-not-fit",
    ),
    pytest.param(
        # A tie that does not fit beside a lower passing row and a failing row:
        # K = 2, passing sorted 9, 8, 8, 6; v = 8 (p2, p3); p1 elected, p2 and
        # p3 tied for 1 seat, p4 (6) not_elected, p5 (3 of 10) failed.
        2, "enrolled", 10, 10, [(9, 1), (8, 2), (8, 0), (6, 1), (3, 7)],
        ["elected", "tied", "tied", "not_elected", "failed"], ["p1"],
        {"candidates": ["p2", "p3"], "seats": 1}, 0,
        id="tie-with-lower-and-failing-rows",
    ),
    pytest.param(
        # Everyone tied: three rows at 7, K = 2; nobody above v, so the runoff
        # is for both seats among all three rows and nobody is elected yet.
        2, "enrolled", 10, 10, [(7, 3), (7, 0), (7, 1)],
        ["tied", "tied", "tied"], [],
        {"candidates": ["p1", "p2", "p3"], "seats": 2}, 0,
        id="everyone-tied",
    ),
    pytest.param(
        # Zero ballots cast, basis "cast": n = 0 and 2*0 > 0 is false, so every
        # row fails and every seat is unfilled; abstain is 0.
        2, "cast", 10, 0, [(0, 0), (0, 0), (0, 0)],
        ["failed", "failed", "failed"], [], None, 2,
        id="zero-cast-basis-cast",
    ),
    pytest.param(
        # Zero ballots cast, basis "enrolled": likewise all fail.
        1, "enrolled", 10, 0, [(0, 0), (0, 0)],
        ["failed", "failed"], [], None, 1,
        id="zero-cast-basis-enrolled",
    ),
    pytest.param(
        # Abstain is cast - for - against: 9 cast, (5,1) -> 3, (0,0) -> 9, (2,7) -> 0.
        3, "cast", 12, 9, [(5, 1), (0, 0), (2, 7)],
        ["elected", "failed", "failed"], ["p1"], None, 2,
        id="abstain-arithmetic",
    ),
    pytest.param(
        # `elected` lists ids in ballot order, not by votes: 6, 9, 7 all pass
        # with K = 3, so elected is p1, p2, p3 (vote order would be p2, p3, p1).
        3, "enrolled", 10, 10, [(6, 0), (9, 0), (7, 0)],
        ["elected", "elected", "elected"], ["p1", "p2", "p3"], None, 0,
        id="elected-in-ballot-order",
    ),
    pytest.param(
        # More than K pass, cutoff in vote order differs from ballot order:
        # K = 2, p4 (10) and p2 (9) elected, listed p2, p4.
        2, "cast", 10, 10, [(6, 0), (9, 0), (7, 0), (10, 0)],
        ["not_elected", "elected", "not_elected", "elected"], ["p2", "p4"], None, 0,
        id="elected-in-ballot-order-over-K",
    ),
]


@pytest.mark.parametrize(
    ("seats", "basis", "enrolled", "cast", "counts", "statuses", "elected", "runoff",
     "unfilled"),
    SELECTION_CASES,
)
def test_selection_worked_examples(
    seats: int, basis: str, enrolled: int, cast: int, counts: list[tuple[int, int]],
    statuses: list[str], elected: list[str], runoff: dict[str, Any] | None, unfilled: int,
) -> None:
    manifest = selection_manifest(len(counts), seats, basis, enrolled)
    reconciliation = sound_reconciliation(enrolled, cast)
    result = compute_result(manifest, [list(c) for c in counts], reconciliation)
    ids = [f"p{i}" for i in range(1, len(counts) + 1)]
    assert result == {
        "reconciliation": {"enrolled": enrolled, "present": enrolled,
                           "issued": cast, "cast": cast},
        "rows": [
            {"id": row_id, "for": f, "against": a, "abstain": cast - f - a, "status": status}
            for row_id, (f, a), status in zip(ids, counts, statuses, strict=True)
        ],
        "elected": elected,
        "runoff": runoff,
        "unfilled": unfilled,
    }
    # The reference, written from the spec text, agrees on every worked example.
    assert selection_result(manifest, counts, cast) == reference_selection(
        ids, counts, cast, seats, basis, enrolled)


def test_same_counts_differ_by_basis() -> None:
    """The basis changes the outcome: 6 'for' of 8 cast, 15 enrolled."""
    counts = [[6, 2], [3, 5]]
    by_enrolled = selection_result(selection_manifest(2, 1, "enrolled", 15), counts, 8)
    by_cast = selection_result(selection_manifest(2, 1, "cast", 15), counts, 8)
    assert [r["status"] for r in by_enrolled["rows"]] == ["failed", "failed"]
    assert (by_enrolled["elected"], by_enrolled["unfilled"]) == ([], 1)
    assert [r["status"] for r in by_cast["rows"]] == ["elected", "failed"]
    assert (by_cast["elected"], by_cast["unfilled"]) == (["p1"], 0)


def test_selection_result_is_plain_json() -> None:
    """The result is JSON-ready: runoff candidates are a list, not a tuple."""
    manifest = selection_manifest(3, 1, "enrolled", 10)
    result = selection_result(manifest, [[7, 0], [7, 0], [2, 0]], 10)
    assert result["runoff"] == {"candidates": ["p1", "p2"], "seats": 1}
    assert type(result["runoff"]["candidates"]) is list
    assert type(result["elected"]) is list


# ---------------------------------------------------------------------------
# Selection: properties against the reference
# ---------------------------------------------------------------------------


@st.composite
def selection_inputs(draw: st.DrawFn) -> tuple[int, str, int, int, list[tuple[int, int]]]:
    seats = draw(st.integers(1, 5))
    basis = draw(st.sampled_from(["enrolled", "cast"]))
    enrolled = draw(st.integers(1, 12))
    cast = draw(st.integers(0, enrolled))
    n_rows = draw(st.integers(1, 9))
    counts = []
    for _ in range(n_rows):
        # Small values and a bias towards the top make passing rows and ties common.
        votes_for = draw(st.one_of(
            st.integers(0, cast), st.sampled_from([cast, max(cast - 1, 0)])))
        votes_against = draw(st.integers(0, cast - votes_for))
        counts.append((votes_for, votes_against))
    return seats, basis, enrolled, cast, counts


TIE_NOT_FITTING = (2, "cast", 10, 10, [(9, 0), (8, 0), (8, 0), (8, 0), (2, 0)])
TIE_FITTING = (3, "enrolled", 9, 9, [(9, 0), (6, 0), (6, 0), (5, 0), (1, 0)])
EVERYONE_TIED = (1, "cast", 4, 4, [(3, 1), (3, 0), (3, 1)])
ZERO_CAST = (2, "cast", 5, 0, [(0, 0), (0, 0)])


@given(selection_inputs())
@example(TIE_NOT_FITTING)
@example(TIE_FITTING)
@example(EVERYONE_TIED)
@example(ZERO_CAST)
def test_selection_properties(
    inputs: tuple[int, str, int, int, list[tuple[int, int]]],
) -> None:
    seats, basis, enrolled, cast, counts = inputs
    manifest = selection_manifest(len(counts), seats, basis, enrolled)
    result = compute_result(manifest, counts, sound_reconciliation(enrolled, cast))
    ids = list(manifest.row_ids)
    rows = result["rows"]
    n = enrolled if basis == "enrolled" else cast
    by_status: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_status.setdefault(row["status"], []).append(row)
    elected = by_status.get("elected", [])
    tied = by_status.get("tied", [])
    not_elected = by_status.get("not_elected", [])
    passing = [r for r in rows if 2 * r["for"] > n]

    # Statuses partition the rows, in ballot order, with the counts as given.
    assert [r["id"] for r in rows] == ids
    assert set(by_status) <= {"elected", "tied", "not_elected", "failed"}
    assert sum(len(v) for v in by_status.values()) == len(rows)
    for row, (f, a) in zip(rows, counts, strict=True):
        assert (row["for"], row["against"], row["abstain"]) == (f, a, cast - f - a)
        # failed exactly when the row does not pass.
        assert (row["status"] == "failed") == (not 2 * row["for"] > n)
    assert result["elected"] == [r["id"] for r in elected]
    assert len(elected) <= seats
    assert all(2 * r["for"] > n for r in elected)
    for winner in elected:
        for loser in not_elected + tied:
            assert winner["for"] >= loser["for"]
    runoff = result["runoff"]
    if runoff is not None:
        assert len(elected) + runoff["seats"] == seats
        assert runoff["candidates"] == [r["id"] for r in tied]
        assert len({r["for"] for r in tied}) == 1
        assert len(runoff["candidates"]) > runoff["seats"] >= 1
        assert result["unfilled"] == 0
        for other in not_elected:
            assert other["for"] < tied[0]["for"]
    else:
        assert tied == []
        if len(passing) <= seats:
            assert len(elected) + result["unfilled"] == seats
        else:
            assert len(elected) == seats
            assert result["unfilled"] == 0

    # And the whole body equals the reference written from the spec text.
    assert {k: v for k, v in result.items() if k != "reconciliation"} == reference_selection(
        ids, counts, cast, seats, basis, enrolled)


# ---------------------------------------------------------------------------
# Rating
# ---------------------------------------------------------------------------


RATING_CLASS_CASES = [
    # enrolled 10: 2*5 == 10 is no majority of satisfied; s + b = 5 the same.
    pytest.param(10, (5, 0, 5), "dissatisfied", id="half-satisfied-is-not-satisfied"),
    pytest.param(10, (5, 1, 4), "basically_satisfied", id="s-half-sb-over-half"),
    pytest.param(10, (6, 0, 4), "satisfied", id="satisfied-majority"),
    pytest.param(10, (2, 3, 5), "dissatisfied", id="s-plus-b-exactly-half"),
    pytest.param(10, (2, 4, 4), "basically_satisfied", id="s-plus-b-over-half"),
    # The class is by enrolled, not by marks: 4 of 4 marks among 9 enrolled.
    pytest.param(9, (4, 0, 0), "dissatisfied", id="by-enrolled-not-marks"),
    pytest.param(9, (5, 0, 0), "satisfied", id="odd-enrolled-half-plus-one"),
    pytest.param(9, (0, 5, 4), "basically_satisfied", id="all-basically"),
    pytest.param(1, (0, 0, 0), "dissatisfied", id="no-marks"),
]


@pytest.mark.parametrize(("enrolled", "marks", "cls"), RATING_CLASS_CASES)
def test_rating_class_boundaries(enrolled: int, marks: tuple[int, int, int], cls: str) -> None:
    manifest = rating_manifest(1, [0, 1], enrolled)
    (row,) = rating_result(manifest, [list(marks)])["rows"]
    assert row["class"] == cls


RATING_FLAG_CASES = [
    # [4, 5]: 8 of 10 is exactly the threshold, so not flagged; 7 of 10 is.
    pytest.param([4, 5], (5, 3, 2), False, id="4/5-equal"),
    pytest.param([4, 5], (5, 2, 3), True, id="4/5-under"),
    pytest.param([4, 5], (0, 9, 1), False, id="4/5-over"),
    # [2, 3]: 2 of 3 is equal, 6 of 9 equal, 5 of 8 under (0.625 < 0.667).
    pytest.param([2, 3], (1, 1, 1), False, id="2/3-equal"),
    pytest.param([2, 3], (3, 3, 3), False, id="2/3-equal-scaled"),
    pytest.param([2, 3], (5, 0, 3), True, id="2/3-under"),
    # [1, 1]: flagged whenever anyone was dissatisfied.
    pytest.param([1, 1], (3, 4, 0), False, id="1/1-all-content"),
    pytest.param([1, 1], (3, 4, 1), True, id="1/1-one-dissatisfied"),
    # [0, 1]: never flagged on a rate, even all dissatisfied...
    pytest.param([0, 1], (0, 0, 7), False, id="0/1-all-dissatisfied"),
    # ...but flagged when nobody marked the row at all, whatever the threshold.
    pytest.param([0, 1], (0, 0, 0), True, id="0/1-no-marks"),
    pytest.param([4, 5], (0, 0, 0), True, id="4/5-no-marks"),
]


@pytest.mark.parametrize(("threshold", "marks", "flagged"), RATING_FLAG_CASES)
def test_rating_flagged(threshold: list[int], marks: tuple[int, int, int], flagged: bool) -> None:
    manifest = rating_manifest(1, threshold, 45)
    s, b, d = marks
    (row,) = rating_result(manifest, [[s, b, d]])["rows"]
    assert row["flagged"] is flagged
    assert row["marks"] == s + b + d


def test_rating_rows_in_full() -> None:
    """rate is [s + b, marks] unreduced; every field of the row as §10 lists it."""
    manifest = rating_manifest(3, [4, 5], 20)
    counts = [[6, 4, 0], [10, 3, 2], [2, 2, 6]]
    result = compute_result(manifest, counts, Reconciliation(20, 18, 17, 15))
    assert result == {
        "reconciliation": {"enrolled": 20, "present": 18, "issued": 17, "cast": 15},
        "rows": [
            # 10 of 10 -> rate [10, 10], not reduced to [1, 1]; 2*6 <= 20, 2*10 <= 20.
            {"id": "p1", "satisfied": 6, "basically_satisfied": 4, "dissatisfied": 0,
             "marks": 10, "rate": [10, 10], "class": "dissatisfied", "flagged": False},
            # 13 of 15 >= 4/5; 2*10 == 20 not satisfied; 2*13 > 20 basically.
            {"id": "p2", "satisfied": 10, "basically_satisfied": 3, "dissatisfied": 2,
             "marks": 15, "rate": [13, 15], "class": "basically_satisfied",
             "flagged": False},
            # 4 of 10 < 4/5: flagged; rate [4, 10], not [2, 5].
            {"id": "p3", "satisfied": 2, "basically_satisfied": 2, "dissatisfied": 6,
             "marks": 10, "rate": [4, 10], "class": "dissatisfied", "flagged": True},
        ],
    }


@st.composite
def rating_inputs(
    draw: st.DrawFn,
) -> tuple[list[int], int, list[tuple[int, int, int]]]:
    den = draw(st.integers(1, 6))
    threshold = [draw(st.integers(0, den)), den]
    enrolled = draw(st.integers(1, 12))
    n_rows = draw(st.integers(1, 6))
    counts = []
    for _ in range(n_rows):
        s = draw(st.integers(0, enrolled))
        b = draw(st.integers(0, enrolled - s))
        d = draw(st.integers(0, enrolled - s - b))
        counts.append((s, b, d))
    return threshold, enrolled, counts


@given(rating_inputs())
@example(([4, 5], 10, [(5, 3, 2), (5, 0, 5), (2, 3, 5), (0, 0, 0)]))
@example(([2, 3], 9, [(2, 2, 2), (5, 0, 4), (0, 5, 4)]))
@example(([1, 1], 3, [(1, 1, 0), (1, 1, 1)]))
@example(([0, 1], 2, [(0, 0, 2), (0, 0, 0)]))
def test_rating_matches_reference(
    inputs: tuple[list[int], int, list[tuple[int, int, int]]],
) -> None:
    threshold, enrolled, counts = inputs
    manifest = rating_manifest(len(counts), threshold, enrolled)
    result = compute_result(manifest, counts, sound_reconciliation(enrolled, enrolled))
    expected = [
        {"id": row_id, **reference_rating_row(s, b, d, enrolled, (threshold[0], threshold[1]))}
        for row_id, (s, b, d) in zip(manifest.row_ids, counts, strict=True)
    ]
    assert result["rows"] == expected
    assert set(result) == {"reconciliation", "rows"}


# ---------------------------------------------------------------------------
# Reconciliation (§8)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enrolled", "present", "issued", "cast"),
    [(45, 45, 45, 45), (45, 40, 38, 37), (45, 0, 0, 0), (1, 1, 1, 0), (45, 44, 44, 44)],
)
def test_reconciliation_sound(enrolled: int, present: int, issued: int, cast: int) -> None:
    rec = Reconciliation(enrolled, present, issued, cast)
    assert rec.problems() == []
    assert rec.to_json() == {"enrolled": enrolled, "present": present,
                             "issued": issued, "cast": cast}


@given(st.lists(st.integers(0, 60), min_size=4, max_size=4))
def test_reconciliation_names_each_broken_inequality(values: list[int]) -> None:
    enrolled, present, issued, cast = values
    problems = Reconciliation(enrolled, present, issued, cast).problems()
    broken = [present > enrolled, issued > present, cast > issued]
    assert len(problems) == sum(broken)
    text = "\n".join(problems)
    assert ("void" in text) == (cast > issued)
    if present > enrolled:
        assert any(f"{present} present" in p and f"{enrolled} enrolled" in p for p in problems)
    if issued > present:
        assert any(f"{issued} credentials issued" in p and f"{present} present" in p
                   for p in problems)
    if cast > issued:
        assert any(f"{cast} ballots cast" in p and f"{issued} credentials issued" in p
                   and "void" in p for p in problems)


@pytest.mark.parametrize(
    ("rec", "fragments"),
    [
        pytest.param(Reconciliation(40, 41, 41, 41), [["41 present", "40 enrolled"]],
                     id="present-over-enrolled"),
        pytest.param(Reconciliation(45, 40, 42, 42), [["42 credentials issued", "40 present"]],
                     id="issued-over-present"),
        pytest.param(Reconciliation(45, 40, 38, 39),
                     [["39 ballots cast", "38 credentials issued", "void"]],
                     id="cast-over-issued-is-void"),
        pytest.param(Reconciliation(10, 11, 12, 13),
                     [["11 present", "10 enrolled"], ["12 credentials issued", "11 present"],
                      ["13 ballots cast", "12 credentials issued", "void"]],
                     id="all-three-broken"),
    ],
)
def test_reconciliation_problems_named(rec: Reconciliation, fragments: list[list[str]]) -> None:
    problems = rec.problems()
    assert len(problems) == len(fragments)
    for problem, expected in zip(problems, fragments, strict=True):
        for fragment in expected:
            assert fragment in problem
    # Only the cast > issued problem says the round is void.
    assert sum("void" in p for p in problems) == (rec.cast > rec.issued)
