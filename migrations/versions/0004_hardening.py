"""hardening: histories refuse TRUNCATE, tokens can be revoked, sign-in attempts are kept

Revision ID: 0004
Revises: 0003

``case_events`` and ``audit_log`` already refuse UPDATE and DELETE row by row; a statement-level
trigger now refuses TRUNCATE as well, which row triggers never see.

``users.token_version`` is written into every signed token and compared on every request: signing
out (or an admin disabling a user) raises it, so every token issued before stops working at once.

``sign_in_attempts`` keeps each attempt (user name as typed, client address, outcome) so that
throttling holds across server processes and an operator can see a guessing attack.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("case_events", "audit_log")


def upgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ecogrid_append_only()"
        )
    op.add_column("users", sa.Column("token_version", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_sign_in_attempts_username_at", "sign_in_attempts", ["username", "at"])
    op.create_index("ix_sign_in_attempts_client_at", "sign_in_attempts", ["client", "at"])


def downgrade() -> None:
    op.drop_table("sign_in_attempts")
    op.drop_column("users", "token_version")
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
