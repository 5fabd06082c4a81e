"""revisit tasks: scheduled revisits after closing and quarterly sample revisits

Revision ID: 0017_revisit_tasks
Revises: 0015_xdistrict

- ``revisit_tasks``: the clerk's revisits of closed cases (回访). ``scheduled`` (定期回访): a set number of days
  after a closing; ``sample`` (抽查回访): a seeded random sample of the cases closed in a quarter (the quarter
  and the seed are kept, so the draw can be replayed). Done when a contact with the complainant is recorded on
  the case (``contact_id``) or marked done with a note. One task per case, kind and day (generation is
  idempotent).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_revisit_tasks"
down_revision: str | None = "0016_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revisit_tasks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("quarter", sa.String(6), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), sa.ForeignKey("case_contacts.id"), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('scheduled', 'sample')", name="ck_revisit_tasks_kind"),
        sa.UniqueConstraint("case_id", "kind", "due_on", name="uq_revisit_tasks_case_kind_day"),
    )
    op.create_index("ix_revisit_tasks_open", "revisit_tasks", ["due_on"], postgresql_where=sa.text("done_at IS NULL"))


def downgrade() -> None:
    op.drop_table("revisit_tasks")
