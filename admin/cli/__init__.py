"""The ``piaojue`` command line: one module per command group.

Commands are loaded when they are run, not at start-up: each module imports what
it needs (Flask, SQLAlchemy, fpdf, the crypto), so ``piaojue --help`` answers at
once and ``piaojue verify`` loads the verifier only. ``COMMANDS`` names each
command's module and its one-line help (tests/test_cli.py checks that each line
is the command's own).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

COMMANDS: dict[str, tuple[str, str, str]] = {
    "db": ("admin.cli.db", "db_group", "Database schema."),
    "election": ("admin.cli.election", "election_group",
                 "Create an election and run its key ceremony (server side)."),
    "roster": ("admin.cli.election", "roster_group", "The deputies' roster."),
    "projects": ("admin.cli.election", "projects_group", "Candidate projects."),
    "round": ("admin.cli.rounds", "round_group", "Create, open, close and count a round."),
    "credentials": ("admin.cli.rounds", "credentials_group",
                    "Voting credentials: generate offline, upload public keys, void lost slips."),
    "trustee": ("admin.cli.trustee", "trustee_group",
                "Trustee steps, run offline: init, commit, shares, verify, decrypt."),
    "record": ("admin.cli.record", "record_group", "Election records."),
    "verify": ("admin.cli.record", "verify_command",
               "Verify RECORD from the file alone; exit 1 naming the first failure."),
    "simulate": ("admin.cli.simulate", "simulate_command",
                 "Rehearse a whole round through the real services and write its record."),
    "demo": ("admin.cli.simulate", "demo_command",
             "Seed a demo congress (instance/demo.sqlite), verify its record, serve it."),
    "serve": ("admin.cli.serve", "serve_command",
              "Serve the public pages, the booth and the staff pages."),
    "staff": ("admin.cli.staff", "staff_group", "Staff accounts."),
    "rating": ("admin.cli.year", "rating_group", "Rating rounds (评单) and rectification."),
    "year-report": ("admin.cli.year", "year_report_command",
                    "The year in one report: proposals, rounds, progress, ratings, "
                    "rectification."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported only when one of them is run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        command: click.Command = getattr(importlib.import_module(module), attr)
        if name == "projects" and isinstance(command, click.Group):
            from admin.cli.year import tracked_command

            command.add_command(tracked_command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main(**_: Any) -> None:
    """Piaojue 票决: verifiable voting for livelihood projects."""
