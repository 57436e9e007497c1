"""``piaojue verify``: check a round's election record from the record alone."""

from __future__ import annotations

from pathlib import Path

import click

from admin.cli.report import print_report
from ballot.verifier import RecordInvalid, verify_record


@click.command("verify")
@click.argument("record", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_command(record: Path) -> None:
    """Verify RECORD (a round's election record zip); exit 1 naming any difference."""
    try:
        report = verify_record(record)
    except RecordInvalid as exc:
        click.echo(f"✘ the record does not verify: {exc}", err=True)
        raise SystemExit(1) from None
    print_report(report)
