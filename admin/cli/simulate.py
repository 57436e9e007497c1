"""``piaojue simulate`` and ``piaojue demo``: a rehearsal of a whole round.

The rehearsal goes through the real services on a real database (a
throwaway SQLite file unless ``--database-url`` is given) and the real
trustee code with key files in a temporary directory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from admin.cli.common import ok, speak
from admin.cli.progress import StageBars
from admin.cli.report import print_report
from admin.config import INSTANCE, at_rest_key, private_directory, private_sqlite_file
from admin.demo import (
    DEMO_DEPARTMENT_LOGIN,
    DEMO_PASSWORD,
    DEMO_STAFF,
    hold_midyear_rating,
    open_booth_round,
    seed_progress,
    seed_proposals,
)
from ballot.db import make_engine, make_sessionmaker
from ballot.errors import InvalidInput
from ballot.record import write_record
from ballot.rehearsal import Rehearsal, RehearsalConfig, RehearsalOutcome, rehearse, run_through
from ballot.schema import upgrade
from ballot.verifier import verify_record
from crypto.at_rest import AtRestKey
from crypto.manifest import APPROVAL_OPTIONS, SELECTION_OPTIONS
from crypto.rng import SYSTEM_RANDOMNESS, Randomness, SeededRandomness


def _run(config: RehearsalConfig, rng: Randomness, out: Path, database_url: str | None,
         quiet: bool, at_rest: AtRestKey | None = None) -> RehearsalOutcome:
    try:
        config.check()
    except InvalidInput as exc:
        raise click.UsageError(speak(exc)) from None
    with tempfile.TemporaryDirectory(prefix="piaojue-rehearsal-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'rehearsal.sqlite'}"
        engine = make_engine(url)
        upgrade(engine)
        keys = Path(tmp) / "trustee-keys"
        keys.mkdir()
        try:
            with StageBars(enabled=not quiet) as bars:
                outcome = rehearse(make_sessionmaker(engine), config, keys, rng, bars, at_rest)
        finally:
            engine.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    write_record(outcome.files, out)
    for line in outcome.log:
        click.echo(f"  {line}")
    ok(f"wrote {out}")
    return outcome


@click.command("simulate")
@click.option("--kind", type=click.Choice(["selection", "rating"]), default="selection",
              show_default=True, help="selection (赞成/反对) or rating (满意度) round")
@click.option("--rows", type=click.IntRange(1, 200), default=15, show_default=True,
              help="candidate projects on the ballot")
@click.option("--seats", type=click.IntRange(1), default=5, show_default=True,
              help="projects to choose: at most this many 赞成 per ballot")
@click.option("--deputies", type=click.IntRange(1), default=60, show_default=True,
              help="enrolled deputies")
@click.option("--present", type=click.IntRange(1), default=55, show_default=True)
@click.option("--voters", type=click.IntRange(0), default=50, show_default=True,
              help="ballots cast")
@click.option("--spoil", type=click.IntRange(0), default=2, show_default=True,
              help="Benaloh challenges made before casting")
@click.option("--voided", type=click.IntRange(0), default=1, show_default=True,
              help="lost slips voided and replaced")
@click.option("--trustees", type=click.IntRange(1, 64), default=5, show_default=True)
@click.option("--threshold", type=click.IntRange(1, 64), default=3, show_default=True)
@click.option("--options", type=click.Choice(["for,against", "for"]), default="for,against",
              show_default=True, help="'for' alone makes an approval-only ballot")
@click.option("--basis", type=click.Choice(["enrolled", "cast"]), default="enrolled",
              show_default=True)
@click.option("--tie", is_flag=True, help="make the K-th seat a tie and create the runoff")
@click.option("--seed", default=None,
              help="reproducible run, for tests and examples only: never for a real vote")
@click.option("--database-url", default=None, help="rehearse on this database instead")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              required=True, help="record zip to write")
@click.option("--quiet", is_flag=True, help="no progress bars")
def simulate_command(kind: str, rows: int, seats: int, deputies: int, present: int,
                     voters: int, spoil: int, voided: int, trustees: int, threshold: int,
                     options: str, basis: str, tie: bool, seed: str | None,
                     database_url: str | None, out: Path, quiet: bool) -> None:
    """Rehearse a whole round through the real services and write its record."""
    config = RehearsalConfig(
        kind=kind, rows=rows, seats=seats, deputies=deputies, present=present, voters=voters,
        spoil=spoil, voided=voided, trustees=trustees, threshold=threshold, basis=basis,
        options=APPROVAL_OPTIONS if options == "for" else SELECTION_OPTIONS, tie=tie)
    _run(config, SeededRandomness(seed) if seed else SYSTEM_RANDOMNESS, out, database_url,
         quiet)


@click.command("demo")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("out/demo-record.zip"), show_default=True)
@click.option("--port", type=click.IntRange(1, 65535),
              default=lambda: int(os.environ.get("PORT", "5000")), show_default="$PORT or 5000")
@click.option("--no-serve", is_flag=True, help="seed and verify, but do not start the server")
def demo_command(out: Path, port: int, no_serve: bool) -> None:
    """Seed a demo congress (instance/demo.sqlite), verify its record, serve it."""
    click.echo("演示：60名代表、15个候选项目、5个名额、5名监票人（3人可解密）\n"
               "demo: 60 deputies, 15 candidate projects, 5 seats, 5 trustees (threshold 3)")
    database = INSTANCE / "demo.sqlite"
    private_directory(database.parent)
    for stale in database.parent.glob("demo.sqlite*"):
        stale.unlink()
    # The trustees' key files stay, so the round left open can be decrypted by hand.
    keys = private_directory(INSTANCE / "demo-trustees")
    for stale in keys.glob("*"):
        stale.unlink()
    url = f"sqlite:///{private_sqlite_file(database).resolve()}"
    config = RehearsalConfig(election_id="demo-2026")
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with StageBars(enabled=True) as bars:
        run = Rehearsal(sessions, config, keys, SYSTEM_RANDOMNESS, bars, at_rest_key())
        outcome = run_through(run)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_record(outcome.files, out)
    for line in outcome.log:
        click.echo(f"  {line}")
    ok(f"wrote {out}")
    click.echo(f"\nverifying {out} from the record alone …")
    print_report(verify_record(out))
    seed_proposals(sessions, "demo-2026")
    department = seed_progress(sessions, "demo-2026")
    click.echo("\n年中票评 mid-year rating round: counted and published …")
    flagged = hold_midyear_rating(run)
    booth_round = open_booth_round(sessions, "demo-2026", outcome)
    engine.dispose()
    base = f"http://127.0.0.1:{port}"
    key_files = "\n".join(f"    {run.trustees.path(i)}   passphrase: {run.trustees.passphrases[i]}"
                          for i in range(1, config.trustees + 1))
    click.echo(f"""
────────────────────────────────────────────────────────────────────────
公开页面 public pages   {base}/
投票终端 booth          {base}/booth/   （{booth_round.title}）
会场大屏 hall screen    {base}/hall/demo-2026/{booth_round.round_id}
工作人员 staff          {base}/admin/
  logins: {", ".join(f"{u} ({r})" for u, r, _ in DEMO_STAFF)},
          {DEMO_DEPARTMENT_LOGIN} (department: {department})   password: {DEMO_PASSWORD}
项目建议 proposals      {base}/propose   {base}/proposals/demo-2026
项目进度 projects       {base}/projects/demo-2026   (整改 to rectify: {", ".join(flagged)})
凭证码 credential codes for the open round (one ballot each):
  {chr(10).join("  " + c for c in booth_round.codes).strip()}
监票人 trustees' key files (threshold {config.threshold} of {config.trustees}), to decrypt
  the open round once it is closed (staff round page: 结束投票, then 下载解密请求):
{key_files}
  .venv/bin/piaojue trustee decrypt --key <key file> --request request.json --out share.json
  (upload each share on the round page, then 合并 and 公布; or use
   .venv/bin/piaojue round close|tally-request|import-share|combine|publish)
核对记录 verify the record yourself: .venv/bin/piaojue verify {out}
────────────────────────────────────────────────────────────────────────""")
    if no_serve:
        return
    os.environ["DATABASE_URL"] = url
    from admin.app import create_app

    create_app({"DATABASE_URL": url}).run(host="127.0.0.1", port=port, debug=False,
                                          use_reloader=False)
