"""ElGamal and the three zero-knowledge proofs of PROTOCOL.md §5.

Soundness is what matters: each proof must verify as made and must be
REJECTED when any single value it binds is changed. A proof that still
verifies after a change would let a ballot, a key or a decryption share be
swapped without anyone noticing.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.decryption_proof import prove_decryption, verify_decryption
from crypto.elgamal import ZERO_CIPHERTEXT, Ciphertext, add_all, encrypt
from crypto.errors import InvalidProof
from crypto.group import IDENTITY, G, L, Point, base_mul
from crypto.hashing import HS
from crypto.range_proof import TAG, RangeProof, _fake_commitments, prove_range, verify_range
from crypto.rng import SeededRandomness, random_scalar
from crypto.schnorr import prove_knowledge, verify_knowledge

SECRET = 0x5EC2E7_5EC2E7_5EC2E7
K = base_mul(SECRET)
Q = bytes(range(32))
OTHER_Q = bytes(range(1, 33))
OTHER_KEY = base_mul(SECRET + 1)

scalars = st.integers(min_value=1, max_value=L - 1)


def rng(seed: str = "proofs") -> SeededRandomness:
    return SeededRandomness(seed)


def decrypt(ct: Ciphertext, x: int = SECRET) -> Point:
    """By hand: B - x*A is m*G."""
    return ct.B - x * ct.A


# --------------------------------------------------------------------------
# ElGamal
# --------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=50), scalars)
def test_elgamal_round_trip(m: int, r: int) -> None:
    ct = encrypt(m, r, K)
    assert base_mul(r) == ct.A
    assert base_mul(m) + r * K == ct.B
    assert decrypt(ct) == base_mul(m)


def test_elgamal_zero_plaintext_decrypts_to_identity() -> None:
    assert decrypt(encrypt(0, 12345, K)) == IDENTITY


@given(st.integers(0, 20), st.integers(0, 20), scalars, scalars)
def test_elgamal_is_additively_homomorphic(a: int, b: int, r: int, s: int) -> None:
    """Tallies and row/column proofs rely on Enc(a; r) + Enc(b; s) = Enc(a + b; r + s)."""
    total = encrypt(a, r, K) + encrypt(b, s, K)
    assert total == encrypt(a + b, (r + s) % L, K)
    assert decrypt(total) == base_mul(a + b)


@given(st.lists(st.tuples(st.integers(0, 1), scalars), max_size=6))
def test_add_all_sums_plaintexts(items: list[tuple[int, int]]) -> None:
    total = add_all([encrypt(m, r, K) for m, r in items])
    assert decrypt(total) == base_mul(sum(m for m, _ in items))


def test_empty_aggregate_is_the_zero_ciphertext() -> None:
    assert add_all([]) == ZERO_CIPHERTEXT == Ciphertext(IDENTITY, IDENTITY)
    assert decrypt(ZERO_CIPHERTEXT) == IDENTITY


def test_wrong_key_does_not_decrypt() -> None:
    ct = encrypt(1, 777, K)
    assert decrypt(ct, SECRET + 1) != base_mul(1)


# --------------------------------------------------------------------------
# Schnorr (5.2)
# --------------------------------------------------------------------------


def test_schnorr_verifies() -> None:
    proof = prove_knowledge(SECRET, Q, rng())
    verify_knowledge(K, proof, Q)


@given(scalars, st.binary(max_size=40))
def test_schnorr_verifies_for_any_secret_and_context(x: int, ctx: bytes) -> None:
    verify_knowledge(base_mul(x), prove_knowledge(x, ctx, rng()), ctx)


@pytest.mark.parametrize("field", ["c", "s", "X", "context"])
def test_schnorr_rejects_any_altered_field(field: str) -> None:
    c, s = prove_knowledge(SECRET, Q, rng())
    X, ctx = K, Q
    if field == "c":
        c = (c + 1) % L
    elif field == "s":
        s = (s + 1) % L
    elif field == "X":
        X = OTHER_KEY
    else:
        ctx = OTHER_Q
    with pytest.raises(InvalidProof, match="Schnorr"):
        verify_knowledge(X, (c, s), ctx)


def test_schnorr_needs_the_secret() -> None:
    """A proof made with another secret does not verify for K."""
    with pytest.raises(InvalidProof):
        verify_knowledge(K, prove_knowledge(SECRET + 1, Q, rng()), Q)


def test_schnorr_swapped_pair_rejected() -> None:
    c, s = prove_knowledge(SECRET, Q, rng())
    with pytest.raises(InvalidProof):
        verify_knowledge(K, (s, c), Q)


# --------------------------------------------------------------------------
# Range proof (5.1)
# --------------------------------------------------------------------------

RANGES = [(0, 1, 0), (0, 1, 1), (0, 5, 0), (0, 5, 3), (0, 5, 5), (2, 4, 2), (2, 4, 3), (2, 4, 4),
          (3, 3, 3), (0, 0, 0)]


def _proved(value: int, lo: int, hi: int, seed: str = "range") -> tuple[Ciphertext, RangeProof]:
    r = random_scalar(rng(seed + "nonce"))
    ct = encrypt(value, r, K)
    return ct, prove_range(ct, value, r, lo, hi, K, Q, rng(seed))


@pytest.mark.parametrize(("lo", "hi", "value"), RANGES)
def test_range_proof_verifies(lo: int, hi: int, value: int) -> None:
    ct, proof = _proved(value, lo, hi)
    assert len(proof) == hi - lo + 1
    assert all(0 <= c < L and 0 <= s < L for c, s in proof)
    verify_range(ct, proof, lo, hi, K, Q)


@given(st.data())
def test_range_proof_verifies_hypothesis(data: st.DataObject) -> None:
    lo = data.draw(st.integers(0, 6), label="lo")
    hi = data.draw(st.integers(lo, lo + 5), label="hi")
    value = data.draw(st.integers(lo, hi), label="value")
    r = data.draw(scalars, label="r")
    ct = encrypt(value, r, K)
    proof = prove_range(ct, value, r, lo, hi, K, Q, rng(f"{lo}{hi}{value}"))
    verify_range(ct, proof, lo, hi, K, Q)


def test_range_proof_challenges_sum_to_the_fiat_shamir_hash() -> None:
    """The compact form: the c_j add up to HS(...), as §5.1 says."""
    ct, proof = _proved(1, 0, 2)
    commitments: list[Point] = []
    for j, (c, s) in zip(range(3), proof, strict=True):
        commitments += _fake_commitments(ct, K, j, c, s)
    assert sum(c for c, _ in proof) % L == HS(TAG, Q, ct.A, ct.B, 0, 2, *commitments)
    # the a_j follow the formula a_j = s_j*G - c_j*A of the spec
    assert commitments[0] == base_mul(proof[0][1]) - proof[0][0] * ct.A


def _alter_pair(proof: RangeProof, j: int, which: int) -> RangeProof:
    pairs = [list(p) for p in proof]
    pairs[j][which] = (pairs[j][which] + 1) % L
    return tuple((c, s) for c, s in pairs)


@pytest.mark.parametrize(("lo", "hi", "value"), [(0, 1, 0), (0, 1, 1), (2, 4, 3), (3, 3, 3)])
def test_range_proof_rejects_any_altered_challenge_or_response(
    lo: int, hi: int, value: int
) -> None:
    ct, proof = _proved(value, lo, hi)
    for j in range(len(proof)):
        for which in (0, 1):
            with pytest.raises(InvalidProof, match=f"{lo}..{hi} does not verify"):
                verify_range(ct, _alter_pair(proof, j, which), lo, hi, K, Q)


@pytest.mark.parametrize("value", [0, 1])
def test_range_proof_rejects_altered_ciphertext(value: int) -> None:
    ct, proof = _proved(value, 0, 1)
    other = encrypt(value, 4242, K)
    for bad in (replace(ct, A=other.A), replace(ct, B=other.B), replace(ct, A=ct.A + G),
                replace(ct, B=ct.B + G), Ciphertext(ct.B, ct.A)):
        with pytest.raises(InvalidProof):
            verify_range(bad, proof, 0, 1, K, Q)


def test_range_proof_rejects_other_context_and_key() -> None:
    ct, proof = _proved(1, 0, 1)
    with pytest.raises(InvalidProof):
        verify_range(ct, proof, 0, 1, K, OTHER_Q)
    with pytest.raises(InvalidProof):
        verify_range(ct, proof, 0, 1, OTHER_KEY, Q)
    with pytest.raises(InvalidProof):
        verify_range(ct, proof, 0, 1, K, Q + b"\x00")


@pytest.mark.parametrize(("lo", "hi", "new_lo", "new_hi"),
                         [(0, 1, 1, 2), (2, 4, 1, 3), (2, 4, 3, 5), (3, 3, 2, 2), (3, 3, 4, 4)])
def test_range_proof_rejects_shifted_bounds_with_same_pair_count(
    lo: int, hi: int, new_lo: int, new_hi: int
) -> None:
    """lo and hi are hashed: the same pairs do not prove another window."""
    ct, proof = _proved(lo + (hi - lo) // 2, lo, hi)
    with pytest.raises(InvalidProof, match="does not verify"):
        verify_range(ct, proof, new_lo, new_hi, K, Q)


def test_range_proof_rejects_wrong_number_of_pairs() -> None:
    ct, proof = _proved(1, 0, 2)
    for bad in (proof[:-1], (*proof, proof[0]), (), proof[:1]):
        with pytest.raises(InvalidProof, match=r"0\.\.2 needs 3 pairs"):
            verify_range(ct, bad, 0, 2, K, Q)
    with pytest.raises(InvalidProof, match=r"0\.\.3 needs 4 pairs, has 3"):
        verify_range(ct, proof, 0, 3, K, Q)
    with pytest.raises(InvalidProof, match=r"needs 2 pairs, has 3"):
        verify_range(ct, proof, 0, 1, K, Q)


def test_range_proof_rejects_reordered_pairs() -> None:
    ct, proof = _proved(0, 0, 1)
    with pytest.raises(InvalidProof):
        verify_range(ct, proof[::-1], 0, 1, K, Q)


@pytest.mark.parametrize(("lo", "hi", "value"), [(0, 1, 2), (0, 1, -1), (2, 4, 1), (2, 4, 5),
                                                 (3, 3, 2), (3, 3, 4), (1, 0, 0)])
def test_prove_range_refuses_a_value_outside_the_range(lo: int, hi: int, value: int) -> None:
    ct = encrypt(max(value, 0), 99, K)
    with pytest.raises(ValueError, match="outside"):
        prove_range(ct, value, 99, lo, hi, K, Q, rng())


@pytest.mark.parametrize("claimed", [0, 1])
def test_lying_prover_fails(claimed: int) -> None:
    """Encrypting 2 and 'proving' it is 0 or 1 with the real nonce does not verify."""
    r = 31337
    ct = encrypt(2, r, K)
    forged = prove_range(ct, claimed, r, 0, 1, K, Q, rng())
    with pytest.raises(InvalidProof):
        verify_range(ct, forged, 0, 1, K, Q)


@pytest.mark.parametrize("real", [0, 1])
def test_proof_for_another_ciphertext_does_not_cover_an_out_of_range_value(real: int) -> None:
    """A valid 0..1 proof borrowed from an honest ciphertext fails on Enc(2) or Enc(5)."""
    _, borrowed = _proved(real, 0, 1)
    for bad_value in (2, 5, L - 1):
        with pytest.raises(InvalidProof):
            verify_range(encrypt(bad_value, 555, K), borrowed, 0, 1, K, Q)


@given(st.data())
def test_range_proof_tamper_hypothesis(data: st.DataObject) -> None:
    """Any single-value change to a random proof makes it fail."""
    lo = data.draw(st.integers(0, 3), label="lo")
    hi = data.draw(st.integers(lo, lo + 3), label="hi")
    value = data.draw(st.integers(lo, hi), label="value")
    r = data.draw(scalars, label="r")
    ct = encrypt(value, r, K)
    proof = prove_range(ct, value, r, lo, hi, K, Q, rng(f"t{r}"))
    j = data.draw(st.integers(0, hi - lo), label="pair")
    which = data.draw(st.integers(0, 1), label="c or s")
    delta = data.draw(st.integers(1, L - 1), label="delta")
    pairs = [list(p) for p in proof]
    pairs[j][which] = (pairs[j][which] + delta) % L
    with pytest.raises(InvalidProof):
        verify_range(ct, tuple((c, s) for c, s in pairs), lo, hi, K, Q)


# --------------------------------------------------------------------------
# Decryption-share proof (5.3)
# --------------------------------------------------------------------------

SHARE = 0xA11CE
X_SHARE = base_mul(SHARE)
CT = encrypt(3, 0xC0FFEE, K)


def test_decryption_proof_verifies() -> None:
    M, proof = prove_decryption(SHARE, CT.A, Q, rng())
    assert M == SHARE * CT.A
    verify_decryption(X_SHARE, CT.A, M, proof, Q)


def test_decryption_with_full_secret_recovers_the_count() -> None:
    M, proof = prove_decryption(SECRET, CT.A, Q, rng())
    verify_decryption(K, CT.A, M, proof, Q)
    assert base_mul(3) == CT.B - M


@given(scalars, scalars)
def test_decryption_proof_verifies_hypothesis(x: int, r: int) -> None:
    A = base_mul(r)
    M, proof = prove_decryption(x, A, Q, rng(str(x)))
    verify_decryption(base_mul(x), A, M, proof, Q)


@pytest.mark.parametrize("field", ["c", "s", "X", "A", "M", "Q"])
def test_decryption_proof_rejects_any_altered_field(field: str) -> None:
    M, (c, s) = prove_decryption(SHARE, CT.A, Q, rng())
    X, A, ctx = X_SHARE, CT.A, Q
    if field == "c":
        c = (c + 1) % L
    elif field == "s":
        s = (s + 1) % L
    elif field == "X":
        X = base_mul(SHARE + 1)
    elif field == "A":
        A = CT.B
    elif field == "M":
        M = M + G
    else:
        ctx = OTHER_Q
    with pytest.raises(InvalidProof, match="decryption share proof"):
        verify_decryption(X, A, M, (c, s), ctx)


def test_wrong_share_cannot_be_proved() -> None:
    """A trustee who publishes M' = x'*A with x' != x is caught."""
    M_wrong, proof = prove_decryption(SHARE + 1, CT.A, Q, rng())
    with pytest.raises(InvalidProof):
        verify_decryption(X_SHARE, CT.A, M_wrong, proof, Q)


def test_decryption_proof_of_identity_share_is_rejected() -> None:
    """M = O (the trivial share) with a proof made for the real M does not verify."""
    M, proof = prove_decryption(SHARE, CT.A, Q, rng())
    assert M != IDENTITY
    with pytest.raises(InvalidProof):
        verify_decryption(X_SHARE, CT.A, IDENTITY, proof, Q)
