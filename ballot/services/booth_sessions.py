"""A ballot in progress at a tablet: sealed server-side state behind a random token.

The deputy's code, marks and prepared ballot live here, sealed under the
instance's at-rest key, for the minutes between sign-in and cast; the row
is deleted when the ballot is cast or abandoned, or when it expires.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ballot.models import BoothSession, Round
from crypto.at_rest import AtRestKey
from crypto.canonical import canonical_json, parse_json
from crypto.errors import CryptoError

LIFETIME = dt.timedelta(minutes=20)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _label(row_id: int) -> str:
    return f"booth session {row_id}"


def start(session: Session, round_: Round, state: dict[str, Any], at_rest: AtRestKey) -> str:
    """Store the state; return the token for the tablet's cookie."""
    token = secrets.token_urlsafe(32)
    row = BoothSession(token_hash=_hash(token), round_pk=round_.id, sealed=b"",
                       expires=dt.datetime.now(dt.UTC) + LIFETIME)
    session.add(row)
    session.flush()
    row.sealed = at_rest.seal(canonical_json(state), _label(row.id))
    session.flush()
    return token


def load(session: Session, token: str | None, at_rest: AtRestKey
         ) -> tuple[BoothSession, dict[str, Any]] | None:
    if not token:
        return None
    session.execute(delete(BoothSession).where(BoothSession.expires < dt.datetime.now(dt.UTC)))
    row = session.scalar(select(BoothSession).where(BoothSession.token_hash == _hash(token)))
    if row is None:
        return None
    try:
        return row, parse_json(at_rest.open(row.sealed, _label(row.id)))
    except CryptoError:
        session.delete(row)
        return None


def save(session: Session, row: BoothSession, state: dict[str, Any], at_rest: AtRestKey) -> None:
    row.sealed = at_rest.seal(canonical_json(state), _label(row.id))
    row.expires = dt.datetime.now(dt.UTC) + LIFETIME
    session.flush()


def end(session: Session, row: BoothSession) -> None:
    session.delete(row)
    session.flush()
