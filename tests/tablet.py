"""The deputy's tablet in tests that cast through the services directly.

It does what the browser booth does, in Python: pin the round from its
published parameters (``public.pinned_round``), encrypt with ``crypto/``, sign
with the slip's code. Only the ballot, the public key and the signature go
to the cast service, as they would over the cast API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import object_session

from ballot.models import Round
from ballot.services.public import pinned_round
from crypto.cast import prepare_cast
from crypto.credentials import derive_credential_key, public_key_bytes, sign_cast
from crypto.encrypted_ballot import BallotOpening, Marks, ballot_digest, encrypt_ballot
from crypto.pinning import PinnedRound
from crypto.rng import SYSTEM_RANDOMNESS, Randomness

__all__ = ["Prepared", "encrypt_marks", "pinned", "prepare_cast", "sign_ballot",
           "sign_with_code"]


def pinned(round_: Round) -> PinnedRound:
    session = object_session(round_)
    assert session is not None, "the round must belong to an open session"
    return pinned_round(session, round_)


@dataclass(frozen=True)
class Prepared:
    """An encrypted ballot before it is signed: what the tablet shows the fingerprint of."""

    ballot: dict[str, Any]
    opening: BallotOpening
    digest: bytes


def encrypt_marks(round_: Round, marks: Marks, rng: Randomness = SYSTEM_RANDOMNESS) -> Prepared:
    view = pinned(round_)
    ballot, opening = encrypt_ballot(view.manifest, view.joint_key, view.context, marks, rng)
    ballot_json = ballot.to_json()
    return Prepared(ballot_json, opening, ballot_digest(view.context, ballot_json))


def sign_ballot(round_: Round, code: str, ballot: dict[str, Any]) -> tuple[str, str]:
    """``(credential public key, signature)`` as hex over the ballot's digest."""
    view = pinned(round_)
    manifest = view.manifest
    key = derive_credential_key(code, manifest.election_id, manifest.round_id)
    signature = sign_cast(key, view.context, ballot_digest(view.context, ballot))
    return public_key_bytes(key).hex(), signature.hex()


def sign_with_code(round_: Round, code: str, prepared: Prepared) -> tuple[str, str]:
    return sign_ballot(round_, code, prepared.ballot)
