"""``piaojue record export`` and ``piaojue verify``."""

from __future__ import annotations

from pathlib import Path

import click

from admin.cli.common import existing_file, ok, output_file, read_json, transaction
from admin.cli.progress import StageBars
from admin.cli.report import print_report
from ballot.record import RecordFormatError, read_record, write_record
from ballot.services import rounds
from ballot.services.export import record_files_for
from ballot.verifier import RecordInvalid, verify_receipt_doc, verify_record_steps


@click.group("record")
def record_group() -> None:
    """Election records."""


@record_group.command("export")
@click.argument("election_id")
@click.argument("round_id")
@click.option("--out", type=output_file, required=True)
@click.option("--no-receipts", is_flag=True, help="leave out receipts.jsonl")
def export_command(election_id: str, round_id: str, out: Path, no_receipts: bool) -> None:
    """Write one round's election record (PROTOCOL.md §9)."""
    with transaction() as s:
        files = record_files_for(s, rounds.get_round(s, election_id, round_id),
                                 with_receipts=not no_receipts)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_record(files, out)
    ok(f"wrote {out}")


@click.command("verify")
@click.argument("record", type=existing_file)
@click.option("--receipt", "receipts", type=existing_file, multiple=True,
              help="also check this receipt file ({receipt, signature}); repeatable")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="check ballots in this many processes (one per core is a good choice)")
@click.option("--quiet", is_flag=True, help="no progress bars")
def verify_command(record: Path, receipts: tuple[Path, ...], jobs: int, quiet: bool) -> None:
    """Verify RECORD from the file alone; exit 1 naming the first failure."""
    try:
        files = read_record(record)
        with StageBars(enabled=not quiet) as bars:
            verified = verify_record_steps(files, on_check=lambda m: click.echo(f"✔ {m}"),
                                           progress=bars, jobs=jobs)
    except (RecordInvalid, RecordFormatError) as exc:
        click.echo(f"✘ the record does not verify: {exc}", err=True)
        raise SystemExit(1) from None
    # The board just verified whole: each receipt is checked against its chain,
    # not by reading the board again.
    chain = verified.board.chain
    for path in receipts:
        try:
            index = verify_receipt_doc(chain, read_json(path))
        except RecordInvalid as exc:
            click.echo(f"✘ the receipt {path.name} does not match this record: {exc}",
                       err=True)
            raise SystemExit(1) from None
        ok(f"{path.name}: signed by the round's receipt key; ballot {index} is on the "
           "board as receipted")
    print_report(verified.report())
