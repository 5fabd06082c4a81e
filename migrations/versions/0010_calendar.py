"""calendar: the official holiday schedules the bureau loads; unit-grid cells below every other zone level

Revision ID: 0010_calendar
Revises: 0006_monitoring

- ``calendar_days``: the days of a year's official schedule (the State Council's notice): each a
  holiday or a make-up working day (调休上班), with its name, the year it belongs to, when it was
  loaded and from which source. A year is loaded whole and replaced whole (``ecogrid calendar load``).
- zone level ``cell`` (单元网格): the cells ``ecogrid zones grid`` generates, one level below the zone
  they cover and below every other level, so the zone lookup (the deepest zone) gives them the points
  inside. ``ecogrid_zone_depth`` ranks it 4. Cells generated before (level ``grid``, code
  ``<parent>-NNNN-NNNN``) become ``cell`` and take their parent's officer and noise class where they
  have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_calendar"
down_revision: str | None = "0009_rework"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_LEVELS = ("district", "street", "grid")
NEW_LEVELS = (*OLD_LEVELS, "cell")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _depth_function(levels_sql: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION ecogrid_zone_depth(level text) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE level {levels_sql} ELSE 0 END
        $$
        """


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name="ck_calendar_days_kind"),
        sa.CheckConstraint("year = extract(year FROM day)", name="ck_calendar_days_year"),
    )
    op.create_index("ix_calendar_days_year", "calendar_days", ["year"])

    op.drop_constraint("ck_zones_level", "zones", type_="check")
    op.create_check_constraint("ck_zones_level", "zones", f"level IN ({_in(NEW_LEVELS)})")
    op.execute(_depth_function("WHEN 'cell' THEN 4 WHEN 'grid' THEN 3 WHEN 'street' THEN 2 WHEN 'district' THEN 1"))
    op.execute(
        """
        UPDATE zones z SET level = 'cell', officer_id = coalesce(z.officer_id, p.officer_id),
               noise_class = coalesce(z.noise_class, p.noise_class), updated_at = now()
        FROM zones p
        WHERE z.parent_id = p.id AND z.level = 'grid' AND z.code LIKE p.code || '-____-____'
          AND z.code ~ '-[0-9]{4}-[0-9]{4}$'
        """
    )


def downgrade() -> None:
    op.execute("UPDATE zones SET level = 'grid' WHERE level = 'cell'")
    op.execute(_depth_function("WHEN 'grid' THEN 3 WHEN 'street' THEN 2 WHEN 'district' THEN 1"))
    op.drop_constraint("ck_zones_level", "zones", type_="check")
    op.create_check_constraint("ck_zones_level", "zones", f"level IN ({_in(OLD_LEVELS)})")
    op.drop_index("ix_calendar_days_year", table_name="calendar_days")
    op.drop_table("calendar_days")
