-- The owner of each staged point by the rule of ecogrid_zone_at (deepest level, then the code that
-- sorts first), visiting only zones that meet the batch's extent; points in no zone get the nearest
-- zone and the distance in metres by ecogrid_nearest_zone. Points without either have no row.
CREATE TEMP TABLE stage_zone ON COMMIT DROP AS
WITH extent AS (SELECT ST_SetSRID(ST_Extent(geom)::geometry, 4326) AS box FROM stage),
covering AS (
    SELECT DISTINCT ON (p.ord) p.ord, z.id AS zone_id
    FROM extent JOIN zones z ON z.geom && extent.box
    CROSS JOIN LATERAL (SELECT s.ord FROM stage s WHERE ST_Covers(z.geom, s.geom) OFFSET 0) p
    ORDER BY p.ord, ecogrid_zone_depth(z.level) DESC, z.code)
SELECT c.ord, c.zone_id, NULL::int AS nearest_zone_id, NULL::float8 AS nearest_zone_distance_m FROM covering c
UNION ALL
SELECT s.ord, NULL, n.zone_id, n.distance_m
FROM stage s CROSS JOIN LATERAL ecogrid_nearest_zone(s.geom) n
WHERE s.geom IS NOT NULL AND NOT EXISTS (SELECT 1 FROM covering c WHERE c.ord = s.ord)
