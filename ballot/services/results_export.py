"""Results in the formats people open: CSV, XLSX, and pabulib for researchers.

pabulib (pabulib.org) is the plain-text format participatory-budgeting
platforms publish elections in: META, PROJECTS and VOTES sections separated
by semicolons. A secret ballot has no per-voter votes to publish, so the
VOTES section is empty and the counts go in the PROJECTS section's votes
column, as pabulib files of aggregated results do.
"""

from __future__ import annotations

from typing import Any

from ballot.errors import N_, Conflict, Translate, untranslated
from ballot.labels import COLUMNS, RATING_CLASSES, RESULT_STATUS, word
from ballot.models import Round, RoundKind
from ballot.spreadsheet import csv_bytes, xlsx_bytes

SELECTION_COLUMNS = ("id", "title", "for", "against", "abstain", "status")
RATING_COLUMNS = ("id", "title", "satisfied", "basically_satisfied", "dissatisfied", "marks",
                  "rate", "class", "flagged")


def _rows(round_: Round, translate: Translate) -> tuple[list[str], list[list[Any]]]:
    """Headings and cells in the reader's language; counts stay numbers."""
    if not round_.result:
        raise Conflict("round %(round_id)s has no result yet", round_id=round_.round_id)
    titles = {r.project.code: r.project.title for r in round_.rows}
    columns = SELECTION_COLUMNS if round_.kind == RoundKind.selection else RATING_COLUMNS
    out = []
    for row in round_.result["rows"]:
        values = []
        for c in columns:
            if c == "title":
                values.append(titles.get(row["id"], ""))
            elif c == "rate":
                values.append(f"{row['rate'][0]}/{row['rate'][1]}")
            elif c == "status":
                values.append(word(RESULT_STATUS, row[c]).render(translate))
            elif c == "class":
                values.append(word(RATING_CLASSES, row[c]).render(translate))
            elif c == "flagged":
                values.append(word(COLUMNS, "yes" if row[c] else "no").render(translate))
            else:
                values.append(row[c])
        out.append(values)
    return [word(COLUMNS, c).render(translate) for c in columns], out


def results_csv(round_: Round, translate: Translate = untranslated) -> bytes:
    columns, rows = _rows(round_, translate)
    return csv_bytes(columns, rows)


def results_xlsx(round_: Round, translate: Translate = untranslated) -> bytes:
    columns, rows = _rows(round_, translate)
    recon = round_.result["reconciliation"] if round_.result else {}
    return xlsx_bytes([
        (N_("results").render(translate), columns, rows),
        (N_("reconciliation").render(translate), [],
         [[word(COLUMNS, key).render(translate), recon.get(key)]
          for key in ("enrolled", "present", "issued", "cast")])])


def pabulib(round_: Round) -> str:
    """A pabulib file of a selection round's aggregated result."""
    if round_.kind != RoundKind.selection or not round_.result:
        raise Conflict("pabulib files are made for counted selection rounds")
    election = round_.election
    result = round_.result
    total = sum(float(r.project.cost_wan or 0) * 10000 for r in round_.rows)
    meta = {
        "description": f"{election.congress_name}: {round_.title}",
        "country": "China", "unit": election.congress_name,
        "instance": str(election.year), "num_projects": str(len(round_.rows)),
        "num_votes": str(result["reconciliation"]["cast"]), "budget": f"{total:.0f}",
        "vote_type": "approval", "rule": "majority-top-k",
        "max_length": str(round_.seats), "language": "zh",
        "comment": "secret ballot: per-voter votes are not published; votes are counts",
    }
    by_code = {r.project.code: r.project for r in round_.rows}
    lines = ["META", "key;value", *[f"{k};{_clean(v)}" for k, v in meta.items()],
             "PROJECTS", "project_id;cost;votes;name;category;selected"]
    for row in result["rows"]:
        project = by_code[row["id"]]
        cost = f"{float(project.cost_wan or 0) * 10000:.0f}"
        selected = 1 if row["status"] == "elected" else 0
        lines.append(f"{row['id']};{cost};{row['for']};{_clean(project.title)};"
                     f"{_clean(project.category)};{selected}")
    lines += ["VOTES", "voter_id;vote"]
    return "\n".join(lines) + "\n"


def _clean(text: str) -> str:
    return str(text).replace(";", ",").replace("\n", " ")
