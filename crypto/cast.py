"""The deputy's side of a cast (PROTOCOL.md §6, §7), wherever the deputy votes.

Encrypt the marks under a pinned round, sign the ballot with the key the
slip's code derives, and check the receipt that comes back. The tablet's
page does the same in ``booth/static/protocol/cast.js``; this module serves
the Python client (``booth/cast_client.py``), the rehearsal and the tests.
Nothing here runs on the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto.board import entry_digest
from crypto.canonical import hex_bytes
from crypto.credentials import derive_credential_key, public_key_bytes, sign_cast
from crypto.encrypted_ballot import BallotOpening, Marks, ballot_digest, encrypt_ballot
from crypto.errors import InvalidEncoding
from crypto.pinning import PinnedRound
from crypto.receipts import verify_receipt
from crypto.rng import SYSTEM_RANDOMNESS, Randomness


@dataclass(frozen=True)
class PreparedCast:
    """A request body ready to post, and what the deputy keeps to check the answer."""

    body: dict[str, Any]
    ballot_digest: bytes
    opening: BallotOpening

    @property
    def spoiled_entry(self) -> dict[str, Any]:
        """What a challenge of this ballot posts: the ballot with its opening."""
        return {"ballot": self.body["ballot"], **self.opening.to_json()}


def prepare_cast(round_: PinnedRound, code: str, marks: Marks,
                 rng: Randomness = SYSTEM_RANDOMNESS) -> PreparedCast:
    """Encrypt ``marks`` and sign the ballot with the credential the slip's ``code`` derives."""
    ballot, opening = encrypt_ballot(round_.manifest, round_.joint_key, round_.context, marks,
                                     rng)
    ballot_json = ballot.to_json()
    digest = ballot_digest(round_.context, ballot_json)
    manifest = round_.manifest
    key = derive_credential_key(code, manifest.election_id, manifest.round_id)
    signature = sign_cast(key, round_.context, digest)
    body = {"ballot": ballot_json, "credential": public_key_bytes(key).hex(),
            "signature": signature.hex()}
    return PreparedCast(body, digest, opening)


def check_cast_answer(round_: PinnedRound, prepared: PreparedCast, answer: Any) -> int:
    """Check a ``201``/``200`` answer: the receipt is signed by the manifest's receipt
    key, for this round, and its entry digest is that of exactly the signed ballot sent.
    Returns the board position; raises otherwise."""
    if not isinstance(answer, dict):
        raise InvalidEncoding("the answer must be a JSON object")
    receipt = answer.get("receipt")
    manifest = round_.manifest
    verify_receipt(receipt, hex_bytes(answer.get("signature"), 64, "signature"),
                   manifest.receipt_key)
    assert isinstance(receipt, dict)  # verify_receipt checked its shape
    if (receipt["election_id"], receipt["round_id"]) != (manifest.election_id,
                                                         manifest.round_id):
        raise InvalidEncoding("the receipt is for another round")
    entry = {"type": "cast", **prepared.body}
    if receipt["entry_digest"] != entry_digest(round_.context, entry).hex():
        raise InvalidEncoding("the receipt is for another board entry than the ballot sent")
    index: int = receipt["index"]
    return index
