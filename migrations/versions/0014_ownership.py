"""ownership: a leader owns a key case (领导包案), the backlog ledger (信访积案)

Revision ID: 0014_ownership
Revises: 0012_field_actions

- ``cases.owner_id``: the leader (a chief or admin) who owns the case to the end; each naming is a
  ``case_events`` row (``own``).
- ``cases.backlog``: ``listed`` once a chief put the case on the backlog ledger, ``left`` once a chief
  took it off; null when no decision was recorded (a chronic repeat is then listed by the rule in
  ``ecogrid.cases.rules``). ``backlog_reason`` the last decision's reason, ``backlog_focused`` the
  focused-drive flag (集中攻坚), ``backlog_at`` when the last decision was taken.
- ``duty_roster``: who is on duty (值班) from when to when; ``cases.duty_user_id``: the person on duty
  an urgent complaint received out of hours was recorded for at intake.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_ownership"
down_revision: str | None = "0013_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True))
    op.create_index("ix_cases_owner_id", "cases", ["owner_id"], postgresql_where=sa.text("owner_id IS NOT NULL"))
    op.add_column("cases", sa.Column("backlog", sa.String(8), nullable=True))
    op.add_column("cases", sa.Column("backlog_reason", sa.Text(), nullable=True))
    op.add_column("cases", sa.Column("backlog_focused", sa.Boolean(), server_default="false", nullable=False))
    op.add_column("cases", sa.Column("backlog_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint("ck_cases_backlog", "cases", "backlog IN ('listed', 'left')")
    # The backlog ledger's condition (ecogrid.cases.rules.on_backlog_sql with CHRONIC_COMPLAINTS = 5): the few
    # cases on it are found without reading the whole table.
    op.create_index("ix_cases_on_backlog", "cases", ["id"], postgresql_where=sa.text(
        "backlog = 'listed' OR (backlog IS NULL AND repeat_count + 1 >= 5)"))
    op.create_table(
        "duty_roster",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name="ck_duty_roster_period"),
        sa.UniqueConstraint("user_id", "starts_at", "ends_at", name="uq_duty_roster_shift"),
    )
    op.create_index("ix_duty_roster_period", "duty_roster", ["starts_at", "ends_at"])
    op.add_column("cases", sa.Column("duty_user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True))


def downgrade() -> None:
    op.drop_column("cases", "duty_user_id")
    op.drop_index("ix_duty_roster_period", table_name="duty_roster")
    op.drop_table("duty_roster")
    op.drop_index("ix_cases_on_backlog", table_name="cases")
    op.drop_constraint("ck_cases_backlog", "cases", type_="check")
    for column in ("backlog_at", "backlog_focused", "backlog_reason", "backlog"):
        op.drop_column("cases", column)
    op.drop_index("ix_cases_owner_id", table_name="cases")
    op.drop_column("cases", "owner_id")
