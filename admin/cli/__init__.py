"""The ``piaojue`` command line: one module per command group.

Click comes with Flask, so the CLI costs no extra dependency, and later the
web commands (``serve``, ``db upgrade``) join the same group.
"""

from __future__ import annotations

import click

from admin.cli.record import verify_command
from admin.cli.simulate import demo_command, simulate_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Piaojue 票决: verifiable voting for livelihood projects."""


main.add_command(simulate_command)
main.add_command(verify_command)
main.add_command(demo_command)
