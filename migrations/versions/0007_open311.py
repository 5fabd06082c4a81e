"""open311: what an Open311 client sends beside the complaint is kept, not dropped

Revision ID: 0006_open311
Revises: 0006_webhooks

GeoReport v2 clients send ``address_id`` (an address in the jurisdiction's address register),
``device_id``, ``account_id`` and the answers to a service's attributes (``attribute[code]``: for
odour its intensity and time of day, for noise its source and hours). ``open311_details`` keeps
them, one row per complaint that came in through Open311; the complaint row itself is unchanged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_open311"
down_revision: str | None = "0006_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "open311_details",
        sa.Column("complaint_id", sa.BigInteger(), sa.ForeignKey("complaints.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("address_id", sa.String(128), nullable=True),
        sa.Column("device_id", sa.String(128), nullable=True),
        sa.Column("account_id", sa.String(128), nullable=True),
        sa.Column("attributes", postgresql.JSONB(), server_default="{}", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("open311_details")
