"""field actions: workflow actions sent from the phone carry a client id and are stored once

Revision ID: 0012_field_actions
Revises: 0006_monitoring

- ``case_action_receipts``: one row per workflow action sent with a ``client_id`` (责令整改, 办结回复
  queued offline on the inspector's phone): the case, the action, who sent it, a fingerprint of the
  body, the ``case_events`` row it made (written in the same transaction) and the answer given. A
  retry with the same id gets that answer again; the same id with another body is refused.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_field_actions"
down_revision: str | None = "0011_transfer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_action_receipts",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("case_event_id", sa.BigInteger(), sa.ForeignKey("case_events.id"), nullable=False, unique=True),
        sa.Column("answer", postgresql.JSONB(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_action_receipts")
