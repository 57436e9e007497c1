"""the booth encrypts in the browser: no booth sessions, no slip numbers, held challenges

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:40:00

The server no longer keeps a deputy's code or marks between pages (the
sealed ``booth_session`` rows go), no longer keeps which slip number carries
which key (``credential.serial`` goes: the clerk's counterfoil carries it),
and holds challenged ballots until the round closes (``held_challenge``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("booth_session")
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.drop_constraint("uq_credential_round_serial", type_="unique")
        batch_op.drop_column("serial")
    op.create_table(
        "held_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_pk", sa.Integer(), nullable=False),
        sa.Column("entry_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["round_pk"], ["round.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("held_challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_held_challenge_round_pk"), ["round_pk"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("held_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_challenge_round_pk"))
    op.drop_table("held_challenge")
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.add_column(sa.Column("serial", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_credential_round_serial", ["round_pk", "serial"])
    op.create_table(
        "booth_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("round_pk", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["round_pk"], ["round.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
