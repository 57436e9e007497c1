"""What the booth does for a deputy: encrypt marks, and sign with the slip's code.

It runs where the deputy votes (the tablet's booth) and holds the code only
for the one ballot; the server-side cast service sees the ballot, the public
key and the signature, never the code or the marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ballot.models import Round
from ballot.services.rounds import manifest_of
from crypto.credentials import derive_credential_key, public_key_bytes, sign_cast
from crypto.encrypted_ballot import BallotOpening, Marks, ballot_digest, encrypt_ballot, fingerprint
from crypto.group import Point
from crypto.rng import SYSTEM_RANDOMNESS, Randomness


@dataclass(frozen=True)
class PreparedBallot:
    ballot: dict[str, Any]
    opening: BallotOpening
    digest: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.digest)


def encrypt_marks(round_: Round, marks: Marks, rng: Randomness = SYSTEM_RANDOMNESS
                  ) -> PreparedBallot:
    manifest = manifest_of(round_)
    context = bytes.fromhex(round_.context or "")
    joint_key = Point.from_bytes(bytes.fromhex(round_.election.joint_key or ""))
    ballot, opening = encrypt_ballot(manifest, joint_key, context, marks, rng)
    ballot_json = ballot.to_json()
    return PreparedBallot(ballot_json, opening, ballot_digest(context, ballot_json))


def sign_ballot(round_: Round, code: str, ballot: dict[str, Any]) -> tuple[str, str]:
    """``(credential public key, signature)`` as hex over the ballot's digest.

    The code is used for this one signature and then dropped.
    """
    context = bytes.fromhex(round_.context or "")
    key = derive_credential_key(code, round_.election_id, round_.round_id)
    signature = sign_cast(key, context, ballot_digest(context, ballot))
    return public_key_bytes(key).hex(), signature.hex()


def sign_with_code(round_: Round, code: str, prepared: PreparedBallot) -> tuple[str, str]:
    """:func:`sign_ballot` for a ballot just prepared."""
    return sign_ballot(round_, code, prepared.ballot)
