"""Seat and rating rules (PROTOCOL.md §10): pure functions of counts and manifest.

The verifier recomputes the published result with these same functions, so
they take only what the record holds and return plain JSON-ready values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crypto.manifest import Manifest

Counts = Sequence[Sequence[int]]


@dataclass(frozen=True)
class Reconciliation:
    """What paper voting declares as 发出 and 收回: enrolled >= present >= issued >= cast."""

    enrolled: int
    present: int
    issued: int
    cast: int

    def to_json(self) -> dict[str, int]:
        return {"enrolled": self.enrolled, "present": self.present,
                "issued": self.issued, "cast": self.cast}

    def problems(self) -> list[str]:
        """Each broken inequality, in words a clerk can act on; empty when sound."""
        out = []
        if self.present > self.enrolled:
            out.append(f"{self.present} present exceeds {self.enrolled} enrolled")
        if self.issued > self.present:
            out.append(f"{self.issued} credentials issued exceeds {self.present} present")
        if self.cast > self.issued:
            out.append(f"{self.cast} ballots cast exceeds {self.issued} credentials issued: "
                       "the round is void")
        return out


@dataclass(frozen=True)
class MajorityLine:
    """What a strict majority (过半数) is counted against, and the fewest votes it takes.

    A selection round counts 赞成 against the deputies enrolled (应到) or against the
    ballots cast (收回), as its manifest says; a rating round classes 满意 against the
    deputies enrolled. Pages, the PDF report and the hall screen state this line and
    draw it on their charts; the rules below pass a row on exactly this line.
    """

    basis: str
    """``enrolled`` or ``cast``."""
    of: int
    """How many deputies enrolled, or ballots cast."""

    @property
    def needed(self) -> int:
        """More than half of ``of``: its half, rounded down, plus one."""
        return self.of // 2 + 1

    def passes(self, votes: int) -> bool:
        return 2 * votes > self.of


def majority_line(manifest: Manifest, cast: int) -> MajorityLine:
    if manifest.kind == "selection" and manifest.rule["basis"] != "enrolled":
        return MajorityLine("cast", cast)
    return MajorityLine("enrolled", manifest.enrolled)


def selection_result(manifest: Manifest, counts: Counts, cast: int) -> dict[str, Any]:
    """``majority-top-k``: pass on a strict majority of the basis, top K by 赞成."""
    rule = manifest.rule
    seats: int = rule["seats"]
    majority = majority_line(manifest, cast)
    for_i = manifest.options.index("for")
    # An approval-only ballot has no 反对 column: nobody can mark against.
    against_i = manifest.options.index("against") if "against" in manifest.options else None
    rows: list[dict[str, Any]] = []
    for row_id, row_counts in zip(manifest.row_ids, counts, strict=True):
        votes_for = row_counts[for_i]
        votes_against = 0 if against_i is None else row_counts[against_i]
        rows.append({"id": row_id, "for": votes_for, "against": votes_against,
                     "abstain": cast - votes_for - votes_against, "status": "failed"})
    passing = sorted((r for r in rows if majority.passes(r["for"])), key=lambda r: -r["for"])
    runoff = None
    unfilled = 0
    if len(passing) <= seats:
        for r in passing:
            r["status"] = "elected"
        unfilled = seats - len(passing)
    else:
        cutoff = passing[seats - 1]["for"]
        above = [r for r in passing if r["for"] > cutoff]
        at = [r for r in passing if r["for"] == cutoff]
        for r in passing:
            r["status"] = "not_elected"
        for r in above:
            r["status"] = "elected"
        if len(above) + len(at) <= seats:
            for r in at:
                r["status"] = "elected"
        else:
            for r in at:
                r["status"] = "tied"
            runoff = {"candidates": [r["id"] for r in rows if r["status"] == "tied"],
                      "seats": seats - len(above)}
    return {
        "rows": rows,
        "elected": [r["id"] for r in rows if r["status"] == "elected"],
        "runoff": runoff,
        "unfilled": unfilled,
    }


def rating_result(manifest: Manifest, counts: Counts) -> dict[str, Any]:
    """``satisfaction``: class by majority of enrolled, flag under the threshold."""
    num, den = manifest.rule["threshold"]
    majority = majority_line(manifest, cast=0)  # of the deputies enrolled
    idx = {o: manifest.options.index(o)
           for o in ("satisfied", "basically_satisfied", "dissatisfied")}
    rows = []
    for row_id, row_counts in zip(manifest.row_ids, counts, strict=True):
        s = row_counts[idx["satisfied"]]
        b = row_counts[idx["basically_satisfied"]]
        d = row_counts[idx["dissatisfied"]]
        marks = s + b + d
        if majority.passes(s):
            cls = "satisfied"
        elif majority.passes(s + b):
            cls = "basically_satisfied"
        else:
            cls = "dissatisfied"
        flagged = marks == 0 or (s + b) * den < num * marks
        rows.append({"id": row_id, "satisfied": s, "basically_satisfied": b,
                     "dissatisfied": d, "marks": marks, "rate": [s + b, marks],
                     "class": cls, "flagged": flagged})
    return {"rows": rows}


def compute_result(
    manifest: Manifest, counts: Counts, reconciliation: Reconciliation
) -> dict[str, Any]:
    """The whole ``result.json`` object for a round."""
    if manifest.kind == "selection":
        body = selection_result(manifest, counts, reconciliation.cast)
    else:
        body = rating_result(manifest, counts)
    return {"reconciliation": reconciliation.to_json(), **body}
