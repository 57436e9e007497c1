"""``piaojue projects tracked``, ``piaojue rating ...`` and ``piaojue year-report``:
晒单 and 评单 from the command line, for scripts and for operators without a browser."""

from __future__ import annotations

from pathlib import Path

import click

from admin.cli.common import ok, output_file, transaction
from admin.cli.rounds import parse_fraction
from admin.pdf import year_report_pdf
from ballot.services import elections, rectification, rounds, tracking
from ballot.services.year_report import year_report, year_report_xlsx


@click.command("tracked")
@click.argument("election_id")
def tracked_command(election_id: str) -> None:
    """List the year's elected projects with their progress (晒单)."""
    with transaction() as s:
        election = elections.get_election(s, election_id)
        for t in tracking.tracked_projects(s, election):
            bar = "█" * (t.percent // 5) + "·" * (20 - t.percent // 5)
            open_tasks = sum(r.state.value in ("ordered", "reported") for r in t.rectifications)
            click.echo(f"{t.project.code:6} {bar} {t.percent:3d}%  {t.state.value:11} "
                       f"{t.department or '—'}  {t.project.title}"
                       + (f"  [整改 {open_tasks}]" if open_tasks else ""))


@click.group("rating")
def rating_group() -> None:
    """Rating rounds (评单) and rectification."""


@rating_group.command("create")
@click.argument("election_id")
@click.argument("round_id")
@click.option("--stage", type=click.Choice(sorted(rectification.STAGE_TITLES)), required=True,
              help="mid_year or year_end: every tracked project; rerating: the projects "
                   "whose rectification is reported")
@click.option("--title", default="", help="default: the stage's usual title")
@click.option("--threshold", default="4/5", show_default=True,
              help="flag a project whose (satisfied + basically satisfied) share is below this")
def rating_create_command(election_id: str, round_id: str, stage: str, title: str,
                          threshold: str) -> None:
    """Create a draft rating round; check-in, slips and counting are as for any round."""
    with transaction() as s:
        election = elections.get_election(s, election_id)
        title = title or rectification.STAGE_TITLES[stage].format(year=election.year)
        make = (rectification.create_rerating_round if stage == "rerating"
                else rectification.create_rating_round)
        round_ = make(s, election, round_id=round_id, title=title,
                      threshold=parse_fraction(threshold))
        ok(f"round {round_.round_id}: {len(round_.rows)} projects to rate, draft")


@rating_group.command("rectify")
@click.argument("election_id")
@click.argument("round_id")
@click.option("--due", required=True, help="the date the reports are due, YYYY-MM-DD")
@click.option("--instructions", required=True, help="what the departments must do")
def rectify_command(election_id: str, round_id: str, due: str, instructions: str) -> None:
    """Order rectification of every project a published rating round flags."""
    with transaction() as s:
        made = rectification.order_rectifications(
            s, rounds.get_round(s, election_id, round_id), "presidium (CLI)", due=due,
            instructions=instructions)
        ok(f"{len(made)} rectification task(s) ordered: "
           + ", ".join(r.tracked.project.code for r in made))


@click.command("year-report")
@click.argument("election_id")
@click.option("--out", type=output_file, required=True, help="FILE.pdf or FILE.xlsx")
@click.option("--site", default="http://127.0.0.1:5000", show_default=True,
              help="public address the QR codes of the PDF point to")
def year_report_command(election_id: str, out: Path, site: str) -> None:
    """The year in one report: proposals, rounds, progress, ratings, rectification."""
    if out.suffix not in (".pdf", ".xlsx"):
        raise click.BadParameter("the report is written as .pdf or .xlsx", param_hint="--out")
    with transaction() as s:
        report = year_report(s, elections.get_election(s, election_id))
        base = site.rstrip("/")
        data = (year_report_xlsx(report) if out.suffix == ".xlsx" else year_report_pdf(
            report, lambda rid: f"{base}/results/{election_id}/{rid}"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    ok(f"wrote {out}")
