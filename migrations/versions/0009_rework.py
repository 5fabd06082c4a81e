"""rework and contacts: a repeat reopens a recently closed case; revisit methods; the contact log

Revision ID: 0009_rework
Revises: 0006_monitoring

- ``cases.rework_count``: how many times a repeat complaint reopened the case after it was closed (返工).
- ``revisits.method``: how the complainant was revisited (phone, site, sms), null for revisits recorded before.
- ``case_contacts``: every contact with the complainant of a case (date, method, who, summary); append-only
  like the case history.
- ``ix_case_events_action_at``: the period figures count events of one kind in a time range (closings,
  replies, reopenings, acceptances).
- The webhook outbox announces a reopening by a repeat (case event ``reopen``) as ``case.reopened``, like an
  unsatisfied revisit's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_rework"
down_revision: str | None = "0006_monitoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METHODS = ("phone", "site", "sms")

# The webhook trigger of 0006_webhooks, with the rework event; ``{reopen}`` is filled in below.
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
                     WHEN 'answer' THEN 'case.closed' {reopen}END),
      (CASE WHEN n.action = 'revisit' AND (n.data->>'reopened') = 'true' THEN 'case.reopened' END),
      (CASE WHEN n.action = 'revisit' AND n.data ? 'supervisor_id' THEN 'case.red' END)
    ) AS ev(event)
    WHERE ev.event IS NOT NULL
  ) e
  JOIN webhooks w ON w.active AND e.event = ANY (w.events);
  RETURN NULL;
END $$;
"""


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.add_column("cases", sa.Column("rework_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column("revisits", sa.Column("method", sa.String(length=16), nullable=True))
    op.create_check_constraint("ck_revisits_method", "revisits", f"method IN ({_in(METHODS)})")
    op.create_table(
        "case_contacts",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("by_name", sa.String(length=128), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(f"method IN ({_in(METHODS)})", name="ck_case_contacts_method"),
    )
    op.execute("CREATE TRIGGER case_contacts_append_only BEFORE UPDATE OR DELETE ON case_contacts "
               "FOR EACH ROW EXECUTE FUNCTION ecogrid_append_only()")
    op.execute("CREATE TRIGGER case_contacts_no_truncate BEFORE TRUNCATE ON case_contacts "
               "FOR EACH STATEMENT EXECUTE FUNCTION ecogrid_append_only()")
    op.execute(ENQUEUE.replace("{reopen}", "WHEN 'reopen' THEN 'case.reopened' "))
    op.create_index("ix_case_events_action_at", "case_events", ["action", "at"])


def downgrade() -> None:
    op.drop_index("ix_case_events_action_at", table_name="case_events")
    op.execute(ENQUEUE.replace("{reopen}", ""))
    op.execute("DROP TRIGGER IF EXISTS case_contacts_no_truncate ON case_contacts")
    op.execute("DROP TRIGGER IF EXISTS case_contacts_append_only ON case_contacts")
    op.drop_table("case_contacts")
    op.drop_constraint("ck_revisits_method", "revisits", type_="check")
    op.drop_column("revisits", "method")
    op.drop_column("cases", "rework_count")
