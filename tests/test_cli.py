"""The ``piaojue`` CLI as a user runs it: real files, real databases, real exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from admin.cli import main
from ballot.record import read_record, record_zip_bytes
from crypto.canonical import parse_json
from crypto.pinning import pin_round

SMALL = ["--rows", "4", "--seats", "2", "--deputies", "6", "--present", "5", "--voters", "4",
         "--trustees", "3", "--threshold", "2", "--spoil", "1", "--quiet"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_simulate_then_verify(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "record.zip"
    result = runner.invoke(main, ["simulate", *SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    verified = runner.invoke(main, ["verify", "--quiet", str(out)])
    assert verified.exit_code == 0, verified.output
    assert "✔ board.jsonl" in verified.output
    assert "record verifies" in verified.output
    assert "收回 cast 4" in verified.output


def test_seeded_simulation_is_reproducible(runner: CliRunner, tmp_path: Path) -> None:
    args = ["simulate", *SMALL, "--seed", "same", "--out"]
    runner.invoke(main, [*args, str(tmp_path / "a.zip")])
    runner.invoke(main, [*args, str(tmp_path / "b.zip")])
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


@pytest.mark.parametrize("extra", [["--kind", "rating"], ["--options", "for"],
                                   ["--basis", "cast"]])
def test_round_shapes(runner: CliRunner, tmp_path: Path, extra: list[str]) -> None:
    out = tmp_path / "r.zip"
    result = runner.invoke(main, ["simulate", *SMALL, *extra, "--out", str(out)])
    assert result.exit_code == 0, result.output
    verified = runner.invoke(main, ["verify", "--quiet", str(out)])
    assert verified.exit_code == 0, verified.output


def test_tie_creates_a_runoff(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "tie.zip"
    result = runner.invoke(main, ["simulate", "--rows", "6", "--seats", "3", "--deputies",
                                  "10", "--present", "10", "--voters", "10", "--trustees", "2",
                                  "--threshold", "2", "--voided", "0", "--tie", "--quiet",
                                  "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "runoff round runoff-1 created over P03, P04 for 1 seat(s)" in result.output
    verified = runner.invoke(main, ["verify", "--quiet", str(out)])
    assert "runoff 再次投票: P03, P04 for 1 seat(s)" in verified.output


def test_verify_names_a_tampered_record(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "record.zip"
    runner.invoke(main, ["simulate", *SMALL, "--out", str(out)])
    files = read_record(out)
    files["tally.json"] = files["tally.json"].replace(b'"cast":4', b'"cast":3')
    out.write_bytes(record_zip_bytes(files))
    result = runner.invoke(main, ["verify", "--quiet", str(out)])
    assert result.exit_code == 1
    assert "does not verify" in result.output
    assert "tally.json: cast is 3" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trustees", "2", "--threshold", "3"], "threshold must be between 1 and the number"),
        (["--rows", "3", "--seats", "4"], "seats must be between 1 and the number of rows"),
        (["--present", "70"], "present must be between 1 and the number of deputies"),
        (["--voters", "56"], "voters must be between 0 and the deputies present"),
        (["--voters", "-1"], "-1 is not in the range x>=0"),
        (["--rows", "many"], "'many' is not a valid integer"),
        (["--kind", "referendum"], "'referendum' is not one of"),
        (["--rows", "5", "--seats", "5", "--tie"], "more rows than seats"),
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


def test_trustee_fingerprint_recomputes_q_and_refuses_a_substituted_key(
        runner: CliRunner, tmp_path: Path) -> None:
    """What a trustee runs on the round's public parameters before voting opens."""
    out = tmp_path / "record.zip"
    assert runner.invoke(main, ["simulate", *SMALL, "--out", str(out)]).exit_code == 0
    files = read_record(out)
    pinned = pin_round(files["manifest.json"], parse_json(files["election.json"]))
    params = {"manifest_json": files["manifest.json"].decode(),
              "election": parse_json(files["election.json"]),
              "joint_key": pinned.joint_key.hex(), "context": pinned.context.hex()}
    path = tmp_path / "round.json"
    path.write_text(json.dumps(params))
    shown = runner.invoke(main, ["trustee", "fingerprint", str(path)])
    assert shown.exit_code == 0, shown.output
    assert f"round fingerprint {pinned.fingerprint}" in shown.output
    path.write_text(json.dumps({**params, "joint_key": "58" + "66" * 31}))
    refused = runner.invoke(main, ["trustee", "fingerprint", str(path)])
    assert refused.exit_code == 1
    assert "not the trustees' joint key" in refused.output
    assert "round fingerprint" not in refused.output
    path.write_text("{}")
    assert "no manifest_json" in runner.invoke(main, ["trustee", "fingerprint",
                                                      str(path)]).output


def test_staff_password_and_disable_end_the_accounts_sessions(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ballot.db import make_engine, make_sessionmaker
    from ballot.models import StaffSession
    from ballot.services import staff, staff_sessions

    url = f"sqlite:///{tmp_path / 'staff.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PIAOJUE_STAFF_PASSWORD", "a long enough password")
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    added = runner.invoke(main, ["staff", "add", "clerk-li", "--role", "clerk"])
    assert added.exit_code == 0, added.output
    sessions = make_sessionmaker(make_engine(url))

    def open_sessions() -> int:
        with sessions() as s:
            return len(s.query(StaffSession).all())

    for command in (["staff", "password", "clerk-li"], ["staff", "disable", "clerk-li"]):
        with sessions.begin() as s:
            staff_sessions.start(s, staff.find(s, "clerk-li"))
        assert open_sessions() == 1
        result = runner.invoke(main, command)
        assert result.exit_code == 0, result.output
        assert "sessions are ended" in result.output
        assert open_sessions() == 0
    with sessions() as s:
        assert staff.authenticate(s, "clerk-li", "a long enough password") is None
    unknown = runner.invoke(main, ["staff", "disable", "nobody"])
    assert unknown.exit_code == 1
    assert "there is no staff account 'nobody'" in unknown.output


def test_the_instance_folder_and_its_files_are_created_private(tmp_path: Path) -> None:
    """Issue 13, item 8: demo.sqlite was world-readable."""
    import sqlite3
    import stat

    from admin.config import instance_secret, private_sqlite_file

    database = private_sqlite_file(tmp_path / "instance" / "demo.sqlite")
    connection = sqlite3.connect(database)
    connection.execute("pragma journal_mode=wal")
    connection.execute("create table t (x)")
    connection.commit()
    instance_secret("flask.key", tmp_path / "instance")
    folder = tmp_path / "instance"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path.name
    connection.close()


def test_help_lists_every_command_without_loading_them() -> None:
    """``piaojue --help`` imported Flask, SQLAlchemy and fpdf for every command (2.5 s);
    now each command's module loads only when it runs, and the listed help is its own."""
    import subprocess
    import sys

    import click

    from admin.cli import COMMANDS

    probe = ("import sys; from admin.cli import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('flask', 'sqlalchemy', 'fpdf', 'nacl') "
             "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().endswith("[]"), done.stdout
    assert all(name in done.stdout for name in COMMANDS)
    context = click.Context(main)
    for name, (_, _, short) in COMMANDS.items():
        command = main.get_command(context, name)
        assert command is not None, name
        assert command.get_short_help_str(limit=200) == short, name
    assert "tracked" in main.get_command(context, "projects").commands  # type: ignore[union-attr]


@pytest.mark.parametrize(("ratio", "english", "chinese"), [
    ("1/5", "the most extra candidates is not a fraction such as 4/5: ''",
     "最多差额比例不是 4/5 这样的分数"),
    ("x:1/2", "the fewest extra candidates is not a fraction such as 4/5: 'x'",
     "最少差额比例不是 4/5 这样的分数"),
    ("1/5:11/1", "the candidate ratio is two fractions, the smaller first, the larger at most 10",
     "差额比例为两个分数"),
])
def test_a_bad_candidate_ratio_is_named_in_the_terminals_language_and_writes_nothing(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ratio: str,
        english: str, chinese: str) -> None:
    from admin.cli.common import terminal_language
    from ballot.db import make_engine, make_sessionmaker
    from ballot.models import Election

    url = f"sqlite:///{tmp_path / 'ratio.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PIAOJUE_SECRET_KEY", "a secret of sixteen or more")
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    create = ["election", "create", "--id", "ratio-2026", "--name", "某县人大", "--level",
              "county", "--year", "2026", "--trustee", "甲", "--threshold", "1",
              "--candidate-ratio", ratio]
    for language, expected in (("C.UTF-8", english), ("zh_CN.UTF-8", chinese)):
        monkeypatch.setenv("LANG", language)
        for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
            monkeypatch.delenv(variable, raising=False)
        terminal_language.cache_clear()
        refused = runner.invoke(main, create)
        assert refused.exit_code == 1
        assert expected in refused.output
    terminal_language.cache_clear()
    with make_sessionmaker(make_engine(url))() as s:
        assert s.query(Election).count() == 0
