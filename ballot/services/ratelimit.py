"""Counting attempts in the database, so limits hold across server workers.

An attempt is claimed before the work it limits (``attempt``): its row is
written and committed at once, then the window is counted with it. Every
worker sees every committed claim, so however many requests race, the last of
the allowed ones to count sees all the others: no more than ``limit`` get
through (a check before the work and a write after it let every racing request
through; ``tests/slow/test_rate_limits.py`` races real gunicorn workers on
PostgreSQL). An attempt that, in the end, does not count (a right password, a
usable code, where only failures count) is forgiven, which deletes its row.

A claim is *pending* until its request has ended (``settle``, which the web
shell calls after every request): a server killed mid-request leaves pending
claims behind, which count like any other until the server starts again and
``forget_unsettled`` drops them, so a crash does not lock honest tablets out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ballot.models import RateEvent

CLAIMS = "piaojue_rate_claims"
"""Where a session keeps the ids of the claims its request made."""


@dataclass(frozen=True)
class Attempt:
    """A claimed attempt: ``allowed`` unless the limit was already used up."""

    allowed: bool
    event_id: int | None = None


def attempt(session: Session, bucket: str, key: str, limit: int, window: dt.timedelta,
            now: dt.datetime | None = None) -> Attempt:
    """Claim one attempt of ``key`` against ``limit`` per ``window``; commits ``session``
    (call it before the request writes anything). A refused attempt leaves no row."""
    now = now or dt.datetime.now(dt.UTC)
    session.execute(delete(RateEvent).where(RateEvent.at < now - dt.timedelta(days=1)))
    event = RateEvent(bucket=bucket, key=key, at=now, pending=True)
    session.add(event)
    session.commit()
    session.info.setdefault(CLAIMS, []).append(event.id)
    used = session.scalar(select(func.count()).select_from(RateEvent).where(
        RateEvent.bucket == bucket, RateEvent.key == key, RateEvent.at >= now - window)) or 0
    if used > limit:
        forgive(session, Attempt(True, event.id))
        return Attempt(False)
    return Attempt(True, event.id)


def forgive(session: Session, claimed: Attempt) -> None:
    """The attempt does not count after all; commits ``session``."""
    if claimed.event_id is not None:
        session.execute(delete(RateEvent).where(RateEvent.id == claimed.event_id))
        session.commit()
        claims = session.info.get(CLAIMS, [])
        if claimed.event_id in claims:
            claims.remove(claimed.event_id)


def settle(session: Session) -> None:
    """The request that made this session's claims has ended: they stay counted."""
    claims = session.info.pop(CLAIMS, [])
    if claims:
        session.rollback()
        session.execute(update(RateEvent).where(RateEvent.id.in_(claims)).values(pending=False))
        session.commit()


def forget_unsettled(session: Session) -> int:
    """At start-up: drop the claims of requests a crash cut off (how many)."""
    dropped = session.execute(delete(RateEvent).where(RateEvent.pending.is_(True)))
    session.commit()
    return int(getattr(dropped, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Lockout:
    """A key that has used up its limit: who is locked out, and until when at the latest."""

    bucket: str
    key: str
    attempts: int
    until: dt.datetime

    def minutes_left(self, now: dt.datetime | None = None) -> int:
        left = self.until - (now or dt.datetime.now(dt.UTC))
        return max(1, -(-int(left.total_seconds()) // 60))


def lockouts(session: Session, bucket: str, limit: int, window: dt.timedelta,
             now: dt.datetime | None = None) -> list[Lockout]:
    """The keys of ``bucket`` locked out now (``limit`` attempts within ``window``): what
    a clerk is shown, to clear a tablet an honest deputy's typos locked."""
    now = now or dt.datetime.now(dt.UTC)
    rows = session.execute(
        select(RateEvent.key, func.count(), func.max(RateEvent.at))
        .where(RateEvent.bucket == bucket, RateEvent.at >= now - window)
        .group_by(RateEvent.key).having(func.count() >= limit).order_by(RateEvent.key))
    return [Lockout(bucket, key, count, _aware(last) + window) for key, count, last in rows]


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes for what was stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def clear(session: Session, bucket: str, key: str) -> int:
    """Forget every attempt of ``key`` in ``bucket`` (a clerk lifting a lockout); how many.
    Does not commit: the caller's request does."""
    cleared = session.execute(delete(RateEvent).where(RateEvent.bucket == bucket,
                                                      RateEvent.key == key))
    return int(getattr(cleared, "rowcount", 0) or 0)

