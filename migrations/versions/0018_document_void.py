"""voided case documents: a document withdrawn keeps its number and page, with who voided it, when and why

Revision ID: 0018_document_void
Revises: 0017_revisit_tasks

- ``case_documents.voided_at``, ``voided_by_id``, ``void_reason``: a document issued in error is voided (作废),
  never deleted, so its number stays accounted for; the printed page then carries the void stamp. A check keeps
  the three together.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_document_void"
down_revision: str | None = "0017_revisit_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("case_documents", sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("case_documents", sa.Column("voided_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True))
    op.add_column("case_documents", sa.Column("void_reason", sa.Text(), nullable=True))
    op.create_check_constraint("ck_case_documents_void_whole", "case_documents",
                               "(voided_at IS NULL) = (void_reason IS NULL)")


def downgrade() -> None:
    op.drop_constraint("ck_case_documents_void_whole", "case_documents", type_="check")
    op.drop_column("case_documents", "void_reason")
    op.drop_column("case_documents", "voided_by_id")
    op.drop_column("case_documents", "voided_at")
