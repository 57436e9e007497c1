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

from ballot.errors import AlreadyCast, CastRefused, Conflict
from ballot.labels import label
from ballot.models import (
    BoardEntry,
    Credential,
    CredentialStatus,
    HeldChallenge,
    Receipt,
    Round,
    RoundState,
)
from ballot.services import board
from ballot.services.challenges import held_count
from ballot.services.elections import receipt_signing_key
from ballot.services.rounds import manifest_of
from crypto.at_rest import AtRestKey
from crypto.board import entry_digest
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
    """What the deputy takes home: the receipt, its signature, and the ballot digest.

    ``repeated`` is true when the very same signed ballot had already been cast
    (a client retrying after a lost response): the receipt is the stored one
    and nothing new was written.
    """

    receipt: dict[str, Any]
    signature: str
    ballot_digest: str
    repeated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"receipt": self.receipt, "signature": self.signature}


def _open_round(round_: Round) -> None:
    if round_.state != RoundState.open:
        raise Conflict("round %(round_id)s is not open for voting (it is %(state)s)",
                       round_id=round_.round_id, state=label(round_.state))


def _ballot_value(ballot: Any) -> Any:
    """The ballot as a JSON value (text is parsed, with a size cap); shape not yet checked."""
    if isinstance(ballot, bytes | str):
        if len(ballot) > MAX_BALLOT_BYTES:
            raise CastRefused("the ballot is larger than any ballot of this round can be")
        try:
            return parse_json(ballot)
        except CryptoError as exc:
            raise CastRefused("the ballot is not valid JSON: %(exc)s", exc=exc) from None
    return ballot


def _verified_ballot(round_: Round, ballot: Any) -> EncryptedBallot:
    """Shape, points and every proof: the expensive part of accepting a ballot."""
    manifest = manifest_of(round_)
    joint_key = Point.from_bytes(bytes.fromhex(round_.election.joint_key or ""))
    context = round_.context_bytes
    try:
        parsed = EncryptedBallot.from_json(ballot, manifest)
        verify_ballot(parsed, manifest, joint_key, context)
    except CryptoError as exc:
        raise CastRefused("the ballot is refused: %(exc)s", exc=exc) from None
    return parsed


def _parse_ballot(round_: Round, ballot: Any) -> tuple[Any, EncryptedBallot]:
    value = _ballot_value(ballot)
    return value, _verified_ballot(round_, value)


def _earlier_receipt(session: Session, round_: Round, entry: dict[str, Any]
                     ) -> CastReceipt | None:
    """The stored receipt when exactly this cast entry is already on the board."""
    digest = entry_digest(round_.context_bytes, entry).hex()
    found = session.scalar(select(BoardEntry).where(
        BoardEntry.round_pk == round_.id, BoardEntry.type == "cast",
        BoardEntry.digest == digest))
    if found is None:
        return None
    stored = session.scalar(select(Receipt).where(Receipt.round_pk == round_.id,
                                                  Receipt.index == found.index))
    if stored is None:  # cast entries and receipts are written together; never apart
        raise RuntimeError(f"board entry {found.index} has no receipt")
    return CastReceipt(parse_json(stored.receipt_json), stored.signature,
                       ballot_digest(round_.context_bytes,
                                     entry["ballot"]).hex(), repeated=True)


class CredentialUnusable(CastRefused):
    """A credential key that was not issued for this round, or was voided."""


def _refuse_unusable(row: Credential | None) -> None:
    """The one rule of which credentials can vote: issued in this round, not voided.

    A used one raises :class:`AlreadyCast`; the cast path first looks for a
    repeat of its own cast (a retry), which gets the stored receipt instead.
    """
    if row is None:
        raise CredentialUnusable("this credential was not issued for this round")
    if row.status == CredentialStatus.voided:
        raise CredentialUnusable("this credential was voided (reported lost); ask the clerk "
                                 "for a new slip")
    if row.status == CredentialStatus.used:
        raise AlreadyCast("this credential has already cast a ballot")


def check_usable(session: Session, round_: Round, credential: Any) -> None:
    """Can this public key (hex) still cast in this open round? Raises when it cannot.

    What the tablet asks after deriving the key from the typed code. An unknown or
    voided key raises :class:`CredentialUnusable` (a guess, as far as anyone can tell); a
    used one :class:`AlreadyCast` (a real slip whose ballot is on the public board: saying
    so tells nobody anything the board does not).
    """
    _open_round(round_)
    try:
        key = hex_bytes(credential, 32, "credential")
    except CryptoError as exc:
        raise CastRefused("%(reason)s", reason=exc) from None
    _refuse_unusable(_credential(session, round_, key, lock=False))


MOST_OTHER_ROUNDS = 10


def usable_elsewhere(session: Session, round_: Round, keys: Any) -> Round | None:
    """The other open round of the same election one of ``keys`` can vote in, if any.

    ``keys`` maps a round id to the public key the tablet derived from the typed code for
    that round (the key binds the round, so a slip for another round gives an unknown key
    here): a deputy at the wrong round's booth is told so, not counted as a guess.
    """
    if not isinstance(keys, dict) or len(keys) > MOST_OTHER_ROUNDS:
        return None
    for round_id, key in keys.items():
        if not isinstance(round_id, str) or round_id == round_.round_id:
            continue
        other = session.scalar(select(Round).where(Round.election_id == round_.election_id,
                                                   Round.round_id == round_id))
        if other is None or other.state != RoundState.open:
            continue
        try:
            check_usable(session, other, key)
        except CastRefused:
            continue
        return other
    return None


def _usable(session: Session, round_: Round, row: Credential | None, entry: dict[str, Any]
            ) -> CastReceipt | None:
    """Refuse an unusable credential; a repeat of its own cast gets the stored receipt."""
    if row is not None and row.status == CredentialStatus.used:
        earlier = _earlier_receipt(session, round_, entry)
        if earlier is not None:
            return earlier
    _refuse_unusable(row)
    return None


def cast(session: Session, round_: Round, ballot: Any, credential: str, signature: str,
         at_rest: AtRestKey) -> CastReceipt:
    """Check everything, then append the ballot and its receipt atomically.

    The cheap checks come first (the signature, then whether the credential
    can still vote), so the proofs, the expensive part, are only verified for
    a ballot signed by a credential that can still cast: a stranger without
    one cannot make the server do that work. Sending again the very same
    signed ballot returns its stored receipt and writes nothing.
    """
    _open_round(round_)
    ballot_json = _ballot_value(ballot)
    try:
        key = hex_bytes(credential, 32, "credential")
        sig = hex_bytes(signature, 64, "signature")
    except CryptoError as exc:
        raise CastRefused("%(reason)s", reason=exc) from None
    context = round_.context_bytes
    try:
        digest = ballot_digest(context, ballot_json)
    except CryptoError as exc:
        raise CastRefused("the ballot is refused: %(exc)s", exc=exc) from None
    try:
        verify_cast(key, sig, context, digest)
    except CryptoError as exc:
        raise CastRefused("%(exc)s: the credential code may have been mistyped", exc=exc) from None
    entry = {"type": "cast", "ballot": ballot_json, "credential": key.hex(),
             "signature": sig.hex()}
    found = _credential(session, round_, key, lock=False)
    earlier = _usable(session, round_, found, entry)
    if earlier is not None:
        return earlier
    _verified_ballot(round_, ballot_json)
    board.lock_head(session, round_)
    session.refresh(round_)
    _open_round(round_)
    row = _credential(session, round_, key, lock=True)
    earlier = _usable(session, round_, row, entry)  # another request may have won meanwhile
    if earlier is not None:
        return earlier
    assert row is not None  # _usable refuses an unknown credential
    row.status = CredentialStatus.used
    appended = board.append(session, round_, entry)
    receipt = make_receipt(round_.election_id, round_.round_id, appended.index,
                           bytes.fromhex(appended.digest), bytes.fromhex(appended.hash))
    receipt_sig = sign_receipt(receipt_signing_key(round_.election, at_rest), receipt).hex()
    session.add(Receipt(round_pk=round_.id, index=appended.index,
                        receipt_json=canonical_json(receipt).decode("utf-8"),
                        signature=receipt_sig))
    session.flush()
    return CastReceipt(receipt, receipt_sig, digest.hex())


def _credential(session: Session, round_: Round, key: bytes, *, lock: bool
                ) -> Credential | None:
    query = select(Credential).where(Credential.round_pk == round_.id,
                                     Credential.public_key == key.hex())
    if lock:
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


MAX_HELD_CHALLENGES = 2000
"""Challenges a round holds at most: far more than any congress makes, a bound on a flood."""


def hold_challenge(session: Session, round_: Round, ballot: Any, plaintext: Any, nonces: Any
                   ) -> HeldChallenge:
    """Check a Benaloh-opened ballot and hold it; the round's close publishes it.

    It is checked as the board entry it will become (every proof, and the
    opening re-encrypts to the ballot) and never counted; it spends no
    credential and names none, so nothing ties it to the deputy who made it.
    """
    _open_round(round_)
    ballot_json, parsed = _parse_ballot(round_, ballot)
    manifest = manifest_of(round_)
    try:
        opening = BallotOpening.from_json(plaintext, nonces, manifest)
        check_opening(parsed, opening,
                      Point.from_bytes(bytes.fromhex(round_.election.joint_key or "")))
    except CryptoError as exc:
        raise CastRefused("the challenged ballot does not open: %(exc)s", exc=exc) from None
    held = held_count(session, round_)
    if held >= MAX_HELD_CHALLENGES:
        raise Conflict("this round already holds %(held)s challenged ballots, the most it takes",
                       held=held)
    row = HeldChallenge(round_pk=round_.id, entry_json=canonical_json(
        {"type": "spoiled", "ballot": ballot_json, **opening.to_json()}).decode("utf-8"))
    session.add(row)
    session.flush()
    return row
