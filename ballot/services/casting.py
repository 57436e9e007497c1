"""Casting and challenging ballots: all checks first, then one atomic append.

Everything that can refuse a ballot (shape, proofs, signature, credential)
is checked before anything is written; the board entry, the spent credential
and the receipt are written in the caller's one transaction. A crash before
its commit leaves no entry and an unspent credential; after it, the entry
and its receipt are both there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.errors import CastRefused, Conflict
from ballot.models import Credential, CredentialStatus, Receipt, Round, RoundState
from ballot.services import board
from ballot.services.elections import receipt_signing_key
from ballot.services.rounds import manifest_of
from crypto.at_rest import AtRestKey
from crypto.canonical import canonical_json, hex_bytes, parse_json
from crypto.credentials import verify_cast
from crypto.encrypted_ballot import (
    BallotOpening,
    EncryptedBallot,
    ballot_digest,
    check_opening,
    verify_ballot,
)
from crypto.errors import CryptoError
from crypto.group import Point
from crypto.receipts import make_receipt, sign_receipt

MAX_BALLOT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class CastReceipt:
    """What the deputy takes home: the receipt, its signature, and the ballot digest."""

    receipt: dict[str, Any]
    signature: str
    ballot_digest: str

    def to_json(self) -> dict[str, Any]:
        return {"receipt": self.receipt, "signature": self.signature}


def _open_round(round_: Round) -> None:
    if round_.state != RoundState.open:
        raise Conflict(f"round {round_.round_id} is not open for voting "
                       f"(it is {round_.state.value})")


def _parse_ballot(round_: Round, ballot: Any) -> tuple[dict[str, Any], EncryptedBallot, bytes]:
    if isinstance(ballot, bytes | str):
        if len(ballot) > MAX_BALLOT_BYTES:
            raise CastRefused("the ballot is larger than any ballot of this round can be")
        try:
            ballot = parse_json(ballot)
        except CryptoError as exc:
            raise CastRefused(f"the ballot is not valid JSON: {exc}") from None
    manifest = manifest_of(round_)
    joint_key = Point.from_bytes(bytes.fromhex(round_.election.joint_key or ""))
    context = bytes.fromhex(round_.context or "")
    try:
        parsed = EncryptedBallot.from_json(ballot, manifest)
        verify_ballot(parsed, manifest, joint_key, context)
    except CryptoError as exc:
        raise CastRefused(f"the ballot is refused: {exc}") from None
    return ballot, parsed, context


def cast(session: Session, round_: Round, ballot: Any, credential: str, signature: str,
         at_rest: AtRestKey) -> CastReceipt:
    """Check everything, then append the ballot and its receipt atomically."""
    _open_round(round_)
    ballot_json, _, context = _parse_ballot(round_, ballot)
    try:
        key = hex_bytes(credential, 32, "credential")
        sig = hex_bytes(signature, 64, "signature")
    except CryptoError as exc:
        raise CastRefused(str(exc)) from None
    digest = ballot_digest(context, ballot_json)
    try:
        verify_cast(key, sig, context, digest)
    except CryptoError as exc:
        raise CastRefused(f"{exc}: the credential code may have been mistyped") from None
    board.lock_head(session, round_)
    session.refresh(round_)
    _open_round(round_)
    row = session.scalar(select(Credential).where(
        Credential.round_pk == round_.id, Credential.public_key == key.hex()).with_for_update()
        .execution_options(populate_existing=True))
    if row is None:
        raise CastRefused("this credential was not issued for this round")
    if row.status == CredentialStatus.voided:
        raise CastRefused("this credential was voided (reported lost); ask the clerk for a "
                          "new slip")
    if row.status == CredentialStatus.used:
        raise CastRefused("this credential has already cast a ballot")
    row.status = CredentialStatus.used
    entry = board.append(session, round_, {"type": "cast", "ballot": ballot_json,
                                           "credential": key.hex(), "signature": sig.hex()})
    receipt = make_receipt(round_.election_id, round_.round_id, entry.index,
                           bytes.fromhex(entry.digest), bytes.fromhex(entry.hash))
    receipt_sig = sign_receipt(receipt_signing_key(round_.election, at_rest), receipt).hex()
    session.add(Receipt(round_pk=round_.id, index=entry.index,
                        receipt_json=canonical_json(receipt).decode("utf-8"),
                        signature=receipt_sig))
    session.flush()
    return CastReceipt(receipt, receipt_sig, digest.hex())


def spoil(session: Session, round_: Round, ballot: Any, plaintext: Any, nonces: Any) -> int:
    """Post a Benaloh-opened ballot; it is never counted and spends no credential."""
    _open_round(round_)
    ballot_json, parsed, _ = _parse_ballot(round_, ballot)
    manifest = manifest_of(round_)
    try:
        opening = BallotOpening.from_json(plaintext, nonces, manifest)
        check_opening(parsed, opening,
                      Point.from_bytes(bytes.fromhex(round_.election.joint_key or "")))
    except CryptoError as exc:
        raise CastRefused(f"the challenged ballot does not open: {exc}") from None
    board.lock_head(session, round_)
    entry = board.append(session, round_, {"type": "spoiled", "ballot": ballot_json,
                                           **opening.to_json()})
    return entry.index
