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
    password = _password(password_file)
    with transaction() as s:
        user = staff.create_staff(s, username, password, list(roles), name, department)
        ok(f"staff account {user.username} ({user.roles})")


def _password(password_file: Path | None) -> str:
    if password_file:
        return password_file.read_text(encoding="utf-8").rstrip("\n")
    return os.environ.get("PIAOJUE_STAFF_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)


@staff_group.command("password")
@click.argument("username")
@click.option("--password-file", type=existing_file,
              help="read the password from this file (else $PIAOJUE_STAFF_PASSWORD or a prompt)")
def password_command(username: str, password_file: Path | None) -> None:
    """Set a new password; every open session of the account ends."""
    with transaction() as s:
        user = staff.set_password(s, username, _password(password_file))
        ok(f"new password for {user.username}; its sessions are ended")


@staff_group.command("disable")
@click.argument("username")
def disable_command(username: str) -> None:
    """Disable an account: it can no longer log in, and its open sessions end now."""
    with transaction() as s:
        user = staff.disable(s, username)
        ok(f"staff account {user.username} is disabled; its sessions are ended")
