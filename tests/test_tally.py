"""Homomorphic tally and threshold decryption of a whole round (PROTOCOL.md §8).

Real ballots (encrypt_ballot under a 5-trustee, t=3 joint key) are
aggregated; trustees publish proved decryption shares; any three combine to
counts that must equal the true sums of the marks. A wrong or misattributed
share must be caught and named down to the cell.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.canonical import canonical_json, parse_json
from crypto.ceremony import (
    TrusteeCommitment,
    commit,
    commitments_hash,
    election_context,
    evaluate,
    joint_key,
    new_polynomial,
    public_share,
    verify_all_commitments,
)
from crypto.elgamal import ZERO_CIPHERTEXT, add_all
from crypto.encrypted_ballot import EncryptedBallot, encrypt_ballot, verify_ballot
from crypto.errors import (
    DiscreteLogNotFound,
    InvalidCeremony,
    InvalidEncoding,
    InvalidPoint,
    InvalidProof,
    InvalidScalar,
)
from crypto.group import IDENTITY, G, L, Point, base_mul
from crypto.manifest import Manifest, round_context
from crypto.rng import SeededRandomness
from crypto.tally import (
    DecryptionShare,
    aggregate,
    aggregates_to_json,
    combine_counts,
    make_decryption_share,
    verify_decryption_share,
)
from crypto.threshold import combine

N, T = 5, 3
TRUSTEES = range(1, N + 1)
ELECTION_ID = "2025-丰台区人大"
SEATS = 2
ROWS = 3
OPTIONS = 2

MARKS = [
    [[1, 0], [0, 1], [1, 0]],
    [[1, 0], [1, 0], [0, 0]],
    [[0, 0], [0, 1], [0, 1]],
    [[0, 1], [1, 0], [1, 0]],
    [[1, 0], [0, 0], [0, 0]],
    [[0, 0], [0, 0], [0, 0]],
]
"""Six ballots: for at most 2 rows, at most one mark per row."""


def manifest_json(**overrides) -> dict:
    data = {
        "protocol": "piaojue/1",
        "election_id": ELECTION_ID,
        "round_id": "selection-1",
        "kind": "selection",
        "title": "2025年民生实事项目票决",
        "rows": [{"id": f"p{r + 1}", "title": f"项目{r + 1}"} for r in range(ROWS)],
        "options": ["for", "against"],
        "row_limits": [0, 1],
        "column_limits": {"for": [0, SEATS]},
        "rule": {"name": "majority-top-k", "seats": SEATS, "basis": "enrolled"},
        "electorate": {"enrolled": 10},
        "trustees": {"n": N, "threshold": T},
        "receipt_key": "58" + "66" * 31,  # the base point: a valid Ed25519 key
    }
    data.update(overrides)
    return data


@dataclass
class Round:
    manifest: Manifest
    published: list[TrusteeCommitment]
    secrets: dict[int, int]
    K: Point
    Q: bytes

    def public_share(self, j: int) -> Point:
        return public_share(self.published, j)


def run_round(rng: SeededRandomness) -> Round:
    """A §4 ceremony (shares computed directly; transport is tested elsewhere) and Q."""
    manifest = Manifest.from_json(manifest_json())
    E = election_context(ELECTION_ID, N, T)
    polynomials = {i: new_polynomial(T, rng) for i in TRUSTEES}
    published = [commit(i, polynomials[i], E, rng) for i in TRUSTEES]
    verify_all_commitments(published, N, T, E)
    secrets = {j: sum(evaluate(polynomials[i], j) for i in TRUSTEES) % L for j in TRUSTEES}
    K = joint_key(published)
    Q = round_context(manifest.hash, K, commitments_hash(published))
    return Round(manifest, published, secrets, K, Q)


def true_counts(marks) -> tuple[tuple[int, ...], ...]:
    return tuple(
        tuple(sum(ballot[r][o] for ballot in marks) for o in range(OPTIONS)) for r in range(ROWS)
    )


@pytest.fixture(scope="module")
def rnd() -> Round:
    return run_round(SeededRandomness("test_tally round"))


@pytest.fixture(scope="module")
def ballots(rnd) -> list[EncryptedBallot]:
    rng = SeededRandomness("test_tally ballots")
    out = []
    for marks in MARKS:
        ballot, _ = encrypt_ballot(rnd.manifest, rnd.K, rnd.Q, marks, rng)
        verify_ballot(ballot, rnd.manifest, rnd.K, rnd.Q)
        out.append(ballot)
    return out


@pytest.fixture(scope="module")
def aggregates(ballots):
    return aggregate(ballots, ROWS, OPTIONS)


@pytest.fixture(scope="module")
def shares(rnd, aggregates) -> dict[int, DecryptionShare]:
    rng = SeededRandomness("test_tally shares")
    return {j: make_decryption_share(j, rnd.secrets[j], aggregates, rnd.Q, rng) for j in TRUSTEES}


# --- aggregate and counts ---------------------------------------------------------------


def test_aggregate_is_cellwise_sum(ballots, aggregates):
    """Agg(cell) = (sum A, sum B) over the cast ballots."""
    assert len(aggregates) == ROWS
    assert all(len(row) == OPTIONS for row in aggregates)
    for r in range(ROWS):
        for o in range(OPTIONS):
            assert aggregates[r][o] == add_all([b.cells[r][o].ciphertext for b in ballots])


def test_aggregates_json_shape(aggregates):
    data = aggregates_to_json(aggregates)
    assert len(data) == ROWS
    assert all(set(cell) == {"A", "B"} for row in data for cell in row)
    assert data[1][0]["A"] == aggregates[1][0].A.hex()


def test_shares_verify_against_public_shares(rnd, aggregates, shares):
    """Every honest trustee's share verifies against X_j from the commitments alone."""
    for j in TRUSTEES:
        assert rnd.public_share(j) == base_mul(rnd.secrets[j])
        verify_decryption_share(shares[j], rnd.public_share(j), aggregates, rnd.Q)


def test_counts_equal_true_sums(aggregates, shares):
    """Any three trustees (and four, and five) recover exactly the sums of the marks."""
    expected = true_counts(MARKS)
    assert expected == ((3, 1), (2, 2), (2, 1))
    for size in (3, 4, 5):
        for subset in itertools.combinations(TRUSTEES, size):
            counts = combine_counts(aggregates, {j: shares[j] for j in subset}, T, len(MARKS))
            assert counts == expected, subset


def test_two_shares_are_refused(aggregates, shares):
    with pytest.raises(InvalidCeremony, match="2 decryption shares given; the threshold is 3"):
        combine_counts(aggregates, {1: shares[1], 2: shares[2]}, T, len(MARKS))


def test_bound_below_a_count_is_refused(aggregates, shares):
    """A count above the number cast is impossible and must not be reported."""
    subset = {j: shares[j] for j in (1, 2, 3)}
    with pytest.raises(DiscreteLogNotFound, match="between 0 and 2"):
        combine_counts(aggregates, subset, T, 2)


def test_unverified_bad_share_spoils_the_count(rnd, aggregates, shares):
    """Why shares are verified first: one share from a wrong x gives no valid count."""
    bad = make_decryption_share(3, (rnd.secrets[3] + 1) % L, aggregates, rnd.Q)
    with pytest.raises(InvalidProof, match="trustee 3"):
        verify_decryption_share(bad, rnd.public_share(3), aggregates, rnd.Q)
    with pytest.raises(DiscreteLogNotFound):
        combine_counts(aggregates, {1: shares[1], 2: shares[2], 3: bad}, T, len(MARKS))


@settings(max_examples=8)
@given(
    marks=st.lists(
        st.lists(st.sampled_from([(1, 0), (0, 1), (0, 0)]), min_size=ROWS, max_size=ROWS).filter(
            lambda ballot: sum(row[0] for row in ballot) <= SEATS
        ),
        min_size=0,
        max_size=5,
    ),
    subset=st.lists(st.sampled_from(list(TRUSTEES)), min_size=T, max_size=N, unique=True),
)
def test_random_rounds_count_correctly(rnd, marks, subset):
    """For random valid ballots and any t+ trustees, counts are the true sums."""
    rng = SeededRandomness(repr((marks, subset)))
    ballots = [encrypt_ballot(rnd.manifest, rnd.K, rnd.Q, m, rng)[0] for m in marks]
    aggregates = aggregate(ballots, ROWS, OPTIONS)
    shares = {j: make_decryption_share(j, rnd.secrets[j], aggregates, rnd.Q, rng)
              for j in subset}
    for j, share in shares.items():
        verify_decryption_share(share, rnd.public_share(j), aggregates, rnd.Q)
    assert combine_counts(aggregates, shares, T, len(marks)) == true_counts(marks)


def test_zero_ballots_decrypt_to_zero(rnd):
    """An empty round aggregates to O in every cell; k*O = O makes every count 0."""
    aggregates = aggregate([], ROWS, OPTIONS)
    assert all(ct == ZERO_CIPHERTEXT for row in aggregates for ct in row)
    assert ZERO_CIPHERTEXT.A == IDENTITY
    assert ZERO_CIPHERTEXT.B == IDENTITY
    shares = {j: make_decryption_share(j, rnd.secrets[j], aggregates, rnd.Q) for j in TRUSTEES}
    for j, share in shares.items():
        assert all(M == IDENTITY for row in share.cells for M, _ in row)
        verify_decryption_share(share, rnd.public_share(j), aggregates, rnd.Q)
    for subset in itertools.combinations(TRUSTEES, T):
        assert combine({j: shares[j].cells[0][0][0] for j in subset}, T) == IDENTITY
        counts = combine_counts(aggregates, {j: shares[j] for j in subset}, T, 0)
        assert counts == ((0, 0),) * ROWS


def test_zero_ballot_share_json_uses_the_identity(rnd):
    """The empty aggregate's M is O, which §1 forbids reading from outside: from_json
    refuses it by name (the record therefore carries no shares for an empty round)."""
    aggregates = aggregate([], ROWS, OPTIONS)
    share = make_decryption_share(1, rnd.secrets[1], aggregates, rnd.Q)
    data = share.to_json()
    assert data["cells"][0][0]["M"] == "01" + "00" * 31
    with pytest.raises(InvalidPoint, match="trustee 1, row 1, option 1 M"):
        DecryptionShare.from_json(data, ROWS, OPTIONS)


# --- DecryptionShare JSON ---------------------------------------------------------------


def test_share_json_round_trip(rnd, aggregates, shares):
    """Published shares read back identically (through canonical JSON bytes) and verify."""
    for j in TRUSTEES:
        data = shares[j].to_json()
        assert set(data) == {"trustee", "cells"}
        assert data["trustee"] == j
        assert len(data["cells"]) == ROWS
        assert all(len(row) == OPTIONS for row in data["cells"])
        back = DecryptionShare.from_json(parse_json(canonical_json(data)), ROWS, OPTIONS)
        assert back == shares[j]
        verify_decryption_share(back, rnd.public_share(j), aggregates, rnd.Q)


def _mutations():
    """(id, mutate(json) -> json, error class, message)."""
    other_point = (2 * G).hex()

    def cell(r, o, **changes):
        def mutate(d):
            cells = [[dict(c) for c in row] for row in d["cells"]]
            cells[r][o].update(changes)
            for key in [k for k, v in changes.items() if v is _DROP]:
                del cells[r][o][key]
            return {**d, "cells": cells}
        return mutate

    return [
        ("not an object", lambda d: [d], InvalidEncoding, "object with trustee and cells"),
        ("extra key", lambda d: {**d, "x": 1}, InvalidEncoding, "object with trustee and cells"),
        ("no cells", lambda d: {"trustee": d["trustee"]}, InvalidEncoding,
         "object with trustee and cells"),
        ("trustee 0", lambda d: {**d, "trustee": 0}, InvalidEncoding, "positive integer"),
        ("trustee true", lambda d: {**d, "trustee": True}, InvalidEncoding, "positive integer"),
        ("trustee text", lambda d: {**d, "trustee": "2"}, InvalidEncoding, "positive integer"),
        ("cells not list", lambda d: {**d, "cells": {}}, InvalidEncoding,
         "trustee 2's share must have 3 rows of 2 cells"),
        ("too few rows", lambda d: {**d, "cells": d["cells"][:2]}, InvalidEncoding,
         "3 rows of 2 cells"),
        ("too many rows", lambda d: {**d, "cells": [*d["cells"], d["cells"][0]]},
         InvalidEncoding, "3 rows of 2 cells"),
        ("short row", lambda d: {**d, "cells": [d["cells"][0][:1], *d["cells"][1:]]},
         InvalidEncoding, "3 rows of 2 cells"),
        ("row not list", lambda d: {**d, "cells": ["x", *d["cells"][1:]]}, InvalidEncoding,
         "3 rows of 2 cells"),
        ("cell not object", lambda d: {**d, "cells": [d["cells"][0], [1, 2], d["cells"][2]]},
         InvalidEncoding, "trustee 2, row 2, option 1: a share cell is an object"),
        ("cell extra key", cell(2, 1, extra=1), InvalidEncoding,
         "trustee 2, row 3, option 2: a share cell is an object"),
        ("cell no proof", cell(0, 1, proof=_DROP), InvalidEncoding,
         "row 1, option 2: a share cell is an object"),
        ("M not hex", cell(1, 1, M="zz" * 32), InvalidPoint, "trustee 2, row 2, option 2 M"),
        ("M upper", cell(1, 1, M=other_point.upper()), InvalidPoint, "row 2, option 2 M"),
        ("M identity", cell(0, 0, M="01" + "00" * 31), InvalidPoint, "row 1, option 1 M"),
        ("M order 2", cell(0, 0, M=(2**255 - 20).to_bytes(32, "little").hex()), InvalidPoint,
         "row 1, option 1 M"),
        ("M number", cell(0, 0, M=5), InvalidPoint, "row 1, option 1 M"),
        ("proof single", cell(2, 0, proof=["00" * 32]), InvalidEncoding,
         "row 3, option 1 proof"),
        ("proof text", cell(2, 0, proof="c,s"), InvalidEncoding, "row 3, option 1 proof"),
        ("proof c >= L", cell(2, 0, proof=[L.to_bytes(32, "little").hex(), "00" * 32]),
         InvalidScalar, "row 3, option 1 proof c"),
        ("proof s not hex", cell(2, 0, proof=["00" * 32, "s" * 64]), InvalidScalar,
         "row 3, option 1 proof s"),
    ]


_DROP = object()
MUTATIONS = _mutations()


@pytest.mark.parametrize(
    ("mutate", "error", "message"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS]
)
def test_share_from_json_rejects_bad_shapes(shares, mutate, error, message):
    """A malformed share is a named encoding error that says where, never a crash."""
    data = mutate(shares[2].to_json())
    with pytest.raises(error, match=message):
        DecryptionShare.from_json(data, ROWS, OPTIONS)


def test_share_from_json_checks_the_manifest_shape(shares):
    """The expected rows and options come from the manifest, not from the share."""
    data = shares[1].to_json()
    with pytest.raises(InvalidEncoding, match="4 rows of 2 cells"):
        DecryptionShare.from_json(data, 4, OPTIONS)
    with pytest.raises(InvalidEncoding, match="3 rows of 3 cells"):
        DecryptionShare.from_json(data, ROWS, 3)


# --- verify_decryption_share ------------------------------------------------------------


def test_share_checked_against_another_trustees_key(rnd, aggregates, shares):
    """Trustee 2's share presented as trustee 3's fails: X_3 is not x_2*G."""
    with pytest.raises(InvalidProof, match="trustee 2's decryption share for row 1, option 1"):
        verify_decryption_share(shares[2], rnd.public_share(3), aggregates, rnd.Q)


def test_relabelled_share_fails(rnd, aggregates, shares):
    """Copying trustee 2's cells under trustee 3's name does not pass as trustee 3."""
    relabelled = DecryptionShare(3, shares[2].cells)
    with pytest.raises(InvalidProof, match="trustee 3's decryption share"):
        verify_decryption_share(relabelled, rnd.public_share(3), aggregates, rnd.Q)


@pytest.mark.parametrize(("r", "o"), [(0, 0), (1, 0), (2, 1)])
def test_altered_m_is_named_by_cell(rnd, aggregates, shares, r, o):
    """Changing one M_j (to shift a count) is caught and the exact cell is named."""
    share = shares[2]
    cells = [list(row) for row in share.cells]
    M, proof = cells[r][o]
    cells[r][o] = (M + G, proof)
    altered = DecryptionShare(2, tuple(tuple(row) for row in cells))
    with pytest.raises(
        InvalidProof, match=f"trustee 2's decryption share for row {r + 1}, option {o + 1} "
    ):
        verify_decryption_share(altered, rnd.public_share(2), aggregates, rnd.Q)


@pytest.mark.parametrize("which", ["c", "s", "swap"])
def test_altered_proof_fails(rnd, aggregates, shares, which):
    share = shares[4]
    cells = [list(row) for row in share.cells]
    M, (c, s) = cells[1][1]
    bad = {"c": ((c + 1) % L, s), "s": (c, (s + 1) % L), "swap": (s, c)}[which]
    cells[1][1] = (M, bad)
    altered = DecryptionShare(4, tuple(tuple(row) for row in cells))
    with pytest.raises(InvalidProof, match="trustee 4's decryption share for row 2, option 2"):
        verify_decryption_share(altered, rnd.public_share(4), aggregates, rnd.Q)


def test_share_bound_to_round_context(rnd, aggregates, shares):
    """A share proved for one round's Q does not verify in another round."""
    other_q = round_context(b"\x00" * 32, rnd.K, commitments_hash(rnd.published))
    with pytest.raises(InvalidProof, match="trustee 1's decryption share for row 1, option 1"):
        verify_decryption_share(shares[1], rnd.public_share(1), aggregates, other_q)


def test_share_bound_to_the_aggregate(rnd, aggregates, shares):
    """A share for another aggregate (e.g. one ballot left out) does not verify."""
    fewer = aggregate([], ROWS, OPTIONS)
    with pytest.raises(InvalidProof, match="trustee 5's decryption share"):
        verify_decryption_share(shares[5], rnd.public_share(5), fewer, rnd.Q)
    swapped = (aggregates[1], aggregates[0], aggregates[2])
    with pytest.raises(InvalidProof, match="row 1, option 1"):
        verify_decryption_share(shares[5], rnd.public_share(5), swapped, rnd.Q)


def test_share_from_json_then_tampered_fails(rnd, aggregates, shares):
    """Editing a published share's JSON (another valid point for M) fails verification."""
    data = shares[3].to_json()
    data["cells"][2][0]["M"] = (3 * G).hex()
    parsed = DecryptionShare.from_json(data, ROWS, OPTIONS)
    with pytest.raises(InvalidProof, match="trustee 3's decryption share for row 3, option 1"):
        verify_decryption_share(parsed, rnd.public_share(3), aggregates, rnd.Q)
