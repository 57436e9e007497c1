"""Issuing and voiding credentials: only public keys ever reach the server.

Codes are made either offline by the credential authority (``piaojue
credentials generate``) or by the slip printer, which forgets them once the
slips are made; either way this module sees the derived public keys only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballot.errors import Conflict, InvalidInput, NotFound
from ballot.labels import label
from ballot.models import BoardEntry, Credential, CredentialStatus, Round, RoundState
from ballot.services import board
from ballot.services.rounds import freeze, issued_count, present_count
from crypto.canonical import hex_bytes
from crypto.credentials import (
    check_ed25519_public_key,
    derive_credential_key,
    generate_code,
    public_key_bytes,
)
from crypto.errors import CryptoError
from crypto.rng import SYSTEM_RANDOMNESS, Randomness

MAX_BATCH = 5000
KEYS_FORMAT = "piaojue-credential-keys/1"
"""The file of public keys that slips made offline (``piaojue credentials generate``)
hand to the server; their codes never leave the machine that made them."""


@dataclass(frozen=True)
class Slip:
    """A printed credential: the code is shown once and never stored."""

    code: str
    public_key: str


def make_slips(election_id: str, round_id: str, count: int,
               rng: Randomness = SYSTEM_RANDOMNESS) -> list[Slip]:
    """Generate codes and their public keys (offline, or in the slip printer)."""
    if not 1 <= count <= MAX_BATCH:
        raise InvalidInput("make between 1 and %(most)s slips at a time", most=MAX_BATCH)
    slips = []
    for _ in range(count):
        code = generate_code(rng)
        key = derive_credential_key(code, election_id, round_id)
        slips.append(Slip(code, public_key_bytes(key).hex()))
    return slips


def keys_document(election_id: str, round_id: str, public_keys: Sequence[str]) -> dict[str, Any]:
    """The credential keys file of a batch of slips, to upload to the round it names."""
    return {"format": KEYS_FORMAT, "election_id": election_id, "round_id": round_id,
            "keys": list(public_keys)}


def keys_in_document(doc: Any, round_: Round) -> list[str]:
    """The public keys of a credential keys file, if it was made for this round.

    The web upload and ``piaojue credentials upload`` both read the file here, so a
    keys file for another round is refused the same way by both, before any key is
    issued; the keys themselves are checked by ``issue``.
    """
    if not isinstance(doc, dict) or doc.get("format") != KEYS_FORMAT:
        raise InvalidInput("not a credential keys file (%(format)s)", format=KEYS_FORMAT)
    made_for = (doc.get("election_id"), doc.get("round_id"))
    if made_for != (round_.election_id, round_.round_id):
        raise InvalidInput("these keys are for %(made_for)s, not %(round)s",
                           made_for="/".join(str(part) for part in made_for),
                           round=f"{round_.election_id}/{round_.round_id}")
    keys = doc.get("keys")
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise InvalidInput("the credential keys file has no list of public keys")
    return keys


def issue(session: Session, round_: Round, public_keys: Sequence[str]) -> BoardEntry:
    """Post a ``credentials`` entry; never more live credentials than deputies present."""
    if round_.state not in (RoundState.draft, RoundState.open):
        raise Conflict("round %(round_id)s is %(state)s: no more credentials",
                       round_id=round_.round_id, state=label(round_.state))
    if not 1 <= len(public_keys) <= MAX_BATCH:
        raise InvalidInput("issue between 1 and %(most)s credentials at a time",
                           most=MAX_BATCH)
    keys = []
    for i, value in enumerate(public_keys, 1):
        try:
            key = hex_bytes(value, 32, f"public key {i}")
            check_ed25519_public_key(key, f"public key {i}")
            keys.append(key.hex())
        except CryptoError as exc:
            raise InvalidInput("%(reason)s", reason=exc) from None
    if len(set(keys)) != len(keys):
        raise InvalidInput("the batch lists a public key twice")
    freeze(session, round_)
    board.lock_head(session, round_)
    known = set(session.scalars(select(Credential.public_key).where(
        Credential.round_pk == round_.id, Credential.public_key.in_(keys))))
    if known:
        raise Conflict("%(known_count)s of these keys were issued already", known_count=len(known))
    live, present = issued_count(session, round_), present_count(session, round_)
    if live + len(keys) > present:
        raise Conflict("%(live)s credentials are live and %(present)s deputies present: issuing "
                       "%(keys_count)s more would exceed those present", live=live, present=present,
                       keys_count=len(keys))
    # Sorted by their bytes (PROTOCOL.md §6): the entry's order says nothing about
    # which printed slip, numbered in the order it was made, carries which key.
    keys.sort()
    entry = board.append(session, round_, {"type": "credentials", "keys": keys})
    session.add_all(Credential(round_pk=round_.id, public_key=k) for k in keys)
    session.flush()
    return entry


@dataclass(frozen=True)
class SlipCounts:
    """Every slip of a round, accounted for: printed (or made offline and uploaded) =
    voided + handed out; handed out = cast + unused. Shown beside the round's
    reconciliation, so a slip cast for a deputy who did not vote would have to be one
    the credential authority handed to someone present."""

    printed: int
    voided: int
    cast: int

    @property
    def handed_out(self) -> int:
        return self.printed - self.voided

    @property
    def unused(self) -> int:
        return self.handed_out - self.cast


def slip_counts(session: Session, round_: Round) -> SlipCounts:
    by_status: dict[CredentialStatus, int] = {
        status: count for status, count in session.execute(
            select(Credential.status, func.count()).where(Credential.round_pk == round_.id)
            .group_by(Credential.status))}
    return SlipCounts(printed=sum(by_status.values()),
                      voided=by_status.get(CredentialStatus.voided, 0),
                      cast=by_status.get(CredentialStatus.used, 0))


def made_count(session: Session, round_: Round) -> int:
    """Keys issued so far in this round, voided ones included: the next slip is numbered one more.

    The number is printed on the slip and its counterfoil only; the server
    keeps no table from numbers to keys.
    """
    return session.scalar(select(func.count()).select_from(Credential).where(
        Credential.round_pk == round_.id)) or 0


COUNTERFOIL_HEX = 16
"""Hex digits of the public key printed on a slip's counterfoil (64 bits: never ambiguous)."""


def counterfoil_tag(public_key: str) -> str:
    """The key's first 16 hex digits, grouped: what the clerk's counterfoil shows."""
    head = public_key[:COUNTERFOIL_HEX]
    return " ".join(head[i:i + 4] for i in range(0, COUNTERFOIL_HEX, 4))


def resolve_key(session: Session, round_: Round, given: str) -> str:
    """A whole public key, or the counterfoil's tag of one issued in this round.

    Spaces and dashes are ignored and case does not matter, so the tag can be
    typed as printed. A tag matches one key or none: 64 bits do not collide.
    """
    text = "".join(ch for ch in given.strip().lower() if ch not in " -")
    if not text or any(ch not in "0123456789abcdef" for ch in text):
        raise InvalidInput("give the public key or the 16-digit key tag on the slip's "
                           "counterfoil (digits 0-9 and letters a-f)")
    if len(text) == 64:
        return text
    if len(text) != COUNTERFOIL_HEX:
        raise InvalidInput("a counterfoil's key tag has %(digits)s digits; "
                           "%(text_count)s were given", digits=COUNTERFOIL_HEX,
                           text_count=len(text))
    found = list(session.scalars(select(Credential.public_key).where(
        Credential.round_pk == round_.id, Credential.public_key.startswith(text))))
    if len(found) != 1:
        raise NotFound("no credential with this key tag was issued in this round")
    return found[0]


def void(session: Session, round_: Round, public_key: str) -> BoardEntry:
    """Strike off an issued, unused key (a lost slip), publicly."""
    if round_.state not in (RoundState.draft, RoundState.open):
        raise Conflict("round %(round_id)s is %(state)s", round_id=round_.round_id,
                       state=label(round_.state))
    try:
        key = hex_bytes(public_key, 32, "public key").hex()
    except CryptoError as exc:
        raise InvalidInput("%(reason)s", reason=exc) from None
    if round_.manifest_json is None:
        raise NotFound("no credential with this public key was issued in this round")
    board.lock_head(session, round_)
    credential = session.scalar(select(Credential).where(
        Credential.round_pk == round_.id, Credential.public_key == key).with_for_update())
    if credential is None:
        raise NotFound("no credential with this public key was issued in this round")
    if credential.status != CredentialStatus.issued:
        raise Conflict("this credential is %(status)s and cannot be voided",
                       status=label(credential.status))
    credential.status = CredentialStatus.voided
    return board.append(session, round_, {"type": "void", "key": key})
