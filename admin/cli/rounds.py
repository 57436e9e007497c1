"""``piaojue round ...`` and ``piaojue credentials ...``: the session day from the CLI."""

from __future__ import annotations

import csv
import os
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
from ballot.errors import N_, InvalidInput
from ballot.services import credentials, elections, fields, roster, rounds
from ballot.services import tally as tallying


@click.group("round")
def round_group() -> None:
    """Create, open, close and count a round."""


def parse_fraction(text: str) -> tuple[int, int]:
    """``--threshold``: the one fraction parser (ballot.services.fields), as a usage error."""
    try:
        return fields.fraction(text, N_("the satisfaction threshold"))
    except InvalidInput as exc:
        raise click.BadParameter(speak(exc)) from None


@round_group.command("create")
@click.argument("election_id")
@click.argument("round_id")
@click.option("--kind", type=click.Choice(["selection", "rating"]), default="selection",
              show_default=True)
@click.option("--title", required=True)
@click.option("--projects", "codes", required=True, help="project codes in ballot order: P01,P02,…")
@click.option("--seats", type=int, help="selection: projects to choose (K)")
@click.option("--basis", type=click.Choice(["enrolled", "cast"]), default="enrolled",
              show_default=True, help="selection: majority of enrolled deputies or of ballots")
@click.option("--options", type=click.Choice(["for,against", "for"]), default="for,against",
              show_default=True)
@click.option("--threshold", default="4/5", show_default=True,
              help="rating: satisfaction threshold as a fraction")
def create_command(election_id: str, round_id: str, kind: str, title: str, codes: str,
                   seats: int | None, basis: str, options: str, threshold: str) -> None:
    """Create a draft round over the given projects."""
    with transaction() as s:
        election = elections.get_election(s, election_id)
        by_code = {p.code: p.id for p in roster.list_projects(s, election)}
        wanted = [c.strip() for c in codes.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in by_code]
        if unknown:
            raise InvalidInput("no project with code %(unknown)s", unknown=', '.join(unknown))
        round_ = rounds.create_round(
            s, election, round_id=round_id, kind=kind, title=title,
            project_ids=[by_code[c] for c in wanted], seats=seats, basis=basis,
            options=tuple(options.split(",")), threshold=parse_fraction(threshold))
        ok(f"round {round_.round_id}: {len(wanted)} rows, draft")


@round_group.command("checkin")
@click.argument("election_id")
@click.argument("round_id")
@click.argument("seats", nargs=-1)
@click.option("--all-present", is_flag=True, help="mark every deputy not on leave present")
def checkin_command(election_id: str, round_id: str, seats: tuple[str, ...],
                    all_present: bool) -> None:
    """Mark deputies present by seat number."""
    if not seats and not all_present:
        raise click.UsageError("name the seats to check in, or use --all-present")
    with transaction() as s:
        election = elections.get_election(s, election_id)
        round_ = rounds.get_round(s, election_id, round_id)
        deputies = ([d for d in roster.list_deputies(s, election) if not d.on_leave]
                    if all_present else [roster.get_deputy(s, election, seat) for seat in seats])
        for deputy in deputies:
            rounds.check_in(s, round_, deputy)
        present, required = rounds.present_count(s, round_), rounds.quorum_required(s, round_)
        if present >= required:
            ok(f"{present} present; quorum of {required} met")
        else:
            click.echo(f"⚠ {present} present; quorum of {required} NOT met yet")


@round_group.command("open")
@click.argument("election_id")
@click.argument("round_id")
def open_command(election_id: str, round_id: str) -> None:
    """Open for voting (needs quorum and a finished key ceremony)."""
    with transaction() as s:
        rounds.open_round(s, rounds.get_round(s, election_id, round_id))
    ok(f"round {round_id} is open")


@round_group.command("close")
@click.argument("election_id")
@click.argument("round_id")
def close_command(election_id: str, round_id: str) -> None:
    """Close voting and show the reconciliation (应到 ≥ 实到 ≥ 发出 ≥ 收回)."""
    with transaction() as s:
        round_ = rounds.close_round(s, rounds.get_round(s, election_id, round_id))
        issued, cast = rounds.issued_count(s, round_), rounds.cast_count(s, round_)
        enrolled = rounds.enrolled_count(s, round_.election)
    ok(f"round {round_id} is closed: 应到 enrolled {enrolled} ≥ 实到 present "
       f"{round_.present} ≥ 发出 issued {issued} ≥ 收回 cast {cast}")


@round_group.command("publish")
@click.argument("election_id")
@click.argument("round_id")
def publish_command(election_id: str, round_id: str) -> None:
    """Publish a counted round."""
    with transaction() as s:
        tallying.publish(s, rounds.get_round(s, election_id, round_id))
    ok(f"round {round_id} is published")


@round_group.command("tally-request")
@click.argument("election_id")
@click.argument("round_id")
@click.option("--out", type=output_file, required=True)
def tally_request_command(election_id: str, round_id: str, out: Path) -> None:
    """Write the decryption request each trustee takes offline."""
    with transaction() as s:
        request = tallying.decryption_request(s, rounds.get_round(s, election_id, round_id))
    write_json(out, request)
    ok(f"wrote {out}: give it to the trustees (`piaojue trustee decrypt`)")


@round_group.command("import-share")
@click.argument("election_id")
@click.argument("round_id")
@click.argument("files", type=existing_file, nargs=-1, required=True)
def import_share_command(election_id: str, round_id: str, files: tuple[Path, ...]) -> None:
    """Take trustees' decryption shares; each proof is checked, a wrong one refused."""
    for path in files:
        doc = read_json(path)
        with transaction() as s:
            row = tallying.import_share(s, rounds.get_round(s, election_id, round_id), doc)
        ok(f"{path.name}: trustee {row.trustee_index}'s share verifies")


@round_group.command("combine")
@click.argument("election_id")
@click.argument("round_id")
def combine_command(election_id: str, round_id: str) -> None:
    """Combine t shares into counts and compute the result (PROTOCOL.md §10)."""
    from admin.cli.report import print_result

    with transaction() as s:
        result = tallying.combine(s, rounds.get_round(s, election_id, round_id))
        kind = rounds.get_round(s, election_id, round_id).kind.value
    print_result(kind, result)


@round_group.command("followup")
@click.argument("election_id")
@click.argument("round_id")
@click.option("--new-id", required=True, help="id of the runoff or further round")
@click.option("--title", required=True)
def followup_command(election_id: str, round_id: str, new_id: str, title: str) -> None:
    """Create the runoff (tied rows) or further round (unfilled seats) the result calls for."""
    with transaction() as s:
        new = tallying.create_followup(s, rounds.get_round(s, election_id, round_id), new_id,
                                       title)
        ok(f"round {new.round_id}: {', '.join(r.project.code for r in new.rows)} for "
           f"{new.seats} seat(s), draft")


@click.group("credentials")
def credentials_group() -> None:
    """Voting credentials: generate offline, upload public keys, void lost slips."""


@credentials_group.command("generate")
@click.option("--election", "election_id", required=True)
@click.option("--round", "round_id", required=True)
@click.option("--count", type=click.IntRange(1, credentials.MAX_BATCH), required=True)
@click.option("--codes-out", type=output_file, required=True,
              help="CSV of codes to print on slips: keep it off the server")
@click.option("--keys-out", type=output_file, required=True,
              help="public keys to upload with `credentials upload`")
def generate_command(election_id: str, round_id: str, count: int, codes_out: Path,
                     keys_out: Path) -> None:
    """Make slips on a machine apart from the server (no database is touched)."""
    slips = credentials.make_slips(election_id, round_id, count)
    try:  # created private, never over an existing file
        fd = os.open(codes_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{codes_out} exists: refusing to overwrite codes") from None
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["slip", "code", "key_tag", "public_key"])
        writer.writerows([n, slip.code, credentials.counterfoil_tag(slip.public_key),
                          slip.public_key] for n, slip in enumerate(slips, 1))
    write_json(keys_out, credentials.keys_document(election_id, round_id,
                                                   [slip.public_key for slip in slips]))
    ok(f"{count} slips: codes in {codes_out} (print, then destroy), keys in {keys_out}")


@credentials_group.command("upload")
@click.argument("election_id")
@click.argument("round_id")
@click.argument("keys_file", type=existing_file)
def upload_command(election_id: str, round_id: str, keys_file: Path) -> None:
    """Issue the public keys of offline-made slips (a `credentials` board entry)."""
    with transaction() as s:
        round_ = rounds.get_round(s, election_id, round_id)
        keys = credentials.keys_in_document(read_json(keys_file), round_)
        entry = credentials.issue(s, round_, keys)
        ok(f"board entry {entry.index}: {len(keys)} credentials issued")


@credentials_group.command("void")
@click.argument("election_id")
@click.argument("round_id")
@click.argument("slip")
def void_command(election_id: str, round_id: str, slip: str) -> None:
    """Strike off a lost slip, by the key tag on its counterfoil or its public key (it must be
    unused)."""
    with transaction() as s:
        round_ = rounds.get_round(s, election_id, round_id)
        entry = credentials.void(s, round_, credentials.resolve_key(s, round_, slip))
        ok(f"board entry {entry.index}: credential voided")
