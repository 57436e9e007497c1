"""Counting attempts in the database, so limits hold across server workers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ballot.models import RateEvent


def exceeded(session: Session, bucket: str, key: str, limit: int, window: dt.timedelta,
             now: dt.datetime | None = None) -> bool:
    """Has ``key`` made ``limit`` counted attempts within ``window``?"""
    now = now or dt.datetime.now(dt.UTC)
    used = session.scalar(select(func.count()).select_from(RateEvent).where(
        RateEvent.bucket == bucket, RateEvent.key == key, RateEvent.at >= now - window)) or 0
    return used >= limit


def record(session: Session, bucket: str, key: str, now: dt.datetime | None = None) -> None:
    """Count one attempt (and forget those older than a day)."""
    now = now or dt.datetime.now(dt.UTC)
    session.execute(delete(RateEvent).where(RateEvent.at < now - dt.timedelta(days=1)))
    session.add(RateEvent(bucket=bucket, key=key, at=now))
    session.flush()
