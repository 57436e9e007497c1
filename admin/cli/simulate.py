"""``piaojue simulate`` and ``piaojue demo``: a whole round in memory, verified."""

from __future__ import annotations

from pathlib import Path

import click

from admin.cli.progress import StageBars
from admin.cli.report import print_report
from ballot.record import write_record
from ballot.simulation import SimulationConfig, simulate_round
from ballot.verifier import verify_record
from crypto.rng import SYSTEM_RANDOMNESS, Randomness, SeededRandomness


def _positive(_ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value < 0:
        raise click.BadParameter(f"{param.name} must not be negative")
    return value


@click.command("simulate")
@click.option("--kind", type=click.Choice(["selection", "rating"]), default="selection",
              show_default=True, help="selection (赞成/反对) or rating (满意度) round")
@click.option("--rows", default=8, show_default=True, callback=_positive,
              help="candidate projects on the ballot")
@click.option("--seats", default=5, show_default=True, callback=_positive,
              help="projects to choose (at most this many 赞成 per ballot)")
@click.option("--enrolled", default=30, show_default=True, callback=_positive)
@click.option("--present", default=27, show_default=True, callback=_positive)
@click.option("--cast", "cast_", default=25, show_default=True, callback=_positive,
              help="ballots cast")
@click.option("--spoiled", default=2, show_default=True, callback=_positive,
              help="Benaloh challenges made before casting")
@click.option("--voided", default=1, show_default=True, callback=_positive,
              help="lost slips voided and replaced")
@click.option("--trustees", default=3, show_default=True, callback=_positive)
@click.option("--threshold", default=2, show_default=True, callback=_positive)
@click.option("--seed", default=None,
              help="make a reproducible record (for tests and examples only: never a real vote)")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              required=True, help="record zip to write")
@click.option("--quiet", is_flag=True, help="no progress bars")
def simulate_command(kind: str, rows: int, seats: int, enrolled: int, present: int, cast_: int,
                     spoiled: int, voided: int, trustees: int, threshold: int,
                     seed: str | None, out: Path, quiet: bool) -> None:
    """Run a whole round in memory and write its election record."""
    config = SimulationConfig(
        kind=kind, rows=rows, seats=seats, enrolled=enrolled, present=present, cast=cast_,
        spoiled=spoiled, voided=voided, trustees=trustees, threshold=threshold,
        round_id="selection-1" if kind == "selection" else "rating-1",
        title=("2026年度民生实事项目票决" if kind == "selection"
               else "2026年度民生实事项目满意度测评"),
    )
    _simulate(config, SeededRandomness(seed) if seed else SYSTEM_RANDOMNESS, out, quiet)


def _simulate(config: SimulationConfig, rng: Randomness, out: Path, quiet: bool) -> None:
    try:
        config.check()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    with StageBars(enabled=not quiet) as bars:
        simulated = simulate_round(config, rng, bars)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_record(simulated.files, out)
    click.echo(f"wrote {out} ({config.cast} ballots, {config.spoiled} challenged)")


@click.command("demo")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("out/demo-record.zip"), show_default=True)
def demo_command(out: Path) -> None:
    """Run, record and independently verify a demo selection round."""
    click.echo("模拟一轮民生实事项目票决 / simulating a selection round …")
    _simulate(SimulationConfig(), SYSTEM_RANDOMNESS, out, quiet=False)
    click.echo(f"verifying {out} from the record alone …")
    print_report(verify_record(out))
    click.echo(f"\nCheck it yourself: piaojue verify {out}")
