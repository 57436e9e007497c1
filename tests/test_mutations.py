"""Hundreds of random single-field mutations of a real record: every one is refused.

Issue: "for >= 200 random single-field mutations of it (any hex digit, any
count, any status, board lines swapped, dropped or duplicated), piaojue
verify rejects every one". The mutants are drawn from a fixed seed so a
failure is reproducible; a sample also goes through the real CLI.

One mutant no record can refuse by itself: cutting off the board's last
entries when they are challenged ballots, which close the board (they are
published together at close) and which no receipt covers. Such a board still
verifies; what catches it is the head the trustees announce for the board
they decrypted (``piaojue trustee decrypt`` prints it) against the head
``piaojue verify`` reports, and the challenger looking for their ballot.
``test_every_mutant_is_refused`` checks exactly that for those mutants.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from admin.cli import main
from ballot.record import record_zip_bytes
from ballot.rehearsal import RehearsalConfig
from ballot.verifier import RecordInvalid, verify_record_files
from crypto.canonical import canonical_json, parse_json
from tests.record_tools import rehearsal_files

CONFIG = RehearsalConfig(rows=3, seats=1, deputies=6, present=6, voters=4, spoil=1, voided=1,
                         trustees=3, threshold=2, scrypt_n=2**10)
MUTANTS = 220
Files = dict[str, bytes]
JSON_FILES = ("manifest.json", "election.json", "tally.json", "result.json")
LINE_FILES = ("board.jsonl", "receipts.jsonl")
HEX = re.compile(r"[0-9a-f]{64,}\Z")


@pytest.fixture(scope="module")
def record() -> Files:
    return rehearsal_files(CONFIG, "mutation tests")


def _paths(value: Any, accept: Callable[[Any], bool], path: tuple = ()) -> list[tuple]:
    """Every path to a leaf value ``accept`` likes."""
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, accept, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, accept, (*path, i))
    elif accept(value):
        out.append(path)
    return out


def _get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _put(doc: Any, path: tuple, value: Any) -> None:
    _get(doc, path[:-1])[path[-1]] = value


def _documents(files: Files) -> dict[str, Any]:
    docs: dict[str, Any] = {name: parse_json(files[name]) for name in JSON_FILES}
    for name in LINE_FILES:
        docs[name] = [parse_json(line) for line in files[name].splitlines()]
    return docs


def _encode(name: str, doc: Any) -> bytes:
    if name in LINE_FILES:
        return b"".join(canonical_json(line) + b"\n" for line in doc)
    return canonical_json(doc)


def _flip_hex_digit(rng: random.Random, docs: dict[str, Any]) -> tuple[str, str]:
    def is_hex(v: Any) -> bool:
        return isinstance(v, str) and HEX.match(v) is not None

    name = rng.choice([n for n in (*JSON_FILES, *LINE_FILES) if _paths(docs[n], is_hex)])
    path = rng.choice(_paths(docs[name], is_hex))
    value = _get(docs[name], path)
    i = rng.randrange(len(value))
    digit = rng.choice([d for d in "0123456789abcdef" if d != value[i]])
    _put(docs[name], path, value[:i] + digit + value[i + 1:])
    return name, f"hex digit {i} of {name}{list(path)}"


def _change_count(rng: random.Random, docs: dict[str, Any]) -> tuple[str, str]:
    name = rng.choice(["tally.json", "result.json"])
    wanted = ("counts", "cast") if name == "tally.json" else (
        "for", "against", "abstain", "satisfied", "enrolled", "present", "issued", "cast",
        "unfilled")
    paths = [p for p in _paths(docs[name], lambda v: type(v) is int)
             if any(w in p for w in wanted)]
    path = rng.choice(paths)
    _put(docs[name], path, _get(docs[name], path) + rng.choice([-1, 1, 2]))
    return name, f"count {name}{list(path)}"


def _change_status(rng: random.Random, docs: dict[str, Any]) -> tuple[str, str]:
    rows = docs["result.json"]["rows"]
    r = rng.randrange(len(rows))
    statuses = ["elected", "tied", "not_elected", "failed"]
    rows[r]["status"] = rng.choice([s for s in statuses if s != rows[r]["status"]])
    return "result.json", f"status of row {r}"


def _reorder_board(rng: random.Random, docs: dict[str, Any]) -> tuple[str, str]:
    lines = docs["board.jsonl"]
    how = rng.choice(["swap", "drop", "duplicate"])
    i = rng.randrange(len(lines))
    if how == "swap":
        j = rng.choice([k for k in range(len(lines)) if k != i])
        lines[i], lines[j] = lines[j], lines[i]
    elif how == "drop":
        del lines[i]
    else:
        lines.insert(i, copy.deepcopy(lines[i]))
    return "board.jsonl", f"board line {i + 1} {how}"


KINDS = [_flip_hex_digit, _flip_hex_digit, _change_count, _change_status, _reorder_board]


def mutate(files: Files, rng: random.Random) -> tuple[str, Files]:
    """One mutant of the record, of a kind and at a place ``rng`` chooses (possibly
    equal to the record: callers skip those). tests/test_js_verifier.py draws ``rng``
    from hypothesis."""
    docs = _documents(files)
    name, what = rng.choice(KINDS)(rng, docs)
    return what, {**files, name: _encode(name, docs[name])}


def _mutants(files: Files) -> list[tuple[str, Files]]:
    rng = random.Random(20261122)
    out: list[tuple[str, Files]] = []
    while len(out) < MUTANTS:
        what, mutated = mutate(files, rng)
        if mutated != files:
            out.append((what, mutated))
    return out


def test_the_unmutated_record_verifies(record: Files) -> None:
    verify_record_files(record)


def _trailing_challenges_cut(original: Files, mutated: Files) -> bool:
    """The mutated board is the original with some of its closing spoiled entries cut off."""
    before = original["board.jsonl"].splitlines(keepends=True)
    after = mutated["board.jsonl"].splitlines(keepends=True)
    cut = before[len(after):]
    return (len(after) < len(before) and after == before[:len(after)]
            and {mutated[name] == original[name] for name in original if name != "board.jsonl"}
            == {True}
            and all(parse_json(line)["entry"]["type"] == "spoiled" for line in cut))


def test_every_mutant_is_refused(record: Files) -> None:
    mutants = _mutants(record)
    assert len(mutants) >= 200
    announced = verify_record_files(record).board_hash  # what the trustees decrypted
    accepted, cut = [], 0
    for what, mutated in mutants:
        try:
            report = verify_record_files(mutated)
        except RecordInvalid:
            continue
        if _trailing_challenges_cut(record, mutated) and report.board_hash != announced:
            cut += 1  # caught by the trustees' announced head, not by the record alone
            continue
        accepted.append(what)
    assert accepted == []
    assert cut <= 2


@pytest.mark.parametrize("n", range(0, MUTANTS, 37))
def test_piaojue_verify_exits_nonzero_on_mutants(record: Files, tmp_path: Path, n: int) -> None:
    what, mutated = _mutants(record)[n]
    path = tmp_path / "mutant.zip"
    path.write_bytes(record_zip_bytes(mutated))
    result = CliRunner().invoke(main, ["verify", "--quiet", str(path)])
    assert result.exit_code == 1, what
    assert "✘ the record does not verify" in result.output
