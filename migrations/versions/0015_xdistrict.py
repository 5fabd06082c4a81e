"""work that left the bureau announced to webhook subscribers; post-enforcement checks

Revision ID: 0015_xdistrict
Revises: 0012_field_actions

- The webhook outbox announces a return to the platform (case event ``return``, 退单) as ``case.returned``
  and a transfer or a handover to the police (``transfer``, ``handover``; 转办, 移交公安) as
  ``case.transferred``. Every mapping of 0009_rework stays; the downgrade puts 0009's function back.
- ``case_checks``: post-enforcement checks (执法后督察) a chief schedules on a concluded or closed case: the
  day, the inspector who goes, who scheduled it and why, and once done when, by whom and what was found.
  One check per case, inspector and day (a retried scheduling finds the one stored).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_xdistrict"
down_revision: str | None = "0014_ownership"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The webhook trigger function of 0009_rework; ``{left}`` is filled in below.
ENQUEUE = """
CREATE OR REPLACE FUNCTION ecogrid_webhook_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_outbox (webhook_id, event, case_id, case_event_id, occurred_at)
  SELECT w.id, e.event, e.case_id, e.id, e.at
  FROM (
    SELECT n.id, n.case_id, n.at, ev.event
    FROM new_events n
    CROSS JOIN LATERAL (VALUES
      (CASE n.action WHEN 'register' THEN 'case.registered' WHEN 'accept' THEN 'case.accepted'
                     WHEN 'reject' THEN 'case.rejected' WHEN 'dispatch' THEN 'case.dispatched'
                     WHEN 'reply' THEN 'case.replied' WHEN 'close' THEN 'case.closed'
                     WHEN 'answer' THEN 'case.closed' WHEN 'reopen' THEN 'case.reopened' {left}END),
      (CASE WHEN n.action = 'revisit' AND (n.data->>'reopened') = 'true' THEN 'case.reopened' END),
      (CASE WHEN n.action = 'revisit' AND n.data ? 'supervisor_id' THEN 'case.red' END)
    ) AS ev(event)
    WHERE ev.event IS NOT NULL
  ) e
  JOIN webhooks w ON w.active AND e.event = ANY (w.events);
  RETURN NULL;
END $$;
"""

LEFT = ("WHEN 'return' THEN 'case.returned' WHEN 'transfer' THEN 'case.transferred' "
        "WHEN 'handover' THEN 'case.transferred' ")


def upgrade() -> None:
    op.execute(ENQUEUE.replace("{left}", LEFT))
    op.create_table(
        "case_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("scheduled_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("finding", sa.Text(), nullable=True),
        sa.UniqueConstraint("case_id", "assignee_id", "due_on", name="uq_case_checks_case_assignee_day"),
    )


def downgrade() -> None:
    op.drop_table("case_checks")
    op.execute(ENQUEUE.replace("{left}", ""))
