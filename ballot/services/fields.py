"""Checking what people type into forms and files, with messages that name the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ballot.errors import InvalidInput
from ballot.tabular import has_control


def text(value: Any, field: str, most: int, required: bool = True) -> str:
    """A field typed by a person: trimmed, bounded, free of control characters."""
    out = str(value or "").strip()
    if required and not out:
        raise InvalidInput(f"{field} is required")
    if len(out) > most:
        raise InvalidInput(f"{field} has at most {most} characters")
    if has_control(out):
        raise InvalidInput(f"{field} contains a control character")
    return out


def date(value: Any, field: str, required: bool = True) -> dt.date | None:
    """A date typed as YYYY-MM-DD (what an HTML date input sends)."""
    raw = str(value or "").strip()
    if not raw:
        if required:
            raise InvalidInput(f"{field} is required (YYYY-MM-DD)")
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{field} is not a date like 2026-06-30: {raw[:20]!r}") from None
