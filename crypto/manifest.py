"""The ballot definition of one round and the context ``Q`` it yields (§3, §9).

The manifest is validated once, when parsed, so the encryption and
verification code can trust its limits; its canonical JSON is what is hashed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from crypto.canonical import canonical_json, hex_bytes
from crypto.ceremony import check_trustee_counts
from crypto.credentials import check_ed25519_public_key
from crypto.errors import InvalidCeremony, InvalidEncoding, InvalidManifest
from crypto.group import Point
from crypto.hashing import HB

PROTOCOL = "piaojue/1"
SELECTION_OPTIONS = ("for", "against")
APPROVAL_OPTIONS = ("for",)
"""An approval-only selection ballot (赞成 or nothing): the shape peers are measured on."""
RATING_OPTIONS = ("satisfied", "basically_satisfied", "dissatisfied")
REQUIRED_FIELDS = (
    "protocol", "election_id", "round_id", "kind", "title", "rows", "options",
    "row_limits", "column_limits", "rule", "electorate", "trustees", "receipt_key",
)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _limits(value: Any, what: str, most: int) -> tuple[int, int]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(_is_int(v) for v in value)
        or not 0 <= value[0] <= value[1]
    ):
        raise InvalidManifest(f"{what} must be [min, max] with 0 <= min <= max")
    if value[0] > most:
        raise InvalidManifest(f"{what}: minimum {value[0]} can never be reached (at most {most})")
    return value[0], value[1]


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidManifest(f"{what} must be a non-empty string")
    return value


@dataclass(frozen=True)
class Manifest:
    """A parsed, validated manifest; ``data`` is the exact JSON object hashed."""

    data: dict[str, Any]
    election_id: str
    round_id: str
    kind: str
    row_ids: tuple[str, ...]
    options: tuple[str, ...]
    row_limits: tuple[int, int]
    column_limits: dict[str, tuple[int, int]]
    rule: dict[str, Any]
    enrolled: int
    trustees: int
    threshold: int
    receipt_key: bytes

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        if not isinstance(data, dict):
            raise InvalidManifest("the manifest must be a JSON object")
        missing = [f for f in REQUIRED_FIELDS if f not in data]
        if missing:
            raise InvalidManifest(f"the manifest lacks {', '.join(missing)}")
        if data["protocol"] != PROTOCOL:
            raise InvalidManifest(f"protocol must be {PROTOCOL!r}")
        election_id = _text(data["election_id"], "election_id")
        round_id = _text(data["round_id"], "round_id")
        _text(data["title"], "title")
        kind = data["kind"]
        if kind not in ("selection", "rating"):
            raise InvalidManifest("kind must be 'selection' or 'rating'")

        rows = data["rows"]
        if not isinstance(rows, list) or not rows:
            raise InvalidManifest("rows must be a non-empty list")
        row_ids = []
        for i, row in enumerate(rows, 1):
            if not isinstance(row, dict):
                raise InvalidManifest(f"row {i} must be an object with id and title")
            row_ids.append(_text(row.get("id"), f"row {i} id"))
            _text(row.get("title"), f"row {i} title")
        if len(set(row_ids)) != len(row_ids):
            raise InvalidManifest("row ids must be unique")

        options = data["options"]
        if (
            not isinstance(options, list)
            or not options
            or not all(isinstance(o, str) and o for o in options)
            or len(set(options)) != len(options)
        ):
            raise InvalidManifest("options must be a non-empty list of distinct strings")
        row_limits = _limits(data["row_limits"], "row_limits", len(options))
        if not isinstance(data["column_limits"], dict):
            raise InvalidManifest("column_limits must be an object {option: [min, max]}")
        column_limits = {}
        for option, limits in data["column_limits"].items():
            if option not in options:
                raise InvalidManifest(f"column_limits names {option!r}, which is not an option")
            column_limits[option] = _limits(limits, f"column_limits.{option}", len(rows))

        most = sum(column_limits[o][1] if o in column_limits else len(rows) for o in options)
        least = sum(column_limits[o][0] for o in column_limits)
        if row_limits[0] * len(rows) > most or least > min(row_limits[1], len(options)) * len(
                rows):
            raise InvalidManifest("no ballot can satisfy both the row and the column limits")
        rule = data["rule"]
        _check_rule(kind, rule, tuple(options), column_limits)

        electorate = data["electorate"]
        if not isinstance(electorate, dict) or not _is_int(electorate.get("enrolled")):
            raise InvalidManifest("electorate must be {enrolled: integer}")
        if electorate["enrolled"] < 1:
            raise InvalidManifest("electorate.enrolled must be at least 1")
        trustees = data["trustees"]
        if not isinstance(trustees, dict):
            raise InvalidManifest("trustees must be {n, threshold}")
        try:
            check_trustee_counts(trustees.get("n"), trustees.get("threshold"))
        except InvalidCeremony as exc:
            raise InvalidManifest(f"trustees: {exc}") from None
        try:
            receipt_key = hex_bytes(data["receipt_key"], 32, "receipt_key")
            check_ed25519_public_key(receipt_key, "receipt_key")
        except InvalidEncoding as exc:
            raise InvalidManifest(str(exc)) from None
        try:
            canonical_json(data)
        except InvalidEncoding as exc:
            raise InvalidManifest(f"the manifest has no canonical JSON form: {exc}") from None

        return cls(
            data=data,
            election_id=election_id,
            round_id=round_id,
            kind=kind,
            row_ids=tuple(row_ids),
            options=tuple(options),
            row_limits=row_limits,
            column_limits=column_limits,
            rule=rule,
            enrolled=electorate["enrolled"],
            trustees=trustees["n"],
            threshold=trustees["threshold"],
            receipt_key=receipt_key,
        )

    def canonical_bytes(self) -> bytes:
        return canonical_json(self.data)

    @property
    def hash(self) -> bytes:
        return HB("piaojue/v1/manifest", self.canonical_bytes())

    @property
    def row_needs_proof(self) -> bool:
        """A row limit the 0/1 cell proofs do not already imply needs its own proof."""
        lo, hi = self.row_limits
        return not (lo == 0 and hi >= len(self.options))

    def columns_needing_proof(self) -> dict[str, tuple[int, int]]:
        """Limited options in ballot order, less those the cell proofs imply."""
        return {
            option: self.column_limits[option]
            for option in self.options
            if option in self.column_limits
            and not (self.column_limits[option][0] == 0
                     and self.column_limits[option][1] >= len(self.row_ids))
        }


def _check_rule(
    kind: str, rule: Any, options: tuple[str, ...], column_limits: dict[str, tuple[int, int]]
) -> None:
    if not isinstance(rule, dict):
        raise InvalidManifest("rule must be an object")
    if kind == "selection":
        if rule.get("name") != "majority-top-k":
            raise InvalidManifest("a selection round uses the rule 'majority-top-k'")
        if options not in (SELECTION_OPTIONS, APPROVAL_OPTIONS):
            raise InvalidManifest(
                "a selection round has the options ['for', 'against'] (or ['for'] alone)")
        seats = rule.get("seats")
        if not _is_int(seats) or seats < 1:
            raise InvalidManifest("rule.seats must be a positive integer")
        if column_limits.get("for") != (0, seats):
            raise InvalidManifest(f"column_limits.for must be [0, {seats}], the number of seats")
        if rule.get("basis") not in ("enrolled", "cast"):
            raise InvalidManifest("rule.basis must be 'enrolled' or 'cast'")
    else:
        if rule.get("name") != "satisfaction":
            raise InvalidManifest("a rating round uses the rule 'satisfaction'")
        if options != RATING_OPTIONS:
            raise InvalidManifest(f"a rating round has the options {list(RATING_OPTIONS)}")
        threshold = rule.get("threshold")
        if (
            not isinstance(threshold, list)
            or len(threshold) != 2
            or not all(_is_int(v) for v in threshold)
            or not 0 <= threshold[0] <= threshold[1]
            or threshold[1] == 0
        ):
            raise InvalidManifest("rule.threshold must be [numerator, denominator], at most 1")


def round_context(manifest_hash: bytes, joint_key: Point, commitments_hash: bytes) -> bytes:
    """``Q``: binds every proof of the round to its manifest and its keys."""
    return HB("piaojue/v1/context", manifest_hash, joint_key, commitments_hash)
