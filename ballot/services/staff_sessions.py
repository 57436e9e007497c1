"""Staff sessions kept by the server, so that they can be ended.

A signed cookie alone stays valid until it expires, whoever holds a copy; here
the cookie holds a random token and the database the token's SHA-256 (never the
token itself), with when the session last did something. A request is a staff
member's only while that row exists, belongs to an active account and has not
been idle for ``IDLE_LIMIT``; logout deletes the row, a password change and
disabling the account delete all of that account's rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ballot.models import StaffSession, StaffUser

IDLE_LIMIT = dt.timedelta(minutes=30)
TOUCH_EVERY = dt.timedelta(minutes=1)
"""last_seen is written at most this often, not on every request."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite drops it


def start(session: Session, user: StaffUser, now: dt.datetime | None = None) -> str:
    """A new session for ``user``; the token to keep in the browser's cookie."""
    token = secrets.token_urlsafe(32)
    moment = _now(now)
    session.execute(delete(StaffSession).where(StaffSession.last_seen < moment - IDLE_LIMIT))
    session.add(StaffSession(token_hash=_hash(token), staff_id=user.id, started=moment,
                             last_seen=moment))
    session.flush()
    return token


def current_user(session: Session, token: str | None,
                 now: dt.datetime | None = None) -> StaffUser | None:
    """The active account whose live session ``token`` is, or None (and the idle
    session is ended)."""
    if not token:
        return None
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
    if row is None:
        return None
    moment = _now(now)
    if _aware(row.last_seen) < moment - IDLE_LIMIT:
        session.delete(row)
        session.flush()
        return None
    user = session.get(StaffUser, row.staff_id)
    if user is None or not user.active:
        return None
    if _aware(row.last_seen) < moment - TOUCH_EVERY:
        row.last_seen = moment
        session.flush()
    return user


def end(session: Session, token: str | None) -> None:
    """Log out: the token opens nothing any more."""
    if token:
        session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))


def end_all(session: Session, user: StaffUser) -> int:
    """End every session of ``user`` (password changed, account disabled); how many."""
    ended = session.execute(delete(StaffSession).where(StaffSession.staff_id == user.id))
    return int(getattr(ended, "rowcount", 0) or 0)
