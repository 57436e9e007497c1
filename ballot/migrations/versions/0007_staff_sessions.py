"""staff sessions held by the server, so that logout and disabling end them; rate-limit
claims that are pending until their request ends

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:05:00

A staff member's signed cookie now carries only a random token; the session it
names (``staff_session``, the token's SHA-256 and when it was last used) is what
logout, a password change and ``piaojue staff disable`` delete. A rate-limit
attempt is now claimed before the work it limits (``rate_event.pending`` until
its request ends), so that racing workers cannot all slip under a limit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_session_staff_id"), ["staff_id"],
                              unique=False)
    with op.batch_alter_table("rate_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("rate_event", schema=None) as batch_op:
        batch_op.drop_column("pending")
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_session_staff_id"))
    op.drop_table("staff_session")
