"""The ``piaojue`` command line: one module per command group.

Click comes with Flask, so the CLI costs no extra dependency, and later the
web commands (``serve``) join the same group.
"""

from __future__ import annotations

import click

from admin.cli.db import db_group
from admin.cli.election import election_group, projects_group, roster_group
from admin.cli.record import record_group, verify_command
from admin.cli.rounds import credentials_group, round_group
from admin.cli.serve import serve_command
from admin.cli.simulate import demo_command, simulate_command
from admin.cli.staff import staff_group
from admin.cli.trustee import trustee_group
from admin.cli.year import rating_group, tracked_command, year_report_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Piaojue 票决: verifiable voting for livelihood projects."""


for command in (db_group, election_group, roster_group, projects_group, round_group,
                credentials_group, trustee_group, record_group, verify_command,
                simulate_command, demo_command, serve_command, staff_group, rating_group,
                year_report_command):
    main.add_command(command)
projects_group.add_command(tracked_command)
