"""The manifest (PROTOCOL.md §3, §9): validated once, so every later step can trust it.

A manifest with an impossible limit would make honest ballots unprovable, a
wrong rule would make the result wrong; each must be refused up front with a
message that names the problem. Its hash and the round context ``Q`` must be
exactly the bytes of the spec.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.canonical import canonical_json
from crypto.errors import CryptoError, InvalidManifest
from crypto.group import base_mul
from crypto.hashing import HB
from crypto.manifest import REQUIRED_FIELDS, Manifest, round_context

RECEIPT_KEY = (
    Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key().public_bytes_raw().hex()
)
# A change made to a manifest document in place; whatever it returns is ignored.
Mutation = Callable[[dict[str, Any]], object]


def selection(seats: int = 2, n_rows: int = 4) -> dict[str, Any]:
    return {
        "protocol": "piaojue/1",
        "election_id": "2025-人大",
        "round_id": "selection-1",
        "kind": "selection",
        "title": "2025年民生实事项目票决",
        "rows": [{"id": f"p{i}", "title": f"项目{i}"} for i in range(1, n_rows + 1)],
        "options": ["for", "against"],
        "row_limits": [0, 1],
        "column_limits": {"for": [0, seats]},
        "rule": {"name": "majority-top-k", "seats": seats, "basis": "enrolled"},
        "electorate": {"enrolled": 45},
        "trustees": {"n": 3, "threshold": 2},
        "receipt_key": RECEIPT_KEY,
    }


def rating(n_rows: int = 3) -> dict[str, Any]:
    return {
        "protocol": "piaojue/1",
        "election_id": "2025-人大",
        "round_id": "rating-1",
        "kind": "rating",
        "title": "满意度测评",
        "rows": [{"id": f"p{i}", "title": f"项目{i}"} for i in range(1, n_rows + 1)],
        "options": ["satisfied", "basically_satisfied", "dissatisfied"],
        "row_limits": [0, 1],
        "column_limits": {},
        "rule": {"name": "satisfaction", "threshold": [4, 5]},
        "electorate": {"enrolled": 45},
        "trustees": {"n": 3, "threshold": 2},
        "receipt_key": RECEIPT_KEY,
    }


def test_valid_selection_manifest() -> None:
    m = Manifest.from_json(selection())
    assert m.kind == "selection"
    assert m.row_ids == ("p1", "p2", "p3", "p4")
    assert m.options == ("for", "against")
    assert m.row_limits == (0, 1)
    assert m.column_limits == {"for": (0, 2)}
    assert m.enrolled == 45
    assert (m.trustees, m.threshold) == (3, 2)
    assert m.receipt_key == bytes.fromhex(RECEIPT_KEY)
    assert len(m.receipt_key) == 32
    assert m.election_id == "2025-人大"
    assert m.round_id == "selection-1"


def test_valid_rating_manifest() -> None:
    m = Manifest.from_json(rating())
    assert m.kind == "rating"
    assert m.options == ("satisfied", "basically_satisfied", "dissatisfied")
    assert m.column_limits == {}
    assert m.rule == {"name": "satisfaction", "threshold": [4, 5]}


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(extra_field={"any": ["thing", 1]}),
        lambda d: d["rule"].update(basis="cast"),
        lambda d: d["rows"][0].update(note="more fields are allowed"),
        lambda d: d.update(row_limits=[1, 1]),
        lambda d: d.update(column_limits={"for": [0, 2], "against": [0, 4]}),
        lambda d: d.update(options=["for"]),
    ],
)
def test_selection_variants_accepted(mutate: Mutation) -> None:
    """More fields are allowed (§9) and limits may be tighter than the minimum."""
    data = selection()
    mutate(data)
    assert Manifest.from_json(data).data == data


@pytest.mark.parametrize("threshold", [[0, 1], [1, 1], [1, 2], [2, 3]])
def test_rating_thresholds_accepted(threshold: list[int]) -> None:
    data = rating()
    data["rule"]["threshold"] = threshold
    assert Manifest.from_json(data).rule["threshold"] == threshold


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        target = d
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(key: str) -> Mutation:
    return lambda d: d.pop(key)


SELECTION_REFUSALS: list[tuple[str, Mutation, str]] = [
    ("wrong protocol", _set(("protocol",), "piaojue/2"), "protocol must be 'piaojue/1'"),
    ("protocol missing version", _set(("protocol",), "piaojue"), "protocol must be"),
    ("bad kind", _set(("kind",), "referendum"), "kind must be 'selection' or 'rating'"),
    ("kind not a string", _set(("kind",), ["selection"]), "kind must be"),
    ("empty election_id", _set(("election_id",), " "), "election_id must be a non-empty"),
    ("round_id not a string", _set(("round_id",), 7), "round_id must be a non-empty"),
    ("title missing text", _set(("title",), ""), "title must be a non-empty"),
    ("empty rows", _set(("rows",), []), "rows must be a non-empty list"),
    ("rows not a list", _set(("rows",), {"p1": "x"}), "rows must be a non-empty list"),
    ("row not an object", _set(("rows", 1), "p2"), "row 2 must be an object"),
    ("row without id", _set(("rows", 0), {"title": "x"}), "row 1 id must be"),
    ("row without title", _set(("rows", 2), {"id": "p3"}), "row 3 title must be"),
    ("duplicate row ids", _set(("rows", 1, "id"), "p1"), "row ids must be unique"),
    ("duplicate options", _set(("options",), ["for", "for"]), "distinct strings"),
    ("empty options", _set(("options",), []), "options must be a non-empty list"),
    ("empty option name", _set(("options",), ["for", ""]), "options must be"),
    ("row_limits min > max", _set(("row_limits",), [1, 0]), "row_limits must be .min, max."),
    ("row_limits negative", _set(("row_limits",), [-1, 1]), "row_limits must be"),
    ("row_limits one number", _set(("row_limits",), [1]), "row_limits must be"),
    ("row_limits not ints", _set(("row_limits",), ["0", "1"]), "row_limits must be"),
    ("row_limits bool", _set(("row_limits",), [False, True]), "row_limits must be"),
    ("row_limits min unreachable", _set(("row_limits",), [3, 3]),
     "row_limits: minimum 3 can never be reached .at most 2."),
    ("column_limits unknown option", _set(("column_limits",), {"for": [0, 2], "abstain": [0, 1]}),
     "column_limits names 'abstain', which is not an option"),
    ("column_limits not an object", _set(("column_limits",), [["for", 0, 2]]),
     "column_limits must be an object"),
    ("column min unreachable", _set(("column_limits", "against"), [5, 5]),
     "column_limits.against: minimum 5 can never be reached .at most 4."),
    ("column min > max", _set(("column_limits", "against"), [2, 1]),
     "column_limits.against must be"),
    ("selection column for != [0, seats]", _set(("column_limits", "for"), [0, 3]),
     r"column_limits.for must be \[0, 2\]"),
    ("selection column for missing", _set(("column_limits",), {}),
     r"column_limits.for must be \[0, 2\]"),
    ("selection column for min > 0", _set(("column_limits", "for"), [1, 2]),
     r"column_limits.for must be \[0, 2\]"),
    ("seats 0", lambda d: (d["rule"].update(seats=0), d["column_limits"].update({"for": [0, 0]})),
     "rule.seats must be a positive integer"),
    ("seats negative", _set(("rule", "seats"), -1), "rule.seats must be a positive"),
    ("seats a string", _set(("rule", "seats"), "2"), "rule.seats must be a positive"),
    ("seats bool", _set(("rule", "seats"), True), "rule.seats must be a positive"),
    ("bad basis", _set(("rule", "basis"), "present"), "rule.basis must be 'enrolled' or 'cast'"),
    ("basis missing", lambda d: d["rule"].pop("basis"), "rule.basis must be"),
    ("selection with rating rule", _set(("rule",), {"name": "satisfaction", "threshold": [1, 2]}),
     "a selection round uses the rule 'majority-top-k'"),
    ("rule not an object", _set(("rule",), "majority-top-k"), "rule must be an object"),
    ("selection with rating options",
     lambda d: (d.update(options=["satisfied", "basically_satisfied", "dissatisfied"]),
                d.update(column_limits={})),
     r"a selection round has the options \['for', 'against'\]"),
    ("selection options reordered", _set(("options",), ["against", "for"]),
     "a selection round has the options"),
    ("enrolled 0", _set(("electorate", "enrolled"), 0), "electorate.enrolled must be at least 1"),
    ("enrolled negative", _set(("electorate", "enrolled"), -3), "enrolled must be at least 1"),
    ("enrolled string", _set(("electorate", "enrolled"), "45"), "electorate must be .enrolled"),
    ("enrolled bool", _set(("electorate", "enrolled"), True), "electorate must be .enrolled"),
    ("electorate missing enrolled", _set(("electorate",), {}), "electorate must be"),
    ("trustees threshold > n", _set(("trustees", "threshold"), 4),
     "trustees: need 1 <= threshold <= trustees .* got threshold 4 of 3"),
    ("trustees threshold 0", _set(("trustees", "threshold"), 0), "trustees: need 1 <= threshold"),
    ("trustees n missing", _set(("trustees",), {"threshold": 2}), "trustees: "),
    ("trustees n a string", _set(("trustees", "n"), "3"), "trustees: trustee counts"),
    ("trustees not an object", _set(("trustees",), [3, 2]), "trustees must be"),
    ("trustees too many", _set(("trustees",), {"n": 65, "threshold": 2}), "trustees: need"),
    ("receipt_key short", _set(("receipt_key",), "5a" * 31), "receipt_key: expected 64 lowercase"),
    ("receipt_key long", _set(("receipt_key",), "5a" * 33), "receipt_key: expected 64"),
    ("receipt_key uppercase", _set(("receipt_key",), "5A" * 32), "receipt_key: expected 64"),
    ("receipt_key non-hex", _set(("receipt_key",), "zz" * 32), "receipt_key: expected 64"),
    ("receipt_key not a string", _set(("receipt_key",), 5), "receipt_key: expected a hex string"),
    ("receipt_key small order", _set(("receipt_key",), "00" * 32),
     "receipt_key: the public key is not a valid point"),
    ("receipt_key identity", _set(("receipt_key",), "01" + "00" * 31),
     "receipt_key: the public key is not a valid point"),
    ("receipt_key off curve", _set(("receipt_key",), (2).to_bytes(32, "little").hex()),
     "receipt_key: the public key is not a valid point"),
    ("float in an extra field", _set(("version",), 1.0),
     "no canonical JSON form: version: floating-point"),
    ("float in a row", _set(("rows", 0, "weight"), 0.5),
     r"no canonical JSON form: rows\[0\].weight: floating-point"),
    ("float in the rule", _set(("rule", "quota"), 0.5),
     "no canonical JSON form: rule.quota: floating-point"),
    ("float seats", _set(("rule", "seats"), 2.0), "rule.seats must be a positive integer"),
    ("float enrolled", _set(("electorate", "enrolled"), 45.0), "electorate must be .enrolled"),
    ("float in row_limits", _set(("row_limits",), [0, 1.0]), "row_limits must be"),
    ("float in trustees", _set(("trustees", "threshold"), 2.0), "trustees: trustee counts"),
    ("float in electorate extra", _set(("electorate", "present"), 40.5),
     r"electorate.present: floating-point"),
    ("non-string key", _set(("rule", 1), "x"), "object keys must be strings"),
]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [pytest.param(m, msg, id=name) for name, m, msg in SELECTION_REFUSALS],
)
def test_selection_manifest_refused(mutate: Mutation, message: str) -> None:
    data = selection()
    mutate(data)
    with pytest.raises(InvalidManifest, match=message):
        Manifest.from_json(data)


@pytest.mark.parametrize("field", REQUIRED_FIELDS)
def test_missing_required_field_refused(field: str) -> None:
    for data in (selection(), rating()):
        del data[field]
        with pytest.raises(InvalidManifest, match=f"the manifest lacks {field}"):
            Manifest.from_json(data)


def test_missing_fields_are_all_named() -> None:
    data = selection()
    del data["rule"], data["title"]
    with pytest.raises(InvalidManifest, match="lacks title, rule"):
        Manifest.from_json(data)


@pytest.mark.parametrize("value", [None, [], "{}", 3, [selection()]])
def test_non_object_manifest_refused(value: Any) -> None:
    with pytest.raises(InvalidManifest, match="must be a JSON object"):
        Manifest.from_json(value)


RATING_REFUSALS: list[tuple[str, Mutation, str]] = [
    ("threshold [5, 4]", _set(("rule", "threshold"), [5, 4]), "rule.threshold must be"),
    ("threshold [1, 0]", _set(("rule", "threshold"), [1, 0]), "rule.threshold must be"),
    ("threshold [0, 0]", _set(("rule", "threshold"), [0, 0]), "rule.threshold must be"),
    ("threshold negative", _set(("rule", "threshold"), [-1, 2]), "rule.threshold must be"),
    ("threshold float", _set(("rule", "threshold"), 0.8), "rule.threshold must be"),
    ("threshold three numbers", _set(("rule", "threshold"), [1, 2, 3]), "rule.threshold must be"),
    ("threshold missing", lambda d: d["rule"].pop("threshold"), "rule.threshold must be"),
    ("threshold of strings", _set(("rule", "threshold"), ["4", "5"]), "rule.threshold must be"),
    ("rating with selection rule",
     _set(("rule",), {"name": "majority-top-k", "seats": 1, "basis": "cast"}),
     "a rating round uses the rule 'satisfaction'"),
    ("rating with selection options",
     lambda d: d.update(options=["for", "against"]),
     "a rating round has the options"),
    ("rating options reordered",
     _set(("options",), ["dissatisfied", "basically_satisfied", "satisfied"]),
     "a rating round has the options"),
    ("rating column unknown", _set(("column_limits",), {"for": [0, 1]}),
     "column_limits names 'for'"),
]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [pytest.param(m, msg, id=name) for name, m, msg in RATING_REFUSALS],
)
def test_rating_manifest_refused(mutate: Mutation, message: str) -> None:
    data = rating()
    mutate(data)
    with pytest.raises(InvalidManifest, match=message):
        Manifest.from_json(data)


def test_invalid_manifest_is_a_crypto_error() -> None:
    assert issubclass(InvalidManifest, CryptoError)


@pytest.mark.parametrize("field", ["n", "threshold"])
def test_boolean_trustee_counts_refused(field: str) -> None:
    """JSON true is not the integer 1 (§9 asks for integers)."""
    data = selection()
    data["trustees"] = {"n": 1, "threshold": 1, field: True}
    with pytest.raises(InvalidManifest, match="trustees: trustee counts must be integers"):
        Manifest.from_json(data)


def test_lone_surrogate_title_refused() -> None:
    """parse_json accepts "\\ud800" escapes, so such a title can arrive from outside."""
    data = selection()
    data["title"] = "\ud800"
    with pytest.raises(InvalidManifest):
        Manifest.from_json(data)


def test_huge_integer_field_refused() -> None:
    data = selection()
    data["note"] = 10**5000
    with pytest.raises(InvalidManifest):
        Manifest.from_json(data)


# --------------------------------------------------------------------------
# Limits that decide which proofs a ballot carries (§6)
# --------------------------------------------------------------------------


def test_proof_needs_follow_the_limits() -> None:
    m = Manifest.from_json(selection(seats=2, n_rows=4))
    assert m.row_needs_proof  # [0, 1] with 2 options is not implied by the cells
    assert m.columns_needing_proof() == {"for": (0, 2)}

    wide = selection(seats=4, n_rows=4)
    wide["row_limits"] = [0, 2]
    m = Manifest.from_json(wide)
    assert not m.row_needs_proof  # [0, m] with m >= options
    assert m.columns_needing_proof() == {}  # [0, m] with m >= rows

    exact = rating()
    exact["row_limits"] = [1, 1]
    exact["column_limits"] = {"dissatisfied": [0, 3], "satisfied": [1, 3]}
    m = Manifest.from_json(exact)
    assert m.row_needs_proof  # a minimum above 0 always needs a proof
    assert m.columns_needing_proof() == {"satisfied": (1, 3)}


# --------------------------------------------------------------------------
# Hashes
# --------------------------------------------------------------------------


def _enc(*items: bytes) -> bytes:
    return b"".join(len(i).to_bytes(4, "big") + i for i in items)


@pytest.mark.parametrize("build", [selection, rating])
def test_manifest_hash_is_hb_of_canonical_json(build: Callable[[], dict[str, Any]]) -> None:
    data = build()
    m = Manifest.from_json(data)
    assert m.canonical_bytes() == canonical_json(data)
    assert m.hash == HB("piaojue/v1/manifest", canonical_json(data))
    assert m.hash == hashlib.sha256(_enc(b"piaojue/v1/manifest", canonical_json(data))).digest()


def test_manifest_canonical_bytes_are_sorted_compact_utf8() -> None:
    raw = Manifest.from_json(rating()).canonical_bytes()
    assert raw.startswith(b'{"column_limits":{},"election_id":"2025-\xe4\xba\xba\xe5\xa4\xa7"')
    assert b": " not in raw
    assert b", " not in raw


def test_manifest_hash_changes_with_any_field() -> None:
    base = Manifest.from_json(selection()).hash
    changed = copy.deepcopy(selection())
    changed["rows"][3]["title"] = "项目4 (修订)"
    assert Manifest.from_json(changed).hash != base
    key_order = dict(reversed(list(selection().items())))
    assert Manifest.from_json(key_order).hash == base


def test_round_context_is_hb_of_manifest_hash_key_and_commitments() -> None:
    m = Manifest.from_json(selection())
    K = base_mul(123456789)
    commitments_hash = HB("piaojue/v1/commitments", base_mul(1), base_mul(2))
    Q = round_context(m.hash, K, commitments_hash)
    assert HB("piaojue/v1/context", m.hash, K, commitments_hash) == Q
    assert hashlib.sha256(
        _enc(b"piaojue/v1/context", m.hash, K.data, commitments_hash)
    ).digest() == Q
    assert round_context(m.hash, base_mul(987), commitments_hash) != Q
    assert round_context(m.hash, K, bytes(32)) != Q
    assert round_context(Manifest.from_json(rating()).hash, K, commitments_hash) != Q


@pytest.mark.parametrize(
    ("row_limits", "options", "column_limits"),
    [
        ([2, 2], ["for", "against"], {"for": [0, 2]}),  # 4 rows x 2 marks > 2 for + 4 against
        ([1, 1], ["for"], {"for": [0, 2]}),  # every row needs 赞成, only 2 allowed
    ],
)
def test_limits_no_ballot_can_meet_are_refused(row_limits: list[int], options: list[str],
                                               column_limits: dict[str, list[int]]) -> None:
    """A ballot definition that admits no ballot at all would lock every deputy out."""
    data = selection(seats=2, n_rows=4)
    data.update(row_limits=row_limits, options=options, column_limits=column_limits)
    with pytest.raises(InvalidManifest, match="no ballot can satisfy"):
        Manifest.from_json(data)
