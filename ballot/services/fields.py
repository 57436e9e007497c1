"""Checking what people type into forms and files, with messages that name the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from ballot.errors import DomainError, InvalidInput, Message
from ballot.tabular import has_control

T = TypeVar("T")


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


def whole_number(value: Any, field: Message, *, low: int = 0, high: int | None = None) -> int:
    """A whole number typed into a form field or given on the command line, at least
    ``low`` and at most ``high`` (when given): digits only (no sign, no decimal point, no
    full-width digits), so ``"５"`` or ``"1e3"`` is refused by name rather than misread.
    The range here is the field's shape; the rule the number must meet stays in the
    service that takes it."""
    raw = str(value if value is not None else "").strip()
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None
    if number is None or number < low or (high is not None and number > high):
        if high is None:
            raise InvalidInput("%(field)s must be a whole number: %(raw)r", field=field,
                               raw=raw[:20])
        raise InvalidInput("%(field)s must be a whole number from %(low)s to %(high)s: %(raw)r",
                           field=field, low=low, high=high, raw=raw[:20])
    return number


def whole_number_or_none(value: Any) -> int | None:
    """A whole number a page sends back itself (the row id of a choice from a list, a page
    number), or ``None`` when the text is not one: the caller has the fallback (the service
    answers NotFound, named; the board shows its first page)."""
    raw = str(value if value is not None else "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def whole_numbers(values: Iterable[Any]) -> list[int]:
    """The row ids of the choices ticked in a list, leaving out any that is not one."""
    return [number for number in map(whole_number_or_none, values) if number is not None]


def about(key: str, parse: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``parse(*args, **kwargs)``, naming ``key`` as the field a refusal is about, so the
    form can show the message beside it and keep what was typed."""
    try:
        return parse(*args, **kwargs)
    except DomainError as exc:
        if exc.field is None:
            exc.field = key
        raise

