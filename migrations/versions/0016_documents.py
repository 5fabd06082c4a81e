"""case documents: the rectification notice and the reply letter, numbered per kind and year

Revision ID: 0016_documents
Revises: 0015_xdistrict

- ``document_counters``: the last number issued of each kind of document in each year (文号), bumped
  atomically by the issue (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), so two issues never share one.
- ``case_documents``: a document issued on a case: kind, year, serial and its printed number, when and by whom,
  the client id of the request (a retry finds the one stored) and the page as rendered then (a reprint is the
  same document whatever the case became since).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_documents"
down_revision: str | None = "0015_xdistrict"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "case_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("html", sa.Text(), nullable=False),
        sa.UniqueConstraint("kind", "year", "serial", name="uq_case_documents_kind_year_serial"),
        sa.UniqueConstraint("case_id", "client_id", name="uq_case_documents_case_client"),
    )


def downgrade() -> None:
    op.drop_table("case_documents")
    op.drop_table("document_counters")
