"""The server's side of the key ceremony: it relays and checks, and never learns a secret.

Trustees run ``piaojue trustee ...`` on their own machines (ballot.trustee)
and hand the server public files only: a transport key, commitments with
proofs, shares sealed to each recipient, and a verification statement that
either accepts every share or names the sender it complains about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.errors import Conflict, InvalidInput, Message
from ballot.models import CeremonyShare, Election, ElectionState, Trustee
from crypto.canonical import hex_bytes
from crypto.ceremony import (
    TrusteeCommitment,
    commitments_hash,
    election_context,
    joint_key,
    public_share,
    verify_commitment,
)
from crypto.errors import CryptoError
from crypto.transport import SEALED_SHARE_BYTES, check_transport_key

CEREMONY_FORMAT = "piaojue-ceremony/1"
FILE_FORMATS = ("piaojue-transport/1", "piaojue-commitment/1", "piaojue-shares/1",
                "piaojue-verification/1")


def published_commitments(election: Election) -> list[TrusteeCommitment]:
    return [TrusteeCommitment.from_json(t.commitment) for t in election.trustees
            if t.commitment is not None]


def stopped_by(election: Election) -> Trustee | None:
    return next((t for t in election.trustees if t.complaint_against is not None), None)


def _shares(session: Session, election: Election) -> list[CeremonyShare]:
    return list(session.scalars(select(CeremonyShare).where(
        CeremonyShare.election_id == election.id).order_by(CeremonyShare.sender,
                                                           CeremonyShare.recipient)))


def ceremony_document(session: Session, election: Election) -> dict[str, Any]:
    """What every trustee downloads: the public state of the ceremony."""
    return {
        "format": CEREMONY_FORMAT,
        "election_id": election.id,
        "n": election.trustees_n,
        "threshold": election.threshold,
        "trustees": [
            {"index": t.index, "name": t.name, "transport_key": t.transport_key,
             "commitment": t.commitment, "verified": t.verified,
             "complaint_against": t.complaint_against}
            for t in election.trustees
        ],
        "shares": [{"sender": s.sender, "recipient": s.recipient, "sealed": s.sealed}
                   for s in _shares(session, election)],
        "joint_key": election.joint_key,
    }


def _trustee(election: Election, index: Any) -> Trustee:
    if not isinstance(index, int) or isinstance(index, bool) \
            or not 1 <= index <= election.trustees_n:
        raise InvalidInput("trustee index must be between 1 and %(trustees_n)s",
                           trustees_n=election.trustees_n)
    return election.trustees[index - 1]


def _check_open(election: Election) -> None:
    complainer = stopped_by(election)
    if complainer is not None:
        raise Conflict("the key ceremony stopped: trustee %(complainer_index)s "
                       "(%(complainer_name)s) complained that trustee %(complaint_against)s's "
                       "share does not match its commitments", complainer_index=complainer.index,
                       complainer_name=complainer.name,
                       complaint_against=complainer.complaint_against)
    if election.state == ElectionState.ready:
        raise Conflict("the key ceremony is finished; the joint key is set")
    if election.state == ElectionState.draft or election.state == \
            ElectionState.candidates_adopted:
        election.state = ElectionState.key_ceremony


@dataclass(frozen=True)
class CeremonyStep:
    """What one trustee file did: the words for it, and whether it was a complaint.

    A complaint is stored (the ceremony stops, and the complaint must be
    published), so it is a result to commit, not an error to roll back; the web
    and the CLI show it as a warning.
    """

    message: Message
    complaint: bool = False
    complete: bool = False

    def __str__(self) -> str:
        return str(self.message)


def import_trustee_file(session: Session, election: Election, doc: Any) -> CeremonyStep:
    """Take one file a trustee produced; say what happened."""
    if not isinstance(doc, dict) or doc.get("format") not in FILE_FORMATS:
        raise InvalidInput("not a trustee file (format must be one of %(formats)s)",
                           formats=', '.join(FILE_FORMATS))
    if doc.get("election_id") != election.id:
        raise InvalidInput("this file is for election %(election_id)r, not %(election)r",
                           election_id=doc.get('election_id'), election=election.id)
    _check_open(election)
    handler = {
        "piaojue-transport/1": _import_transport,
        "piaojue-commitment/1": _import_commitment,
        "piaojue-shares/1": _import_shares,
        "piaojue-verification/1": _import_verification,
    }[doc["format"]]
    step = handler(session, election, doc)
    session.flush()
    return step


def _import_transport(session: Session, election: Election, doc: dict[str, Any]) -> CeremonyStep:
    trustee = _trustee(election, doc.get("index"))
    try:
        key = hex_bytes(doc.get("transport_key"), 32, "transport_key")
        check_transport_key(key)
    except CryptoError as exc:
        raise InvalidInput("%(reason)s", reason=exc) from None
    if trustee.transport_key is not None:
        raise Conflict("trustee %(trustee_index)s has registered a transport key already",
                       trustee_index=trustee.index)
    trustee.transport_key = key.hex()
    return CeremonyStep(Message("trustee %(index)s (%(name)s): transport key registered",
                                index=trustee.index, name=trustee.name))


def _import_commitment(session: Session, election: Election, doc: dict[str, Any]) -> CeremonyStep:
    try:
        tc = TrusteeCommitment.from_json(doc.get("commitment"))
    except CryptoError as exc:
        raise InvalidInput("commitment file: %(exc)s", exc=exc) from None
    trustee = _trustee(election, tc.index)
    if trustee.transport_key is None:
        raise Conflict("trustee %(tc_index)s must register a transport key first",
                       tc_index=tc.index)
    if trustee.commitment is not None:
        raise Conflict("trustee %(tc_index)s has published commitments already", tc_index=tc.index)
    context = election_context(election.id, election.trustees_n, election.threshold)
    try:
        verify_commitment(tc, election.threshold, context)
    except CryptoError as exc:
        raise InvalidInput("%(reason)s", reason=exc) from None
    trustee.commitment = tc.to_json()
    return CeremonyStep(Message("trustee %(index)s (%(name)s): commitments and proofs verified",
                                index=tc.index, name=trustee.name))


def _import_shares(session: Session, election: Election, doc: dict[str, Any]) -> CeremonyStep:
    trustee = _trustee(election, doc.get("sender"))
    missing = [t.index for t in election.trustees if t.commitment is None]
    if missing:
        raise Conflict("shares are sent once every trustee has committed; waiting for %(missing)s",
                       missing=', '.join(map(str, missing)))
    shares = doc.get("shares")
    recipients = [s.get("recipient") for s in shares if isinstance(s, dict)] \
        if isinstance(shares, list) else []
    numbers = [r for r in recipients if type(r) is int]
    if (not isinstance(shares, list) or len(numbers) != len(shares)
            or sorted(numbers) != list(range(1, election.trustees_n + 1))):
        raise InvalidInput("trustee %(trustee_index)s must send exactly one share to each of "
                           "trustees 1..%(trustees_n)s", trustee_index=trustee.index,
                           trustees_n=election.trustees_n)
    if session.scalar(select(CeremonyShare).where(CeremonyShare.election_id == election.id,
                                                  CeremonyShare.sender == trustee.index)):
        raise Conflict("trustee %(trustee_index)s has sent its shares already",
                       trustee_index=trustee.index)
    sealed = {}
    for share in shares:  # every share checked before any is stored
        try:
            sealed[share["recipient"]] = hex_bytes(share.get("sealed"), SEALED_SHARE_BYTES,
                                                   "sealed share")
        except CryptoError as exc:
            raise InvalidInput("share for trustee %(recipient)s: %(exc)s",
                               recipient=share.get('recipient'), exc=exc) from None
    session.add_all(CeremonyShare(election_id=election.id, sender=trustee.index, recipient=j,
                                  sealed=data.hex()) for j, data in sorted(sealed.items()))
    return CeremonyStep(Message("trustee %(index)s (%(name)s): %(count)s sealed shares relayed",
                                index=trustee.index, name=trustee.name, count=len(shares)))


def _import_verification(session: Session, election: Election, doc: dict[str, Any]) -> CeremonyStep:
    trustee = _trustee(election, doc.get("index"))
    received = [s for s in _shares(session, election) if s.recipient == trustee.index]
    if len(received) != election.trustees_n:
        raise Conflict("trustee %(trustee_index)s cannot verify before every trustee has sent "
                       "its shares", trustee_index=trustee.index)
    complaints = doc.get("complaints")
    if not isinstance(complaints, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= election.trustees_n
            for c in complaints):
        raise InvalidInput("complaints must be a list of trustee indices")
    if complaints:
        trustee.complaint_against = complaints[0]
        sender = election.trustees[complaints[0] - 1]
        return CeremonyStep(Message(
            "complaint: trustee %(index)s (%(name)s) says the share from trustee %(sender)s "
            "(%(sender_name)s) does not match its commitments; the ceremony is stopped",
            index=trustee.index, name=trustee.name, sender=sender.index,
            sender_name=sender.name), complaint=True)
    published = published_commitments(election)
    expected = public_share(published, trustee.index).hex()
    if doc.get("public_share") != expected:
        raise InvalidInput("trustee %(trustee_index)s's public share does not follow from the "
                           "published commitments", trustee_index=trustee.index)
    trustee.verified = True
    if all(t.verified for t in election.trustees):
        election.joint_key = joint_key(published).hex()
        election.commitments_hash = commitments_hash(published).hex()
        election.state = ElectionState.ready
        return CeremonyStep(Message(
            "trustee %(index)s (%(name)s) verified its shares; the ceremony is complete, "
            "joint key %(key)s…", index=trustee.index, name=trustee.name,
            key=election.joint_key[:16]), complete=True)
    return CeremonyStep(Message("trustee %(index)s (%(name)s) verified its shares",
                                index=trustee.index, name=trustee.name))
