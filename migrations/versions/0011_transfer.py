"""transfer: work that leaves the bureau (退单, 转办, 移交公安) and bodies that handle a case with it (会同)

Revision ID: 0011_transfer
Revises: 0006_monitoring

``departments`` is the registry of the other bodies (name, kind, contact person, phone). A case
returned to the platform keeps its reason code (``cases.return_reason``); a transferred or handed
over case keeps whom it went to and why (``cases.transferred_to_id``, ``cases.transfer_reason``),
and the case history holds the when and who. ``case_co_handlers`` lists the bodies handling a case
jointly, once each.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_transfer"
down_revision: str | None = "0010_calendar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("contact_person", sa.String(64), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.add_column("cases", sa.Column("return_reason", sa.String(32), nullable=True))
    op.add_column("cases", sa.Column("transferred_to_id", sa.Integer(), sa.ForeignKey("departments.id"),
                                     nullable=True))
    op.add_column("cases", sa.Column("transfer_reason", sa.Text(), nullable=True))
    op.create_table(
        "case_co_handlers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("department_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("case_id", "department_id", name="uq_case_co_handlers_case_department"),
    )


def downgrade() -> None:
    op.drop_table("case_co_handlers")
    op.drop_column("cases", "transfer_reason")
    op.drop_column("cases", "transferred_to_id")
    op.drop_column("cases", "return_reason")
    op.drop_table("departments")
