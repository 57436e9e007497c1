"""Canonical JSON (PROTOCOL.md §2) and the hex forms of points and scalars.

Records are hashed as canonical JSON bytes, so two encoders that disagree by
one space would make every digest differ. This module is the one encoder.
"""

from __future__ import annotations

import json
import re
from typing import Any

from crypto.errors import InvalidEncoding, InvalidPoint, InvalidScalar
from crypto.group import Point, scalar_from_bytes, scalar_to_bytes

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")


def _plain(value: Any, path: str) -> Any:
    """Convert to JSON-ready values, refusing what canonical JSON forbids."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise InvalidEncoding(f"{path or 'value'}: floating-point numbers are not allowed")
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, Point):
        return value.hex()
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidEncoding(f"{path or 'value'}: object keys must be strings")
            out[key] = _plain(item, f"{path}.{key}" if path else key)
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise InvalidEncoding(f"{path or 'value'}: {type(value).__name__} has no JSON form")


def canonical_json(value: Any) -> bytes:
    """UTF-8, sorted keys, no whitespace, no floats, bytes as lowercase hex."""
    try:
        return json.dumps(
            _plain(value, ""),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        ).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEncoding("text with an unpaired surrogate has no UTF-8 form") from None
    except ValueError as exc:  # e.g. an integer too long to print
        raise InvalidEncoding(f"no canonical JSON form: {exc}") from None


def _reject_float(text: str) -> None:
    raise InvalidEncoding(f"floating-point number {text!r} is not allowed")


MAX_INTEGER_DIGITS = 30
"""Protocol integers are counts and indices; 30 digits is far beyond any."""


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise InvalidEncoding(f"integer of {len(text)} digits is too large")
    return int(text)


def _reject_constant(text: str) -> None:
    raise InvalidEncoding(f"{text} is not allowed in JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InvalidEncoding(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_json(data: bytes | str) -> Any:
    """Parse JSON from outside: no floats, NaN or duplicate keys."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
        return json.loads(
            text,
            parse_float=_reject_float,
            parse_int=_bounded_int,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_keys,
        )
    except UnicodeDecodeError as exc:
        raise InvalidEncoding("JSON must be UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise InvalidEncoding(f"malformed JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError as exc:
        raise InvalidEncoding("JSON nested too deeply") from exc


def hex_bytes(value: Any, length: int, what: str) -> bytes:
    """Lowercase hex of exactly ``length`` bytes, or a named error."""
    if not isinstance(value, str):
        raise InvalidEncoding(f"{what}: expected a hex string")
    if len(value) != 2 * length or not re.fullmatch(r"[0-9a-f]*", value):
        raise InvalidEncoding(f"{what}: expected {2 * length} lowercase hex characters")
    return bytes.fromhex(value)


def point_from_hex(value: Any, what: str = "point") -> Point:
    if not isinstance(value, str) or not _HEX64.match(value):
        raise InvalidPoint(f"{what}: expected 64 lowercase hex characters")
    try:
        return Point.from_bytes(bytes.fromhex(value))
    except InvalidPoint as exc:
        raise InvalidPoint(f"{what}: {exc}") from None


def scalar_from_hex(value: Any, what: str = "scalar") -> int:
    if not isinstance(value, str) or not _HEX64.match(value):
        raise InvalidScalar(f"{what}: expected 64 lowercase hex characters")
    try:
        return scalar_from_bytes(bytes.fromhex(value))
    except InvalidScalar as exc:
        raise InvalidScalar(f"{what}: {exc}") from None


def scalar_hex(k: int) -> str:
    return scalar_to_bytes(k).hex()
