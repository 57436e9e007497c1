"""Issuing and voiding credentials: only public keys ever reach the server.

Codes are made either offline by the credential authority (``piaojue
credentials generate``) or by the slip printer, which forgets them once the
slips are made; either way this module sees the derived public keys only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballot.errors import Conflict, InvalidInput, NotFound
from ballot.models import BoardEntry, Credential, CredentialStatus, Round, RoundState
from ballot.services import board
from ballot.services.rounds import freeze, present_count
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


@dataclass(frozen=True)
class Slip:
    """A printed credential: the code is shown once and never stored."""

    code: str
    public_key: str


def make_slips(election_id: str, round_id: str, count: int,
               rng: Randomness = SYSTEM_RANDOMNESS) -> list[Slip]:
    """Generate codes and their public keys (offline, or in the slip printer)."""
    if not 1 <= count <= MAX_BATCH:
        raise InvalidInput(f"make between 1 and {MAX_BATCH} slips at a time")
    slips = []
    for _ in range(count):
        code = generate_code(rng)
        key = derive_credential_key(code, election_id, round_id)
        slips.append(Slip(code, public_key_bytes(key).hex()))
    return slips


def issued_count(session: Session, round_: Round) -> int:
    """Keys issued less those voided: what reconciliation calls issued (发出)."""
    return session.scalar(select(func.count()).select_from(Credential).where(
        Credential.round_pk == round_.id,
        Credential.status != CredentialStatus.voided)) or 0


def issue(session: Session, round_: Round, public_keys: Sequence[str]) -> BoardEntry:
    """Post a ``credentials`` entry; never more live credentials than deputies present."""
    if round_.state not in (RoundState.draft, RoundState.open):
        raise Conflict(f"round {round_.round_id} is {round_.state.value}: no more credentials")
    if not 1 <= len(public_keys) <= MAX_BATCH:
        raise InvalidInput(f"issue between 1 and {MAX_BATCH} credentials at a time")
    keys = []
    for i, value in enumerate(public_keys, 1):
        try:
            key = hex_bytes(value, 32, f"public key {i}")
            check_ed25519_public_key(key, f"public key {i}")
            keys.append(key.hex())
        except CryptoError as exc:
            raise InvalidInput(str(exc)) from None
    if len(set(keys)) != len(keys):
        raise InvalidInput("the batch lists a public key twice")
    freeze(session, round_)
    board.lock_head(session, round_)
    known = set(session.scalars(select(Credential.public_key).where(
        Credential.round_pk == round_.id, Credential.public_key.in_(keys))))
    if known:
        raise Conflict(f"{len(known)} of these keys were issued already")
    live, present = issued_count(session, round_), present_count(session, round_)
    if live + len(keys) > present:
        raise Conflict(f"{live} credentials are live and {present} deputies present: "
                       f"issuing {len(keys)} more would exceed those present")
    entry = board.append(session, round_, {"type": "credentials", "keys": keys})
    first = next_serial(session, round_)
    session.add_all(Credential(round_pk=round_.id, public_key=k, serial=first + i)
                    for i, k in enumerate(keys))
    session.flush()
    return entry


def next_serial(session: Session, round_: Round) -> int:
    """The number the next slip of this round gets: slips are numbered 1, 2, … in issue order."""
    return (session.scalar(select(func.max(Credential.serial)).where(
        Credential.round_pk == round_.id)) or 0) + 1


def key_of_slip(session: Session, round_: Round, serial: int) -> str:
    key = session.scalar(select(Credential.public_key).where(
        Credential.round_pk == round_.id, Credential.serial == serial))
    if key is None:
        raise NotFound(f"no slip number {serial} was issued in this round")
    return key


def void(session: Session, round_: Round, public_key: str) -> BoardEntry:
    """Strike off an issued, unused key (a lost slip), publicly."""
    if round_.state not in (RoundState.draft, RoundState.open):
        raise Conflict(f"round {round_.round_id} is {round_.state.value}")
    try:
        key = hex_bytes(public_key, 32, "public key").hex()
    except CryptoError as exc:
        raise InvalidInput(str(exc)) from None
    if round_.manifest_json is None:
        raise NotFound("no credential with this public key was issued in this round")
    board.lock_head(session, round_)
    credential = session.scalar(select(Credential).where(
        Credential.round_pk == round_.id, Credential.public_key == key).with_for_update())
    if credential is None:
        raise NotFound("no credential with this public key was issued in this round")
    if credential.status != CredentialStatus.issued:
        raise Conflict(f"this credential is {credential.status.value} and cannot be voided")
    credential.status = CredentialStatus.voided
    return board.append(session, round_, {"type": "void", "key": key})
