"""intake: one definition of "which zone owns this point", and the indexes intake searches by

Revision ID: 0002
Revises: 0001

``ecogrid_zone_at(point)`` returns the deepest zone covering a point (grid > street > district);
a point on a border shared by zones of the same level goes to the zone whose code sorts first.
The API, the CSV import, the demo and the benchmark all call it, so the rule exists once.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plpgsql (not a SQL function) so the inner query's plan is cached for the session: a bulk
    # UPDATE calling it per row then costs one index probe per row, not one planning per row.
    op.execute(
        """
        CREATE FUNCTION ecogrid_zone_depth(level text) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE level WHEN 'grid' THEN 3 WHEN 'street' THEN 2 WHEN 'district' THEN 1 ELSE 0 END
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION ecogrid_zone_at(p geometry) RETURNS integer
        LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
        BEGIN
            IF p IS NULL THEN
                RETURN NULL;
            END IF;
            RETURN (SELECT z.id FROM zones z WHERE ST_Covers(z.geom, p)
                    ORDER BY ecogrid_zone_depth(z.level) DESC, z.code LIMIT 1);
        END $$
        """
    )
    # Repeat detection looks for nearby cases of one category.
    op.execute("CREATE INDEX ix_complaints_geog ON complaints USING gist ((geom::geography))")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_complaints_geog")
    op.execute("DROP FUNCTION IF EXISTS ecogrid_zone_at(geometry)")
    op.execute("DROP FUNCTION IF EXISTS ecogrid_zone_depth(text)")
