"""Counting attempts in the database, so limits hold across server workers.

An attempt is claimed before the work it limits (``attempt``): its row is
written and committed at once, then the window is counted with it. Every
worker sees every committed claim, so however many requests race, the last of
the allowed ones to count sees all the others: no more than ``limit`` get
through (a check before the work and a write after it let every racing request
through; ``tests/slow/test_rate_limits.py`` races real gunicorn workers on
PostgreSQL). An attempt that, in the end, does not count (a right password, a
usable code, where only failures count) is forgiven, which deletes its row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ballot.models import RateEvent


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
    event = RateEvent(bucket=bucket, key=key, at=now)
    session.add(event)
    session.commit()
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


def exceeded(session: Session, bucket: str, key: str, limit: int, window: dt.timedelta,
             now: dt.datetime | None = None) -> bool:
    """Has ``key`` used up ``limit`` within ``window``? (Reading only: for pages that show
    a limit, never to guard work, which ``attempt`` does.)"""
    now = now or dt.datetime.now(dt.UTC)
    used = session.scalar(select(func.count()).select_from(RateEvent).where(
        RateEvent.bucket == bucket, RateEvent.key == key, RateEvent.at >= now - window)) or 0
    return used >= limit
