"""The trustees' key ceremony (PROTOCOL.md §4): Pedersen-style t-of-n keys.

Each trustee deals a random polynomial, publishes commitments to its
coefficients with Schnorr proofs, and sends every other trustee one
evaluation (sealed by crypto.transport). A trustee checks what it received
against the sender's commitments and complains, publicly, when they differ.
Nobody, not the server nor any t-1 trustees, ever holds the joint secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crypto.canonical import point_from_hex, scalar_from_hex, scalar_hex
from crypto.errors import InvalidCeremony, InvalidEncoding, InvalidProof, InvalidShare
from crypto.group import L, Point, base_mul, point_sum
from crypto.hashing import HB
from crypto.rng import SYSTEM_RANDOMNESS, Randomness, random_scalar
from crypto.schnorr import ProofPair, prove_knowledge, verify_knowledge

MAX_TRUSTEES = 64


def election_context(election_id: str, n: int, threshold: int) -> bytes:
    """``E``: binds the ceremony's proofs to one election and its n, t."""
    check_trustee_counts(n, threshold)
    return HB("piaojue/v1/election", election_id, n, threshold)


def check_trustee_counts(n: Any, threshold: Any) -> None:
    """Counts read from a file are checked here, so they may be anything."""
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, threshold)):
        raise InvalidCeremony("trustee counts must be integers")
    if not 1 <= threshold <= n <= MAX_TRUSTEES:
        raise InvalidCeremony(
            f"need 1 <= threshold <= trustees <= {MAX_TRUSTEES}, got threshold "
            f"{threshold} of {n}"
        )


def new_polynomial(threshold: int, rng: Randomness = SYSTEM_RANDOMNESS) -> tuple[int, ...]:
    """``a_0 .. a_(t-1)``, each uniform in 1..L-1."""
    return tuple(random_scalar(rng) for _ in range(threshold))


def evaluate(coefficients: Sequence[int], at: int) -> int:
    """``P(at) mod L`` by Horner's rule."""
    value = 0
    for a in reversed(coefficients):
        value = (value * at + a) % L
    return value


def proof_to_json(proof: ProofPair) -> list[str]:
    return [scalar_hex(proof[0]), scalar_hex(proof[1])]


def proof_from_json(value: Any, what: str) -> ProofPair:
    if not isinstance(value, list) or len(value) != 2:
        raise InvalidEncoding(f"{what}: a proof is a [c, s] pair")
    return scalar_from_hex(value[0], f"{what} c"), scalar_from_hex(value[1], f"{what} s")


@dataclass(frozen=True, slots=True)
class TrusteeCommitment:
    """What trustee ``index`` publishes: ``C_ik = a_ik*G`` and a proof for each."""

    index: int
    commitments: tuple[Point, ...]
    proofs: tuple[ProofPair, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "commitments": [c.hex() for c in self.commitments],
            "proofs": [proof_to_json(p) for p in self.proofs],
        }

    @classmethod
    def from_json(cls, value: Any) -> TrusteeCommitment:
        if not isinstance(value, dict):
            raise InvalidEncoding("trustee commitment must be an object")
        index = value.get("index")
        if not isinstance(index, int) or isinstance(index, bool) or index < 1:
            raise InvalidEncoding("trustee commitment: index must be a positive integer")
        who = f"trustee {index}"
        commitments = value.get("commitments")
        proofs = value.get("proofs")
        if not isinstance(commitments, list) or not isinstance(proofs, list):
            raise InvalidEncoding(f"{who}: commitments and proofs must be lists")
        if len(commitments) != len(proofs) or not commitments:
            raise InvalidEncoding(f"{who}: one proof is needed per commitment")
        return cls(
            index=index,
            commitments=tuple(
                point_from_hex(c, f"{who} commitment {k}") for k, c in enumerate(commitments)
            ),
            proofs=tuple(proof_from_json(p, f"{who} proof {k}") for k, p in enumerate(proofs)),
        )


def commit(
    index: int,
    coefficients: Sequence[int],
    context: bytes,
    rng: Randomness = SYSTEM_RANDOMNESS,
) -> TrusteeCommitment:
    return TrusteeCommitment(
        index=index,
        commitments=tuple(base_mul(a) for a in coefficients),
        proofs=tuple(prove_knowledge(a, context, rng) for a in coefficients),
    )


def verify_commitment(tc: TrusteeCommitment, threshold: int, context: bytes) -> None:
    """Check one trustee's commitments: count and every Schnorr proof."""
    if len(tc.commitments) != threshold or len(tc.proofs) != threshold:
        raise InvalidCeremony(
            f"trustee {tc.index} published {len(tc.commitments)} commitments; "
            f"threshold {threshold} needs {threshold}"
        )
    for k, (C, proof) in enumerate(zip(tc.commitments, tc.proofs, strict=True)):
        try:
            verify_knowledge(C, proof, context)
        except InvalidProof:
            raise InvalidCeremony(
                f"trustee {tc.index}: proof for commitment {k} does not verify"
            ) from None


def verify_all_commitments(
    published: Sequence[TrusteeCommitment], n: int, threshold: int, context: bytes
) -> None:
    """All n trustees, numbered 1..n in order, each with valid proofs."""
    indices = [tc.index for tc in published]
    if indices != list(range(1, n + 1)):
        raise InvalidCeremony(f"expected trustees 1..{n} in order, got {indices}")
    for tc in published:
        verify_commitment(tc, threshold, context)


def expected_share_point(tc: TrusteeCommitment, recipient: int) -> Point:
    """``sum_k j^k * C_ik``: what ``P_i(j)*G`` must equal."""
    return point_sum([pow(recipient, k, L) * C for k, C in enumerate(tc.commitments)])


def check_share(tc: TrusteeCommitment, recipient: int, share: int) -> None:
    """Raise :class:`InvalidShare` (the complaint) if ``P_i(j)`` is wrong."""
    if not 0 <= share < L or base_mul(share) != expected_share_point(tc, recipient):
        raise InvalidShare(
            f"the share trustee {tc.index} sent to trustee {recipient} does not match "
            f"trustee {tc.index}'s published commitments",
            sender=tc.index,
            recipient=recipient,
        )


def joint_key(published: Sequence[TrusteeCommitment]) -> Point:
    """``K_joint = sum_i C_i0``."""
    return point_sum([tc.commitments[0] for tc in published])


def public_share(published: Sequence[TrusteeCommitment], trustee: int) -> Point:
    """``X_j``: computable by anyone from the commitments."""
    return point_sum([expected_share_point(tc, trustee) for tc in published])


def secret_share(received: Sequence[int]) -> int:
    """``x_j = sum_i P_i(j)``: done by trustee ``j`` alone, offline."""
    return sum(received) % L


def commitments_hash(published: Sequence[TrusteeCommitment]) -> bytes:
    """``HB("piaojue/v1/commitments", C_10, ..., C_n(t-1))`` in order of i, then k."""
    ordered = sorted(published, key=lambda tc: tc.index)
    return HB("piaojue/v1/commitments", *[C for tc in ordered for C in tc.commitments])
