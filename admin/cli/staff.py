"""``piaojue staff add``: staff accounts with roles."""

from __future__ import annotations

import os
from pathlib import Path

import click

from admin.cli.common import existing_file, ok, transaction
from ballot.services import staff


@click.group("staff")
def staff_group() -> None:
    """Staff accounts."""


@staff_group.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(staff.ROLES), help="repeat for several roles")
@click.option("--name", default="", help="display name")
@click.option("--department", default="",
              help="for the department role: the implementing department (like 住建局)")
@click.option("--password-file", type=existing_file,
              help="read the password from this file (else $PIAOJUE_STAFF_PASSWORD or a prompt)")
def add_command(username: str, roles: tuple[str, ...], name: str, department: str,
                password_file: Path | None) -> None:
    """Create a staff account; the password is stored only as a scrypt hash."""
    if password_file:
        password = password_file.read_text(encoding="utf-8").rstrip("\n")
    else:
        password = os.environ.get("PIAOJUE_STAFF_PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True)
    with transaction() as s:
        user = staff.create_staff(s, username, password, list(roles), name, department)
        ok(f"staff account {user.username} ({user.roles})")
