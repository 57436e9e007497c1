"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect

from ballot.db import Base
from ballot.schema import alembic_config


def test_migrations_match_the_models(engine: Engine) -> None:
    """`alembic check` fails when a model changed without a migration."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.check(config)
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)


def test_one_board_index_per_round_is_enforced_by_the_database(engine: Engine) -> None:
    """The constraint that forbids a fork lives in the database, not only in Python."""
    constraints = inspect(engine).get_unique_constraints("board_entry")
    assert any(set(c["column_names"]) == {"round_pk", "index"} for c in constraints)
    credential = inspect(engine).get_unique_constraints("credential")
    assert any(set(c["column_names"]) == {"round_pk", "public_key"} for c in credential)
