"""``piaojue election ...``, ``roster ...``, ``projects ...``: setting up the year."""

from __future__ import annotations

from pathlib import Path

import click

from admin.cli.common import (
    existing_file,
    ok,
    output_file,
    read_json,
    speak,
    transaction,
    write_json,
)
from admin.config import at_rest_key
from ballot.errors import N_
from ballot.services import ceremony, elections, fields, roster


@click.group("election")
def election_group() -> None:
    """Create an election and run its key ceremony (server side)."""


@election_group.command("create")
@click.option("--id", "election_id", required=True, help="short id, e.g. xiangjiang-2026")
@click.option("--name", required=True,
              help="congress name, e.g. 湘江区第十八届人民代表大会第六次会议")
@click.option("--level", type=click.Choice(elections.LEVELS), required=True)
@click.option("--year", type=int, required=True)
@click.option("--trustee", "trustees", multiple=True, required=True,
              help="a trustee's name; repeat once per trustee, in order")
@click.option("--threshold", type=int, required=True, help="trustees needed to decrypt")
@click.option("--candidate-ratio", default="1/5:1/2", show_default=True,
              help="差额: extra candidates per seat, fewest:most (80 for 10 seats is 1/5:7/1)")
def create_command(election_id: str, name: str, level: str, year: int,
                   trustees: tuple[str, ...], threshold: int, candidate_ratio: str) -> None:
    """Create a draft election with its trustees and a sealed receipt key."""
    fewest, _, most = candidate_ratio.partition(":")
    with transaction() as s:
        ratio = (fields.fraction(fewest, N_("the fewest extra candidates")),
                 fields.fraction(most, N_("the most extra candidates")))
        election = elections.create_election(
            s, election_id=election_id, congress_name=name, level=level, year=year,
            trustee_names=list(trustees), threshold=threshold, at_rest=at_rest_key(),
            candidate_ratio=ratio)
        ok(f"election {election.id}: {election.trustees_n} trustees, threshold "
           f"{election.threshold}; receipt key {election.receipt_public_key[:16]}…")


@election_group.command("status")
@click.argument("election_id")
def status_command(election_id: str) -> None:
    """Show the election's state and each trustee's ceremony progress."""
    with transaction() as s:
        election = elections.get_election(s, election_id)
        click.echo(f"{election.id}  {election.congress_name}  ({election.state.value})")
        for t in election.trustees:
            steps = [("transport", t.transport_key is not None),
                     ("commit", t.commitment is not None), ("verify", t.verified)]
            marks = "  ".join(f"{'✔' if done else '·'} {name}" for name, done in steps)
            complaint = (f"  ✘ complains about trustee {t.complaint_against}"
                         if t.complaint_against else "")
            click.echo(f"  trustee {t.index} {t.name}: {marks}{complaint}")
        if election.joint_key:
            click.echo(f"  joint key {election.joint_key}")
        for r in election.rounds:
            click.echo(f"  round {r.round_id} ({r.kind.value}): {r.state.value}")


@election_group.command("export-ceremony")
@click.argument("election_id")
@click.option("--out", type=output_file, required=True)
def export_ceremony_command(election_id: str, out: Path) -> None:
    """Write the public ceremony file that every trustee downloads."""
    with transaction() as s:
        write_json(out, ceremony.ceremony_document(s, elections.get_election(s, election_id)))
    ok(f"wrote {out}")


@election_group.command("import")
@click.argument("election_id")
@click.argument("files", type=existing_file, nargs=-1, required=True)
def import_command(election_id: str, files: tuple[Path, ...]) -> None:
    """Take trustee files (transport key, commitment, shares, verification), in order."""
    for path in files:
        doc = read_json(path)
        with transaction() as s:
            step = ceremony.import_trustee_file(s, elections.get_election(s, election_id),
                                                doc)
        if step.complaint:  # committed above: the complaint is stored and stops the ceremony
            raise click.ClickException(speak(step.message))
        ok(f"{path.name}: {speak(step.message)}")


@click.group("roster")
def roster_group() -> None:
    """The deputies' roster."""


@roster_group.command("import")
@click.argument("election_id")
@click.argument("file", type=existing_file)
@click.option("--dry-run", is_flag=True, help="check every row, import nothing")
def roster_import_command(election_id: str, file: Path, dry_run: bool) -> None:
    """Import deputies from CSV or XLSX (columns 座位号/seat, 姓名/name, 代表团/delegation)."""
    with transaction() as s:
        added = roster.import_deputies(s, elections.get_election(s, election_id),
                                       file.read_bytes(), file.name, dry_run=dry_run)
    done = "are valid (dry run: nothing imported)" if dry_run else "imported"
    ok(f"{len(added)} deputies {done}")


@click.group("projects")
def projects_group() -> None:
    """Candidate projects."""


@projects_group.command("import")
@click.argument("election_id")
@click.argument("file", type=existing_file)
@click.option("--dry-run", is_flag=True, help="check every row, import nothing")
def projects_import_command(election_id: str, file: Path, dry_run: bool) -> None:
    """Import projects from CSV or XLSX.

    Columns: 编号/code, 项目名称/title, 类别, 估算金额 (万元), 地点, 实施单位.
    """
    with transaction() as s:
        election = elections.get_election(s, election_id)
        if dry_run:
            roster.import_projects(s, election, file.read_bytes(), file.name, dry_run=True)
            ok("every row is valid (dry run: nothing imported)")
            return
        added = roster.import_projects(s, election, file.read_bytes(), file.name)
    ok(f"{len(added)} projects imported")


@projects_group.command("list")
@click.argument("election_id")
def projects_list_command(election_id: str) -> None:
    with transaction() as s:
        for p in roster.list_projects(s, elections.get_election(s, election_id)):
            cost = f"{p.cost_wan}万元" if p.cost_wan is not None else ""
            click.echo(f"{p.code}  {p.title}  {p.category}  {cost}  {p.department}")
