"""``piaojue db upgrade``: the schema through Alembic migrations."""

from __future__ import annotations

import click

from admin.cli.common import ok, sessions
from ballot.schema import upgrade


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def upgrade_command() -> None:
    """Create or migrate the database to the newest schema."""
    engine = sessions().kw["bind"]
    upgrade(engine)
    ok(f"database {engine.url.render_as_string(hide_password=True)} is up to date")
