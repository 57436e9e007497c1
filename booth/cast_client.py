"""The tablet's side of the cast API (booth.api), for app authors to follow.

Everything here runs where the deputy votes and uses ``crypto/`` alone: read
the round's public parameters, encrypt the marks, sign with the slip's code,
and check the receipt that comes back. The load benchmark (bench/load.py)
and the server tests use it to cast real ballots over HTTP; no database and
no server code is involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto.board import entry_digest
from crypto.canonical import hex_bytes
from crypto.credentials import derive_credential_key, public_key_bytes, sign_cast
from crypto.encrypted_ballot import BallotOpening, Marks, ballot_digest, encrypt_ballot
from crypto.errors import InvalidEncoding
from crypto.group import Point
from crypto.manifest import Manifest
from crypto.receipts import verify_receipt
from crypto.rng import SYSTEM_RANDOMNESS, Randomness


@dataclass(frozen=True)
class RoundParameters:
    """What ``GET /api/rounds/<election>/<round>`` answers, parsed and checked."""

    election_id: str
    round_id: str
    state: str
    manifest: Manifest
    joint_key: Point
    context: bytes

    @classmethod
    def from_json(cls, doc: Any) -> RoundParameters:
        if not isinstance(doc, dict):
            raise InvalidEncoding("the round's parameters must be a JSON object")
        manifest = Manifest.from_json(doc.get("manifest"))
        if (manifest.election_id, manifest.round_id) != (doc.get("election_id"),
                                                         doc.get("round_id")):
            raise InvalidEncoding("the manifest is for another round")
        joint_key = Point.from_bytes(hex_bytes(doc.get("joint_key"), 32, "joint_key"))
        context = hex_bytes(doc.get("context"), 32, "context")
        return cls(manifest.election_id, manifest.round_id, str(doc.get("state")), manifest,
                   joint_key, context)


@dataclass(frozen=True)
class PreparedCast:
    """A request body ready to post, and what the deputy keeps to check the answer."""

    body: dict[str, Any]
    ballot_digest: bytes
    opening: BallotOpening


def prepare_cast(params: RoundParameters, code: str, marks: Marks,
                 rng: Randomness = SYSTEM_RANDOMNESS) -> PreparedCast:
    """Encrypt ``marks`` and sign the ballot with the credential the slip's ``code`` derives."""
    ballot, opening = encrypt_ballot(params.manifest, params.joint_key, params.context, marks,
                                     rng)
    ballot_json = ballot.to_json()
    digest = ballot_digest(params.context, ballot_json)
    key = derive_credential_key(code, params.election_id, params.round_id)
    signature = sign_cast(key, params.context, digest)
    body = {"ballot": ballot_json, "credential": public_key_bytes(key).hex(),
            "signature": signature.hex()}
    return PreparedCast(body, digest, opening)


def check_cast_answer(params: RoundParameters, prepared: PreparedCast, answer: Any) -> int:
    """Check a ``201``/``200`` answer: the receipt is signed by the manifest's receipt
    key, for this round, and its entry digest is that of exactly the signed ballot sent.
    Returns the board position; raises otherwise."""
    if not isinstance(answer, dict):
        raise InvalidEncoding("the answer must be a JSON object")
    receipt = answer.get("receipt")
    verify_receipt(receipt, hex_bytes(answer.get("signature"), 64, "signature"),
                   params.manifest.receipt_key)
    if (receipt["election_id"], receipt["round_id"]) != (params.election_id,
                                                         params.round_id):
        raise InvalidEncoding("the receipt is for another round")
    entry = {"type": "cast", **prepared.body}
    if receipt["entry_digest"] != entry_digest(params.context, entry).hex():
        raise InvalidEncoding("the receipt is for another board entry than the ballot sent")
    return receipt["index"]
