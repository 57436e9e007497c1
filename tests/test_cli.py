"""The ``piaojue`` CLI as a user runs it: real files, real exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from admin.cli import main
from ballot.record import read_record, record_zip_bytes


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_simulate_then_verify(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "record.zip"
    result = runner.invoke(main, ["simulate", "--rows", "4", "--seats", "2", "--enrolled",
                                  "6", "--present", "5", "--cast", "4", "--quiet",
                                  "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    verified = runner.invoke(main, ["verify", str(out)])
    assert verified.exit_code == 0, verified.output
    assert "record verifies" in verified.output
    assert "收回 cast 4" in verified.output


def test_seeded_simulation_is_reproducible(runner: CliRunner, tmp_path: Path) -> None:
    args = ["simulate", "--rows", "3", "--seats", "1", "--enrolled", "4", "--present", "4",
            "--cast", "2", "--seed", "same", "--quiet", "--out"]
    runner.invoke(main, [*args, str(tmp_path / "a.zip")])
    runner.invoke(main, [*args, str(tmp_path / "b.zip")])
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_rating_round(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "rating.zip"
    result = runner.invoke(main, ["simulate", "--kind", "rating", "--rows", "3", "--quiet",
                                  "--out", str(out)])
    assert result.exit_code == 0, result.output
    verified = runner.invoke(main, ["verify", str(out)])
    assert "基本满意" in verified.output or "满意" in verified.output


def test_verify_names_a_tampered_record(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "record.zip"
    runner.invoke(main, ["simulate", "--rows", "3", "--seats", "1", "--quiet", "--out",
                         str(out)])
    files = read_record(out)
    files["tally.json"] = files["tally.json"].replace(b'"cast":25', b'"cast":24')
    out.write_bytes(record_zip_bytes(files))
    result = runner.invoke(main, ["verify", str(out)])
    assert result.exit_code == 1
    assert "does not verify" in result.output
    assert "tally.json: cast is 24" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trustees", "2", "--threshold", "3"], "threshold must be between 1 and the number"),
        (["--rows", "3", "--seats", "4"], "seats must be between 1 and the number of rows"),
        (["--present", "40"], "present must be between 1 and enrolled"),
        (["--cast", "28"], "cast must be between 0 and present"),
        (["--cast", "-1"], "must not be negative"),
        (["--rows", "many"], "'many' is not a valid integer"),
        (["--kind", "referendum"], "'referendum' is not one of"),
    ],
)
def test_bad_arguments_are_named_and_write_nothing(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "record.zip"
    result = runner.invoke(main, ["simulate", *args, "--quiet", "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_verify_refuses_a_file_that_is_not_a_record(runner: CliRunner, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.zip"
    bogus.write_text("hello")
    result = runner.invoke(main, ["verify", str(bogus)])
    assert result.exit_code == 1
    assert "not a readable zip" in result.output


def test_demo_runs_and_verifies(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["demo", "--out", str(tmp_path / "demo.zip")])
    assert result.exit_code == 0, result.output
    assert "record verifies" in result.output
    assert "elected 当选" in result.output
