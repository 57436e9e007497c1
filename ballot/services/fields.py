"""Checking what people type into forms and files, with messages that name the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from ballot.errors import InvalidInput, Message
from ballot.tabular import has_control


def text(value: Any, field: Message, most: int, required: bool = True) -> str:
    """A field typed by a person: trimmed, bounded, free of control characters."""
    out = str(value or "").strip()
    if required and not out:
        raise InvalidInput("%(field)s is required", field=field)
    if len(out) > most:
        raise InvalidInput("%(field)s has at most %(most)s characters", field=field, most=most)
    if has_control(out):
        raise InvalidInput("%(field)s contains a control character", field=field)
    return out


def date(value: Any, field: Message, required: bool = True) -> dt.date | None:
    """A date typed as YYYY-MM-DD (what an HTML date input sends)."""
    raw = str(value or "").strip()
    if not raw:
        if required:
            raise InvalidInput("%(field)s is required (YYYY-MM-DD)", field=field)
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("%(field)s is not a date like 2026-06-30: %(raw)r", field=field,
                           raw=raw[:20]) from None


def cost(value: Any) -> Decimal | None:
    """A cost in 万元 as typed or imported (commas allowed), to the fen; empty is none."""
    raw = str(value or "").strip()
    if not raw:
        return None
    try:
        amount = Decimal(raw.replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise InvalidInput("cost %(cost)r is not a number (万元)", cost=raw[:20]) from None
    if not amount.is_finite():
        raise InvalidInput("cost %(cost)r is not a number (万元)", cost=raw[:20])
    # compared before rounding: quantize itself refuses numbers far out of range
    if amount < 0 or amount >= Decimal("1e12") or amount.quantize(Decimal("0.01")) >= Decimal(
            "1e12"):
        raise InvalidInput("cost %(cost)r is out of range", cost=raw[:20])
    return amount.quantize(Decimal("0.01"))


def fraction(value: Any, field: Message) -> tuple[int, int]:
    """A fraction typed as ``4/5`` (a form field or a CLI option alike); the caller's rule
    decides which fractions it accepts."""
    raw = str(value or "").strip()
    num, slash, den = raw.partition("/")
    if not slash or not num.strip().isdigit() or not den.strip().isdigit():
        raise InvalidInput("%(field)s is not a fraction such as 4/5: %(raw)r", field=field,
                           raw=raw[:20])
    return int(num), int(den)
