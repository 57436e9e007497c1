"""The JavaScript verifier (booth/static/protocol/verifier.js) against Python's, record by record.

Every kind of record the project makes (selection, approval-only, a tie with
its runoff, rating, challenges and a voided credential) verifies under both;
every mutant of the tamper test (tests/test_mutations.py) is refused by both,
and both name the same place for the first failure (the message up to its
first ": ", such as ``board.jsonl entry 4`` or ``tally.json``), for the fixed
set of mutants and for mutants hypothesis draws. The JavaScript runs three ways
(tests/js/verify_many.mjs): on noble, on libsodium's WebAssembly, and "sliced",
as the page's Web Workers do it (the ballots checked first in slices, then the
whole pass with their verdicts), which must not change the first failure. The
command line ``node booth/static/verify-cli.mjs`` exits 0, 1 or 2 as ``piaojue verify``.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any, TypedDict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballot.record import record_zip_bytes
from ballot.rehearsal import RehearsalConfig
from ballot.verifier import RecordInvalid, verify_record_files
from tests.record_tools import rehearsal_files
from tests.test_mutations import CONFIG as MUTATION_CONFIG
from tests.test_mutations import _mutants, mutate

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")


class _Small(TypedDict):
    """The RehearsalConfig fields the small records share."""

    deputies: int
    present: int
    voters: int
    trustees: int
    threshold: int
    scrypt_n: int


SMALL = _Small(deputies=6, present=6, voters=4, trustees=3, threshold=2, scrypt_n=2**10)
RECORDS = {
    "selection": RehearsalConfig(rows=3, seats=1, spoil=1, voided=1, **SMALL),
    "approval-only": RehearsalConfig(rows=4, seats=2, spoil=0, voided=0,
                                     options=("for",), **SMALL),
    "tie": RehearsalConfig(rows=5, seats=2, deputies=10, present=10, voters=10, spoil=0,
                           voided=0, trustees=3, threshold=2, scrypt_n=2**10, tie=True),
    "rating": RehearsalConfig(rows=3, kind="rating", spoil=1, voided=0, **SMALL),
}


MODES = ("noble", "sodium", "sliced")


def js_verdicts(records: list[dict[str, bytes]], mode: str = "sliced",
                processes: int = 2) -> list[dict[str, Any]]:
    """The JavaScript verifier's verdict on each record, in ``processes`` Node processes
    at once (pytest itself keeps one core busy, so a second one would sit idle)."""
    assert NODE, "Node.js is needed (make test installs it)"
    payload = [{name: base64.b64encode(data).decode() for name, data in files.items()}
               for files in records]
    parts = [payload[i::processes] for i in range(processes)]
    running = [subprocess.Popen([NODE, str(ROOT / "tests" / "js" / "verify_many.mjs"), mode],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for _ in parts]
    for process, part in zip(running, parts, strict=True):  # every one starts working
        assert process.stdin is not None
        process.stdin.write(json.dumps(part))
        process.stdin.close()
    answers = []
    for process in running:
        assert process.stdout is not None
        answers.append(process.stdout.read())
        process.stdout.close()
        assert process.wait(timeout=600) == 0
    verdicts: list[dict[str, Any]] = [None] * len(payload)  # type: ignore[list-item]
    for i, answer in enumerate(answers):
        verdicts[i::processes] = json.loads(answer)
    return verdicts


def python_verdict(files: dict[str, bytes]) -> dict[str, Any]:
    try:
        report = verify_record_files(files)
    except RecordInvalid as exc:
        return {"ok": False, "message": str(exc)}
    return {"ok": True, "boardHash": report.board_hash, "cast": report.cast}


def place(message: str) -> str:
    return message.split(": ", 1)[0]


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, bytes]]:
    return {name: rehearsal_files(config, f"js verifier {name}")
            for name, config in RECORDS.items()}


@pytest.mark.parametrize("mode", MODES)
def test_every_kind_of_record_verifies_in_both(records: dict[str, dict[str, bytes]],
                                               mode: str) -> None:
    names = sorted(records)
    for name, verdict in zip(names, js_verdicts([records[n] for n in names], mode),
                             strict=True):
        report = verify_record_files(records[name])
        assert verdict == {"ok": True, "boardHash": report.board_hash, "cast": report.cast}, name


@pytest.fixture(scope="module")
def mutation_record() -> dict[str, bytes]:
    return rehearsal_files(MUTATION_CONFIG, "mutation tests")


def assert_both_agree(mutants: list[tuple[str, dict[str, bytes]]]) -> int:
    """Python and JavaScript give each mutant the same verdict, and name the same
    place for its first failure; the number refused."""
    verdicts = js_verdicts([mutated for _, mutated in mutants])
    refused = 0
    for (what, mutated), verdict in zip(mutants, verdicts, strict=True):
        assert "CRASH" not in verdict.get("message", ""), (what, verdict)
        python = python_verdict(mutated)
        if python["ok"]:  # a board cut after its last receipt: caught by the trustees' head
            assert verdict == python, what
            continue
        refused += 1
        assert not verdict["ok"], what
        assert place(verdict["message"]) == place(python["message"]), (what, verdict, python)
    return refused


def test_every_mutant_is_refused_by_both_at_the_same_place(
        mutation_record: dict[str, bytes]) -> None:
    mutants = _mutants(mutation_record)
    assert assert_both_agree(mutants) >= len(mutants) - 2


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choices=st.lists(st.randoms(use_true_random=False), min_size=15, max_size=15))
def test_both_agree_on_mutants_hypothesis_draws(mutation_record: dict[str, bytes],
                                                choices: list[random.Random]) -> None:
    drawn = [mutate(mutation_record, rng) for rng in choices]
    mutants = [(what, files) for what, files in drawn if files != mutation_record]
    assert_both_agree(mutants)


def test_the_command_line_exits_as_piaojue_verify(records: dict[str, dict[str, bytes]],
                                                  tmp_path: Path) -> None:
    assert NODE
    cli = str(ROOT / "booth" / "static" / "verify-cli.mjs")
    good = tmp_path / "good.zip"
    good.write_bytes(record_zip_bytes(records["selection"]))
    ok = subprocess.run([NODE, cli, str(good)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "✔ record verifies" in ok.stdout
    assert "✔ receipts.jsonl: 4 signed receipts match the board" in ok.stdout
    tally = json.loads(records["selection"]["tally.json"])
    tally["counts"][0][0] += 1
    bad = tmp_path / "bad.zip"
    bad.write_bytes(record_zip_bytes({**records["selection"], "tally.json": json.dumps(
        tally, separators=(",", ":"), sort_keys=True).encode()}))
    failed = subprocess.run([NODE, cli, str(bad)], capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert "✘ tally.json: count for row 1" in failed.stdout
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    for path in (junk, tmp_path / "missing.zip"):
        unreadable = subprocess.run([NODE, cli, str(path)], capture_output=True, text=True,
                                    check=False)
        assert unreadable.returncode == 2
        assert "cannot read" in unreadable.stderr
