"""Creating an election and reading it back."""

from __future__ import annotations

import re

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.candidate_ratio import check_ratio
from ballot.errors import Conflict, InvalidInput, NotFound
from ballot.models import DEFAULT_CATEGORIES, Election, ElectionState, Trustee
from crypto.at_rest import AtRestKey
from crypto.ceremony import MAX_TRUSTEES
from crypto.receipts import new_receipt_key, receipt_public_key
from crypto.rng import SYSTEM_RANDOMNESS, Randomness

LEVELS = ("township", "county", "city")
_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,62}\Z")


def create_election(
    session: Session,
    *,
    election_id: str,
    congress_name: str,
    level: str,
    year: int,
    trustee_names: list[str],
    threshold: int,
    at_rest: AtRestKey,
    quorum: tuple[int, int] = (2, 3),
    candidate_ratio: tuple[tuple[int, int], tuple[int, int]] = ((1, 5), (1, 2)),
    categories: list[str] | None = None,
    rng: Randomness = SYSTEM_RANDOMNESS,
) -> Election:
    """A draft election with its trustees and a fresh receipt key, sealed at rest."""
    if not _ID.match(election_id):
        raise InvalidInput("the election id uses lower-case letters, digits and '-' "
                           "(2 to 63 characters)")
    if session.get(Election, election_id) is not None:
        raise Conflict("an election %(election_id)r exists already", election_id=election_id)
    if not congress_name.strip() or len(congress_name.strip()) > 200:
        raise InvalidInput("the congress name is required, at most 200 characters")
    if level not in LEVELS:
        raise InvalidInput("the level must be one of %(levels)s", levels=', '.join(LEVELS))
    if not 2000 <= year <= 2100:
        raise InvalidInput("the year must be between 2000 and 2100")
    names = [n.strip() for n in trustee_names]
    if not 1 <= len(names) <= MAX_TRUSTEES or not all(names):
        raise InvalidInput("name between 1 and %(max_trustees)s trustees, none blank",
                           max_trustees=MAX_TRUSTEES)
    if any(len(n) > 100 for n in names):
        raise InvalidInput("a trustee's name has at most 100 characters")
    if not 1 <= threshold <= len(names):
        raise InvalidInput("the threshold must be between 1 and %(names_count)s trustees",
                           names_count=len(names))
    num, den = quorum
    if not 0 < num <= den:
        raise InvalidInput("the quorum must be a fraction between 0 and 1")
    check_ratio(*candidate_ratio)
    (lo_n, lo_d), (hi_n, hi_d) = candidate_ratio
    chosen = [c.strip() for c in (categories or DEFAULT_CATEGORIES) if c.strip()]
    if not chosen or len(set(chosen)) != len(chosen) or any(len(c) > 50 for c in chosen):
        raise InvalidInput("categories are distinct names of at most 50 characters")
    key = new_receipt_key(rng)
    election = Election(
        id=election_id, congress_name=congress_name.strip(), level=level, year=year,
        trustees_n=len(names), threshold=threshold, quorum_num=num, quorum_den=den,
        candidate_ratio=[[lo_n, lo_d], [hi_n, hi_d]], categories=chosen,
        state=ElectionState.draft,
        receipt_public_key=receipt_public_key(key).hex(),
        receipt_private_sealed=at_rest.seal(key.private_bytes_raw(),
                                            f"receipt key of {election_id}", rng),
    )
    session.add(election)
    for index, name in enumerate(names, 1):
        session.add(Trustee(election_id=election_id, index=index, name=name))
    session.flush()
    return election


def get_election(session: Session, election_id: str) -> Election:
    election = session.get(Election, election_id)
    if election is None:
        raise NotFound("there is no election %(election_id)r", election_id=election_id)
    return election


def list_elections(session: Session) -> list[Election]:
    return list(session.scalars(select(Election).order_by(Election.created)))


def receipt_signing_key(election: Election, at_rest: AtRestKey) -> Ed25519PrivateKey:
    raw = at_rest.open(election.receipt_private_sealed, f"receipt key of {election.id}")
    return Ed25519PrivateKey.from_private_bytes(raw)
