"""``piaojue verify --jobs N``: the same verdict and the same first failure as one job.

The verifier walks the board's chain and bookkeeping in order, then checks the
ballots in chunks, inline or in worker processes (ballot.board_proofs). These
tests break entries at chosen places, ballot proofs and bookkeeping mixed, and
check that whatever the number of jobs the failure named is the first one in
board order, and that an honest record gives the same report.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admin.cli import main
from ballot.board_proofs import CHUNK
from ballot.record import record_zip_bytes
from ballot.rehearsal import RehearsalConfig
from ballot.verifier import RecordInvalid, verify_record_files
from crypto.credentials import derive_credential_key, generate_code, public_key_bytes
from tests.record_tools import board_entries, flip_hex, rehearsal_files, with_board

CONFIG = RehearsalConfig(rows=2, seats=1, deputies=30, present=30, voters=26, spoil=3,
                         voided=1, trustees=3, threshold=2, scrypt_n=2**10)
Files = dict[str, bytes]


@pytest.fixture(scope="module")
def record() -> Files:
    files = rehearsal_files(CONFIG, "parallel verification")
    assert len(_ballot_indices(files)) > 3 * CHUNK, "the board must span several chunks"
    return files


def _ballot_indices(files: Files) -> list[int]:
    """Board indices (from 1) of the cast and spoiled entries."""
    return [k for k, e in enumerate(board_entries(files), 1) if e["type"] in ("cast", "spoiled")]


def _break_proof(entry: dict[str, Any]) -> None:
    cell = entry["ballot"]["cells"][0][0]
    cell["proof"][0][1] = flip_hex(cell["proof"][0][1], 5)


def _break_bookkeeping(entry: dict[str, Any]) -> None:
    """A cast by a key no credentials entry issued; a spoiled entry with a field too many."""
    if entry["type"] == "cast":
        entry["credential"] = public_key_bytes(
            derive_credential_key(generate_code(), "e", "r")).hex()
    else:
        entry["note"] = "extra"


BREAKS = {"proof": _break_proof, "bookkeeping": _break_bookkeeping}


def _broken(files: Files, faults: dict[int, str]) -> Files:
    entries = board_entries(files)
    for k, how in faults.items():
        BREAKS[how](entries[k - 1])
    return with_board(files, entries)


def _failure(files: Files, jobs: int) -> str:
    with pytest.raises(RecordInvalid) as caught:
        verify_record_files(files, jobs=jobs)
    return str(caught.value)


def test_two_jobs_give_the_same_report(record: Files) -> None:
    one = verify_record_files(record, jobs=1)
    two = verify_record_files(record, jobs=2)
    assert dataclasses.asdict(two) == dataclasses.asdict(one)
    assert one.cast == CONFIG.voters
    assert one.spoiled == CONFIG.spoil


@pytest.mark.parametrize(("early", "late"), [
    ("proof", "proof"),
    ("proof", "bookkeeping"),
    ("bookkeeping", "proof"),
])
def test_the_first_failure_in_board_order_is_named_with_two_jobs(
        record: Files, early: str, late: str) -> None:
    indices = _ballot_indices(record)
    first, second = indices[1], indices[-2]  # in the first chunk and in the last
    files = _broken(record, {first: early, second: late})
    message = _failure(files, jobs=2)
    assert message.startswith(f"board.jsonl entry {first}: ")
    assert message == _failure(files, jobs=1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_set_of_faults_names_the_earliest(record: Files, data: st.DataObject) -> None:
    indices = _ballot_indices(record)
    chosen = data.draw(st.lists(st.sampled_from(indices), min_size=1, max_size=4, unique=True))
    faults = {k: data.draw(st.sampled_from(sorted(BREAKS))) for k in chosen}
    message = _failure(_broken(record, faults), jobs=1)
    assert message.startswith(f"board.jsonl entry {min(faults)}: ")
    reason = "does not verify" if faults[min(faults)] == "proof" else "credential|field"
    assert any(word in message for word in reason.split("|"))


def test_cli_verifies_with_jobs(record: Files, tmp_path: Path) -> None:
    path = tmp_path / "record.zip"
    path.write_bytes(record_zip_bytes(record))
    result = CliRunner().invoke(main, ["verify", "--quiet", "--jobs", "2", str(path)])
    assert result.exit_code == 0, result.output
    assert "receipts.jsonl" in result.output


def test_cli_names_the_broken_entry_with_jobs(record: Files, tmp_path: Path) -> None:
    last = _ballot_indices(record)[-1]
    path = tmp_path / "broken.zip"
    path.write_bytes(record_zip_bytes(_broken(record, {last: "proof"})))
    result = CliRunner().invoke(main, ["verify", "--quiet", "--jobs", "2", str(path)])
    assert result.exit_code == 1
    assert f"✘ the record does not verify: board.jsonl entry {last}: " in result.output


@pytest.mark.parametrize("jobs", ["0", "-1", "two", "65"])
def test_cli_refuses_a_bad_job_count(record: Files, tmp_path: Path, jobs: str) -> None:
    path = tmp_path / "record.zip"
    path.write_bytes(record_zip_bytes(record))
    result = CliRunner().invoke(main, ["verify", "--quiet", "--jobs", jobs, str(path)])
    assert result.exit_code == 2
    assert "--jobs" in result.output


@pytest.mark.parametrize("jobs", ["0", "many"])
def test_trustee_decrypt_refuses_a_bad_job_count_and_writes_nothing(
        tmp_path: Path, jobs: str) -> None:
    request, key = tmp_path / "request.json", tmp_path / "trustee.key"
    request.write_text("{}")
    key.write_text("{}")
    out = tmp_path / "share.json"
    result = CliRunner().invoke(main, ["trustee", "decrypt", "--key", str(key), "--request",
                                       str(request), "--out", str(out), "--jobs", jobs])
    assert result.exit_code == 2
    assert "--jobs" in result.output
    assert not out.exists()
