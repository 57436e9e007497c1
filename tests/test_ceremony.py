"""The trustees' key ceremony (PROTOCOL.md §4) and threshold decryption (§8).

A full n=5, t=3 ceremony is run once per module through the real transport
(X25519 + HKDF + ChaCha20-Poly1305), then every property the protocol relies
on is checked: shares lie on the joint polynomial, any t trustees can decrypt,
t-1 cannot, and every tampering is caught and named.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl import bindings as sodium

from crypto.ceremony import (
    TrusteeCommitment,
    check_share,
    commit,
    commitments_hash,
    election_context,
    evaluate,
    joint_key,
    new_polynomial,
    public_share,
    secret_share,
    verify_all_commitments,
    verify_commitment,
)
from crypto.dlog import discrete_log
from crypto.elgamal import encrypt
from crypto.errors import (
    DiscreteLogNotFound,
    InvalidCeremony,
    InvalidEncoding,
    InvalidPoint,
    InvalidScalar,
    InvalidShare,
)
from crypto.group import IDENTITY, G, L, Point, base_mul, point_sum, scalar_to_bytes
from crypto.hashing import HB
from crypto.rng import SeededRandomness, random_scalar
from crypto.tally import combine_counts, make_decryption_share, verify_decryption_share
from crypto.threshold import combine, lagrange_at_zero
from crypto.transport import (
    SEALED_SHARE_BYTES,
    new_transport_key,
    open_share,
    seal_share,
    transport_public_bytes,
)

ELECTION_ID = "2025-海淀区人大-民生实事"
N, T = 5, 3
TRUSTEES = range(1, N + 1)


@dataclass
class Ceremony:
    """Everything a 5-trustee ceremony produced, public and secret."""

    n: int
    t: int
    context: bytes
    polynomials: dict[int, tuple[int, ...]]
    published: list[TrusteeCommitment]
    transport_keys: dict
    sealed: dict[tuple[int, int], bytes]
    received: dict[int, list[int]]
    secrets: dict[int, int]


def run_ceremony(n: int, t: int, election_id: str, rng: SeededRandomness) -> Ceremony:
    """Run §4 end to end: deal, commit, verify, seal, relay, open, check, sum."""
    context = election_context(election_id, n, t)
    transport_keys = {j: new_transport_key(rng) for j in range(1, n + 1)}
    polynomials = {i: new_polynomial(t, rng) for i in range(1, n + 1)}
    published = [commit(i, polynomials[i], context, rng) for i in range(1, n + 1)]
    verify_all_commitments(published, n, t, context)
    sealed = {
        (i, j): seal_share(
            evaluate(polynomials[i], j),
            sender=i,
            recipient=j,
            recipient_key=transport_public_bytes(transport_keys[j]),
            context=context,
            rng=rng,
        )
        for i in range(1, n + 1)
        for j in range(1, n + 1)
    }
    received: dict[int, list[int]] = {}
    for j in range(1, n + 1):
        shares = []
        for i in range(1, n + 1):
            share = open_share(
                sealed[(i, j)],
                sender=i,
                recipient=j,
                private_key=transport_keys[j],
                context=context,
            )
            check_share(published[i - 1], j, share)
            shares.append(share)
        received[j] = shares
    secrets = {j: secret_share(received[j]) for j in range(1, n + 1)}
    return Ceremony(n, t, context, polynomials, published, transport_keys, sealed,
                    received, secrets)


@pytest.fixture(scope="module")
def ceremony() -> Ceremony:
    return run_ceremony(N, T, ELECTION_ID, SeededRandomness("test_ceremony"))


@pytest.fixture(scope="module")
def encrypted_count(ceremony):
    """An encryption of 7 under the joint key and every trustee's M_j = x_j*A."""
    ct = encrypt(7, random_scalar(SeededRandomness("count")), joint_key(ceremony.published))
    partials = {j: ceremony.secrets[j] * ct.A for j in TRUSTEES}
    return 7, ct, partials


def joint_secret(c: Ceremony) -> int:
    return sum(p[0] for p in c.polynomials.values()) % L


# --- the honest ceremony ---------------------------------------------------------------


def test_shares_sum_to_the_joint_polynomial(ceremony):
    """x_j must be F(j) for F = sum_i P_i, or t shares would not interpolate the key."""
    joint_poly = [sum(p[k] for p in ceremony.polynomials.values()) % L for k in range(T)]
    for j in TRUSTEES:
        assert ceremony.received[j] == [evaluate(ceremony.polynomials[i], j) for i in TRUSTEES]
        assert ceremony.secrets[j] == evaluate(joint_poly, j)


def test_public_shares_match_secret_shares(ceremony):
    """X_j, computed by anyone from the commitments, is x_j*G: decryption proofs rely on it."""
    for j in TRUSTEES:
        assert public_share(ceremony.published, j) == base_mul(ceremony.secrets[j])


def test_joint_key_is_sum_of_constant_terms(ceremony):
    """K_joint = (sum_i a_i0)*G, a secret no single party ever holds."""
    secret = joint_secret(ceremony)
    K = joint_key(ceremony.published)
    assert base_mul(secret) == K
    assert point_sum([tc.commitments[0] for tc in ceremony.published]) == K
    assert K != IDENTITY


def test_any_three_shares_interpolate_the_joint_secret(ceremony):
    """Every t-subset's Lagrange combination of x_j gives the same joint secret."""
    secret = joint_secret(ceremony)
    for subset in itertools.combinations(TRUSTEES, T):
        combined = sum(lagrange_at_zero(j, subset) * ceremony.secrets[j] for j in subset) % L
        assert combined == secret


@pytest.mark.parametrize("size", [3, 4, 5])
def test_decrypts_with_every_subset_of_at_least_threshold(ceremony, encrypted_count, size):
    """Any t or more trustees recover the count: no trustee is indispensable."""
    m, ct, partials = encrypted_count
    subsets = list(itertools.combinations(TRUSTEES, size))
    assert len(subsets) == {3: 10, 4: 5, 5: 1}[size]
    for subset in subsets:
        M = combine({j: partials[j] for j in subset}, T)
        assert joint_secret(ceremony) * ct.A == M
        assert base_mul(m) == ct.B - M
        assert discrete_log(ct.B - M, 100) == m


def test_two_trustees_cannot_decrypt(ceremony, encrypted_count):
    """t-1 trustees are refused by combine, and interpolating by hand gives garbage."""
    m, ct, partials = encrypted_count
    for pair in itertools.combinations(TRUSTEES, 2):
        with pytest.raises(InvalidCeremony, match="2 decryption shares given; the threshold is 3"):
            combine({j: partials[j] for j in pair}, T)
        by_hand = point_sum([lagrange_at_zero(j, pair) * partials[j] for j in pair])
        assert by_hand != joint_secret(ceremony) * ct.A
        assert ct.B - by_hand != base_mul(m)
        with pytest.raises(DiscreteLogNotFound):
            discrete_log(ct.B - by_hand, 1000)


def test_tally_functions_decrypt_with_every_subset(ceremony):
    """The §8 path (proved shares, verified against X_j, combined) gives the count."""
    K = joint_key(ceremony.published)
    rng = SeededRandomness("tally path")
    aggregates = ((encrypt(3, random_scalar(rng), K), encrypt(0, random_scalar(rng), K)),)
    Q = b"round context for this test"
    shares = {j: make_decryption_share(j, ceremony.secrets[j], aggregates, Q, rng)
              for j in TRUSTEES}
    for j in TRUSTEES:
        verify_decryption_share(shares[j], public_share(ceremony.published, j), aggregates, Q)
    for size in (3, 4, 5):
        for subset in itertools.combinations(TRUSTEES, size):
            counts = combine_counts(aggregates, {j: shares[j] for j in subset}, T, bound=3)
            assert counts == ((3, 0),)
    for pair in itertools.combinations(TRUSTEES, 2):
        with pytest.raises(InvalidCeremony, match="threshold is 3"):
            combine_counts(aggregates, {j: shares[j] for j in pair}, T, bound=3)


@settings(max_examples=10)
@given(
    n=st.integers(1, 6),
    data=st.data(),
    seed=st.binary(min_size=1, max_size=8),
)
def test_small_ceremonies_of_any_shape(n, data, seed):
    """For any t <= n, the joint key is the sum of a_i0 and any t public shares decrypt."""
    t = data.draw(st.integers(1, n), label="t")
    c = run_ceremony(n, t, "hypothesis", SeededRandomness(seed))
    K = joint_key(c.published)
    assert base_mul(joint_secret(c)) == K
    subset = data.draw(st.lists(st.integers(1, n), min_size=t, max_size=n, unique=True))
    ct = encrypt(2, 12345, K)
    M = combine({j: c.secrets[j] * ct.A for j in subset}, t)
    assert base_mul(2) == ct.B - M


# --- complaints: a share that does not match, or cannot be opened -------------------------


def test_tampered_share_is_a_named_complaint(ceremony):
    """A wrong P_i(j) must become a public complaint naming sender and recipient."""
    sender, recipient = 2, 4
    good = evaluate(ceremony.polynomials[sender], recipient)
    with pytest.raises(InvalidShare, match="trustee 2 sent to trustee 4") as info:
        check_share(ceremony.published[sender - 1], recipient, (good + 1) % L)
    assert info.value.sender == sender
    assert info.value.recipient == recipient
    assert "trustee 2's published commitments" in str(info.value)


@pytest.mark.parametrize("shift", [L, -L])
def test_unreduced_share_is_refused(ceremony, shift):
    """P_i(j) +/- L has the same x*G but is not a reduced scalar; it must not slip through."""
    good = evaluate(ceremony.polynomials[1], 3)
    with pytest.raises(InvalidShare, match="trustee 1 sent to trustee 3"):
        check_share(ceremony.published[0], 3, good + shift)


def test_share_checked_against_another_senders_commitments(ceremony):
    """P_1(3) is not P_2(3): a share credited to the wrong sender is a complaint."""
    with pytest.raises(InvalidShare, match="trustee 2 sent to trustee 3") as info:
        check_share(ceremony.published[1], 3, evaluate(ceremony.polynomials[1], 3))
    assert (info.value.sender, info.value.recipient) == (2, 3)


def test_share_for_another_recipient_is_refused(ceremony):
    """P_1(2) handed to trustee 3 does not match sum_k 3^k C_1k."""
    with pytest.raises(InvalidShare, match="trustee 1 sent to trustee 3"):
        check_share(ceremony.published[0], 3, evaluate(ceremony.polynomials[1], 2))


def test_sealed_share_opened_by_wrong_recipient(ceremony):
    """Only the addressed trustee's transport key opens a share; the relay learns nothing."""
    sealed = ceremony.sealed[(1, 2)]
    with pytest.raises(InvalidShare, match="trustee 1 sent to trustee 2") as info:
        open_share(sealed, sender=1, recipient=2, private_key=ceremony.transport_keys[3],
                   context=ceremony.context)
    assert (info.value.sender, info.value.recipient) == (1, 2)


@pytest.mark.parametrize(("sender", "recipient"), [(3, 2), (1, 3), (2, 1), (2, 2)])
def test_sealed_share_bound_to_its_indices(ceremony, sender, recipient):
    """The indices are associated data: a share cannot be replayed as another pair's."""
    sealed = ceremony.sealed[(1, 2)]
    with pytest.raises(InvalidShare) as info:
        open_share(sealed, sender=sender, recipient=recipient,
                   private_key=ceremony.transport_keys[2], context=ceremony.context)
    assert (info.value.sender, info.value.recipient) == (sender, recipient)
    assert f"trustee {sender} sent to trustee {recipient}" in str(info.value)


def test_sealed_share_bound_to_its_election(ceremony):
    """The same trustees in another election cannot reuse a sealed share."""
    other = election_context("another election", N, T)
    with pytest.raises(InvalidShare, match="cannot be decrypted"):
        open_share(ceremony.sealed[(1, 2)], sender=1, recipient=2,
                   private_key=ceremony.transport_keys[2], context=other)
    other_t = election_context(ELECTION_ID, N, T - 1)
    with pytest.raises(InvalidShare, match="cannot be decrypted"):
        open_share(ceremony.sealed[(1, 2)], sender=1, recipient=2,
                   private_key=ceremony.transport_keys[2], context=other_t)


@pytest.mark.parametrize("mask", [0x01, 0x80])
def test_every_flipped_byte_of_a_sealed_share_is_caught(ceremony, mask):
    """Any alteration by the relay (ephemeral key, nonce, body, tag) is refused.

    0x80 in the last byte of the ephemeral key matters: X25519 ignores that bit,
    so only the HKDF binding to the exact bytes catches it.
    """
    sealed = ceremony.sealed[(4, 5)]
    assert len(sealed) == SEALED_SHARE_BYTES
    for pos in range(len(sealed)):
        altered = bytearray(sealed)
        altered[pos] ^= mask
        with pytest.raises(InvalidShare, match="trustee 4 sent to trustee 5"):
            open_share(bytes(altered), sender=4, recipient=5,
                       private_key=ceremony.transport_keys[5], context=ceremony.context)


@pytest.mark.parametrize("length", [0, 1, 32, 44, SEALED_SHARE_BYTES - 1])
def test_truncated_sealed_share(ceremony, length):
    """A short message is a complaint, not an exception from the AEAD."""
    with pytest.raises(InvalidShare, match=f"has {length} bytes, not {SEALED_SHARE_BYTES}"):
        open_share(ceremony.sealed[(1, 2)][:length], sender=1, recipient=2,
                   private_key=ceremony.transport_keys[2], context=ceremony.context)


def test_low_order_ephemeral_key_is_refused(ceremony):
    """An all-zero (low-order) ephemeral key makes X25519 fail; that is a complaint too."""
    sealed = bytes(32) + ceremony.sealed[(1, 2)][32:]
    with pytest.raises(InvalidShare, match="cannot be decrypted"):
        open_share(sealed, sender=1, recipient=2, private_key=ceremony.transport_keys[2],
                   context=ceremony.context)


def test_lengthened_sealed_share(ceremony):
    """Appended bytes are refused too."""
    with pytest.raises(InvalidShare, match=f"not {SEALED_SHARE_BYTES}"):
        open_share(ceremony.sealed[(1, 2)] + b"\x00", sender=1, recipient=2,
                   private_key=ceremony.transport_keys[2], context=ceremony.context)


def test_sealed_share_hides_the_share(ceremony):
    """The relay sees neither the scalar's bytes nor the same ciphertext twice."""
    share = evaluate(ceremony.polynomials[1], 2)
    sealed = ceremony.sealed[(1, 2)]
    assert scalar_to_bytes(share) not in sealed
    key = transport_public_bytes(ceremony.transport_keys[2])
    again = seal_share(share, sender=1, recipient=2, recipient_key=key, context=ceremony.context)
    assert again != sealed
    assert open_share(again, sender=1, recipient=2, private_key=ceremony.transport_keys[2],
                      context=ceremony.context) == share


def test_seal_share_refuses_bad_inputs(ceremony):
    """An unreduced share or a malformed transport key is refused before sealing."""
    key = transport_public_bytes(ceremony.transport_keys[2])
    with pytest.raises(ValueError, match="reduced mod L"):
        seal_share(L, sender=1, recipient=2, recipient_key=key, context=ceremony.context)
    with pytest.raises(InvalidEncoding, match="trustee 2: transport key"):
        seal_share(5, sender=1, recipient=2, recipient_key=key[:31], context=ceremony.context)


# --- published commitments --------------------------------------------------------------


def test_verify_commitment_rejects_wrong_count(ceremony):
    """t-1 or t+1 commitments would change the threshold; both are refused."""
    tc = ceremony.published[2]
    short = replace(tc, commitments=tc.commitments[:2], proofs=tc.proofs[:2])
    with pytest.raises(InvalidCeremony, match="trustee 3 published 2 commitments"):
        verify_commitment(short, T, ceremony.context)
    long_poly = new_polynomial(T + 1, SeededRandomness("long"))
    with pytest.raises(InvalidCeremony, match="trustee 3 published 4 commitments"):
        verify_commitment(commit(3, long_poly, ceremony.context), T, ceremony.context)
    missing_proof = replace(tc, proofs=tc.proofs[:2])
    with pytest.raises(InvalidCeremony, match="trustee 3"):
        verify_commitment(missing_proof, T, ceremony.context)


def test_verify_commitment_rejects_altered_proof(ceremony):
    """A proof that does not verify names the trustee and the commitment."""
    tc = ceremony.published[1]
    c, s = tc.proofs[1]
    for bad in [(c, (s + 1) % L), ((c + 1) % L, s)]:
        altered = replace(tc, proofs=(tc.proofs[0], bad, tc.proofs[2]))
        with pytest.raises(InvalidCeremony, match="trustee 2: proof for commitment 1"):
            verify_commitment(altered, T, ceremony.context)
    swapped = replace(tc, proofs=(tc.proofs[1], tc.proofs[0], tc.proofs[2]))
    with pytest.raises(InvalidCeremony, match="trustee 2: proof for commitment 0"):
        verify_commitment(swapped, T, ceremony.context)


def test_verify_commitment_rejects_altered_commitment(ceremony):
    """Shifting C_ik (e.g. to cancel another trustee's key) breaks its proof."""
    tc = ceremony.published[4]
    altered = replace(tc, commitments=(tc.commitments[0] + G, *tc.commitments[1:]))
    with pytest.raises(InvalidCeremony, match="trustee 5: proof for commitment 0"):
        verify_commitment(altered, T, ceremony.context)
    stolen = replace(tc, commitments=(ceremony.published[0].commitments[0],
                                      *tc.commitments[1:]))
    with pytest.raises(InvalidCeremony, match="trustee 5"):
        verify_commitment(stolen, T, ceremony.context)


def test_verify_commitment_bound_to_election(ceremony):
    """Proofs made for one election do not verify in another."""
    other = election_context("another election", N, T)
    with pytest.raises(InvalidCeremony, match="trustee 1: proof for commitment 0"):
        verify_commitment(ceremony.published[0], T, other)


@pytest.mark.parametrize(
    "order",
    [
        [1, 2, 3, 4],
        [1, 2, 3, 4, 5, 5],
        [2, 1, 3, 4, 5],
        [1, 2, 3, 5, 4],
        [0, 1, 2, 3, 4],
        [2, 3, 4, 5, 6],
        [1, 1, 3, 4, 5],
        [],
    ],
)
def test_verify_all_commitments_requires_indices_in_order(ceremony, order):
    """Exactly trustees 1..n, each once, in order: nobody missing, doubled or renumbered."""
    by_index = {tc.index: tc for tc in ceremony.published}
    published = [by_index.get(i) or replace(by_index[1], index=i) for i in order]
    with pytest.raises(InvalidCeremony, match=r"expected trustees 1\.\.5 in order"):
        verify_all_commitments(published, N, T, ceremony.context)


def test_verify_all_commitments_rejects_one_bad_trustee(ceremony):
    """One bad proof among n trustees fails the whole set and names that trustee."""
    published = list(ceremony.published)
    tc = published[3]
    c, s = tc.proofs[2]
    published[3] = replace(tc, proofs=(*tc.proofs[:2], (c, (s + 1) % L)))
    with pytest.raises(InvalidCeremony, match="trustee 4: proof for commitment 2"):
        verify_all_commitments(published, N, T, ceremony.context)


# --- election context -------------------------------------------------------------------


def test_election_context_is_hb_of_id_n_t():
    """E = HB("piaojue/v1/election", election_id, n, t); changing any part changes it."""
    E = election_context(ELECTION_ID, N, T)
    assert HB("piaojue/v1/election", ELECTION_ID, N, T) == E
    assert len({E, election_context("x", N, T), election_context(ELECTION_ID, N + 1, T),
                election_context(ELECTION_ID, N, T - 1)}) == 4


@pytest.mark.parametrize(
    ("n", "t"),
    [(5, 6), (5, 0), (3, -1), (0, 0), (65, 3), (5, "3"), ("5", 3), (5.0, 3), (True, 1)],
)
def test_election_context_rejects_impossible_counts(n, t):
    """1 <= t <= n <= 64, integers only: anything else cannot run a ceremony."""
    with pytest.raises(InvalidCeremony):
        election_context(ELECTION_ID, n, t)


def test_election_context_rejects_boolean_threshold():
    """A JSON `true` threshold must be a named error, not a TypeError."""
    with pytest.raises(InvalidCeremony):
        election_context(ELECTION_ID, 5, True)


def test_threshold_bounds_are_inclusive():
    """t = n and t = 1 are legitimate ceremonies."""
    assert len(election_context(ELECTION_ID, 5, 5)) == 32
    assert len(election_context(ELECTION_ID, 1, 1)) == 32
    assert len(election_context(ELECTION_ID, 64, 64)) == 32


# --- commitments_hash -------------------------------------------------------------------


def test_commitments_hash_by_hand(ceremony):
    """HB over C_10..C_n(t-1) in order of i, then k, exactly as §2 lays out the bytes."""
    ordered = [C for tc in ceremony.published for C in tc.commitments]
    assert len(ordered) == N * T
    expected = HB("piaojue/v1/commitments", *ordered)
    items = [b"piaojue/v1/commitments"] + [C.data for C in ordered]
    by_hand = hashlib.sha256(b"".join(len(x).to_bytes(4, "big") + x for x in items)).digest()
    assert expected == by_hand
    assert commitments_hash(ceremony.published) == expected


def test_commitments_hash_ignores_list_order(ceremony):
    """The hash follows trustee indices, not the order a caller happened to list them."""
    expected = commitments_hash(ceremony.published)
    for perm in [list(reversed(ceremony.published)),
                 [ceremony.published[i] for i in (2, 0, 4, 1, 3)]]:
        assert commitments_hash(perm) == expected


def test_commitments_hash_depends_on_k_order(ceremony):
    """Swapping two coefficients of one trustee changes the hash (k order matters)."""
    published = list(ceremony.published)
    tc = published[0]
    published[0] = replace(tc, commitments=(tc.commitments[1], tc.commitments[0],
                                            tc.commitments[2]))
    assert commitments_hash(published) != commitments_hash(ceremony.published)


# --- TrusteeCommitment JSON -------------------------------------------------------------


def test_trustee_commitment_json_round_trip(ceremony):
    """What is published is exactly what is read back, and it still verifies."""
    for tc in ceremony.published:
        data = tc.to_json()
        assert set(data) == {"index", "commitments", "proofs"}
        assert all(len(c) == 64 for c in data["commitments"])
        assert all(len(p) == 2 and all(len(x) == 64 for x in p) for p in data["proofs"])
        back = TrusteeCommitment.from_json(data)
        assert back == tc
        verify_commitment(back, T, ceremony.context)


def _torsioned_point() -> str:
    """G plus the point of order 2: on the curve, but outside the prime-order subgroup."""
    order_two = ((2**255 - 19) - 1).to_bytes(32, "little")
    return sodium.crypto_core_ed25519_add(G.data, order_two).hex()


def _bad_shapes(good: dict) -> list[tuple[object, type[Exception], str]]:
    c, p = good["commitments"], good["proofs"]
    return [
        ("not an object", InvalidEncoding, "must be an object"),
        ([good], InvalidEncoding, "must be an object"),
        ({**good, "index": 0}, InvalidEncoding, "positive integer"),
        ({**good, "index": -2}, InvalidEncoding, "positive integer"),
        ({**good, "index": True}, InvalidEncoding, "positive integer"),
        ({**good, "index": "1"}, InvalidEncoding, "positive integer"),
        ({k: v for k, v in good.items() if k != "index"}, InvalidEncoding, "positive integer"),
        ({**good, "commitments": None}, InvalidEncoding, "must be lists"),
        ({**good, "proofs": "x"}, InvalidEncoding, "must be lists"),
        ({k: v for k, v in good.items() if k != "proofs"}, InvalidEncoding, "must be lists"),
        ({**good, "proofs": p[:2]}, InvalidEncoding, "one proof is needed per commitment"),
        ({**good, "commitments": [], "proofs": []}, InvalidEncoding, "one proof"),
        ({**good, "commitments": [c[0].upper(), *c[1:]]}, InvalidPoint, "commitment 0"),
        ({**good, "commitments": [c[0], c[1][:-2], c[2]]}, InvalidPoint, "commitment 1"),
        ({**good, "commitments": [c[0], c[1], IDENTITY.hex()]}, InvalidPoint, "commitment 2"),
        ({**good, "commitments": [c[0], c[1], _torsioned_point()]}, InvalidPoint,
         "commitment 2"),
        ({**good, "commitments": [(2**255 - 20).to_bytes(32, "little").hex(), c[1], c[2]]},
         InvalidPoint, "commitment 0"),
        ({**good, "commitments": [c[0], 7, c[2]]}, InvalidPoint, "commitment 1"),
        ({**good, "proofs": [p[0], p[1], [p[2][0]]]}, InvalidEncoding, "proof 2"),
        ({**good, "proofs": [p[0], p[1], "cs"]}, InvalidEncoding, "proof 2"),
        ({**good, "proofs": [[p[0][0], p[0][1], p[0][1]], p[1], p[2]]}, InvalidEncoding,
         "proof 0"),
        ({**good, "proofs": [[L.to_bytes(32, "little").hex(), p[0][1]], p[1], p[2]]},
         InvalidScalar, "proof 0 c"),
        ({**good, "proofs": [p[0], [p[1][0], "ff" * 32], p[2]]}, InvalidScalar, "proof 1 s"),
        ({**good, "proofs": [p[0], [p[1][0], "zz" * 32], p[2]]}, InvalidScalar, "proof 1 s"),
        ({**good, "proofs": [p[0], [p[1][0], 5], p[2]]}, InvalidScalar, "proof 1 s"),
    ]


def test_trustee_commitment_from_json_rejects_bad_shapes(ceremony):
    """Anything off the §9 shape is a named encoding error, never a crash."""
    good = ceremony.published[0].to_json()
    for value, error, message in _bad_shapes(good):
        with pytest.raises(error, match=message):
            TrusteeCommitment.from_json(value)


def test_invalid_point_helper_really_is_on_the_curve():
    """Guard for the test above: the torsioned point is a curve point, just not in <G>."""
    data = bytes.fromhex(_torsioned_point())
    with pytest.raises(InvalidPoint):
        Point.from_bytes(data)
    # libsodium can still add it, so it is a genuine (mixed-order) curve point.
    assert len(sodium.crypto_core_ed25519_sub(data, G.data)) == 32


# --- Lagrange ---------------------------------------------------------------------------


@given(data=st.data())
def test_lagrange_interpolates_at_zero(data):
    """For any polynomial of degree < |S|, sum lambda_j P(j) == P(0) (§8's combination)."""
    t = data.draw(st.integers(1, 7), label="t")
    n = data.draw(st.integers(t, 20), label="n")
    coefficients = data.draw(st.lists(st.integers(0, L - 1), min_size=t, max_size=t))
    subset = data.draw(st.lists(st.integers(1, n), min_size=t, max_size=n, unique=True))
    total = sum(lagrange_at_zero(j, subset) * evaluate(coefficients, j) for j in subset) % L
    assert total == coefficients[0]


@settings(max_examples=10)
@given(
    coefficients=st.lists(st.integers(1, L - 1), min_size=3, max_size=3),
    subset=st.lists(st.integers(1, 9), min_size=3, max_size=5, unique=True),
    r=st.integers(1, L - 1),
)
def test_combine_interpolates_in_the_exponent(coefficients, subset, r):
    """combine() applies the same interpolation to points: sum lambda_j P(j)*A == P(0)*A."""
    A = base_mul(r)
    shares = {j: evaluate(coefficients, j) * A for j in subset}
    assert combine(shares, 3) == coefficients[0] * A


def test_lagrange_refuses_a_trustee_outside_the_set():
    """lambda_j is only defined for j in S."""
    with pytest.raises(InvalidCeremony, match="trustee 4 is not in the decrypting set"):
        lagrange_at_zero(4, [1, 2, 3])


def test_lagrange_coefficients_for_1_2_3():
    """Known values: for S = {1, 2, 3}, lambda = (3, -3, 1) mod L."""
    assert [lagrange_at_zero(j, [1, 2, 3]) for j in (1, 2, 3)] == [3, L - 3, 1]
