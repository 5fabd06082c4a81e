"""webhooks: subscriptions, a transactional outbox filled by the database, a delivery log; updated_at columns

Revision ID: 0006_webhooks
Revises: 0005_teams

Every workflow step writes a ``case_events`` row; a statement-level trigger on that table puts one outbox
row per subscribed webhook in the same transaction, so an event is queued exactly when its step commits and
never when it rolls back. Deliveries leave the outbox later, outside any request (``ecogrid.webhooks``).
``webhook_case_marks`` remembers which cases have been announced overdue, so each is announced once.

``updated_at`` on cases, complaints and inspections (kept by a trigger on every UPDATE) backs the
``updated_since`` filter of their lists: an integrator's change feed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "0006_webhooks"
down_revision: str | None = "0005_teams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Which workflow step announces which event; a revisit announces a reopening or the red (supervision) mark.
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
                     WHEN 'answer' THEN 'case.closed' END),
      (CASE WHEN n.action = 'revisit' AND (n.data->>'reopened') = 'true' THEN 'case.reopened' END),
      (CASE WHEN n.action = 'revisit' AND n.data ? 'supervisor_id' THEN 'case.red' END)
    ) AS ev(event)
    WHERE ev.event IS NOT NULL
  ) e
  JOIN webhooks w ON w.active AND e.event = ANY (w.events);
  RETURN NULL;
END $$;
"""

TOUCH = """
CREATE OR REPLACE FUNCTION ecogrid_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("events", ARRAY(sa.String(32)), nullable=False),
        sa.Column("description", sa.String(200)),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("created_by_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("webhook_id", sa.Integer, sa.ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("case_event_id", sa.BigInteger),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.dialects.postgresql.JSONB),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("dead", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("last_error", sa.Text),
    )
    op.execute("CREATE INDEX ix_webhook_outbox_due ON webhook_outbox (next_attempt_at, id) "
               "WHERE delivered_at IS NULL AND NOT dead")
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("outbox_id", sa.BigInteger, sa.ForeignKey("webhook_outbox.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("webhook_id", sa.Integer, sa.ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("duration_ms", sa.Integer, nullable=False),
    )
    op.create_table(
        "webhook_case_marks",
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("event", sa.String(32), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.execute(ENQUEUE)
    op.execute("CREATE TRIGGER case_events_webhooks AFTER INSERT ON case_events REFERENCING NEW TABLE AS new_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION ecogrid_webhook_enqueue()")

    op.execute(TOUCH)
    for table, since in [("cases", "created_at"), ("complaints", "created_at"), ("inspections", "submitted_at")]:
        op.add_column(table, sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE {table} SET updated_at = {since}")
        op.alter_column(table, "updated_at", nullable=False, server_default=sa.func.now())
        op.create_index(f"ix_{table}_updated_at", table, ["updated_at", "id"])
        op.execute(f"CREATE TRIGGER {table}_touch BEFORE UPDATE ON {table} FOR EACH ROW "
                   f"EXECUTE FUNCTION ecogrid_touch_updated_at()")
    # A case's last step counts as its change even when the row itself was written earlier.
    op.execute("UPDATE cases c SET updated_at = greatest(c.updated_at, e.last) FROM "
               "(SELECT case_id, max(at) AS last FROM case_events GROUP BY case_id) e WHERE e.case_id = c.id")


def downgrade() -> None:
    for table in ("cases", "complaints", "inspections"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_touch ON {table}")
        op.drop_index(f"ix_{table}_updated_at", table_name=table)
        op.drop_column(table, "updated_at")
    op.execute("DROP FUNCTION IF EXISTS ecogrid_touch_updated_at()")
    op.execute("DROP TRIGGER IF EXISTS case_events_webhooks ON case_events")
    op.execute("DROP FUNCTION IF EXISTS ecogrid_webhook_enqueue()")
    for table in ("webhook_case_marks", "webhook_deliveries", "webhook_outbox", "webhooks"):
        op.drop_table(table)
