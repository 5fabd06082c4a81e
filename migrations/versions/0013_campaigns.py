"""campaigns: special campaigns (专项行动) with their zones, target units and cases; inspections may name one

Revision ID: 0013_campaigns
Revises: 0012_field_actions

- ``campaigns``: a named campaign (VOCs, 涉水企业, 异味, 中高考期间噪声, 固废 ...) over a period of Beijing
  days ``start_date``..``end_date`` (both inclusive), with the complaint categories it is about.
- ``campaign_zones``: the zones it covers (each with everything nested in it).
- ``campaign_sources``: its target units (pollution sources to be inspected during the period).
- ``campaign_cases``: the cases a chief has linked to it, by whom and when.
- ``inspections.campaign_id``: the campaign an inspection was made for, when the inspector says so.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013_campaigns"
down_revision: str | None = "0012_field_actions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name="ck_campaigns_period"),
    )
    op.create_table(
        "campaign_zones",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("zone_id", sa.Integer(), sa.ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "campaign_sources",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "campaign_cases",
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("added_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_campaign_cases_case_id", "campaign_cases", ["case_id"])
    op.add_column("inspections", sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaigns.id"), nullable=True))
    op.create_index("ix_inspections_campaign_id", "inspections", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_inspections_campaign_id", table_name="inspections")
    op.drop_column("inspections", "campaign_id")
    op.drop_index("ix_campaign_cases_case_id", table_name="campaign_cases")
    op.drop_table("campaign_cases")
    op.drop_table("campaign_sources")
    op.drop_table("campaign_zones")
    op.drop_table("campaigns")
