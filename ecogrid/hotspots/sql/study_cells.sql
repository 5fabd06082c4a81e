-- Every cell of a shape ('square' or 'hex') grid of cell metres in the projection srid over the
-- studied area: the zone parent, or without it the top-level zones; empty cells included. At most
-- limit cells. The branch of the other shape is cut by a one-time filter and never runs.
WITH area AS (
    SELECT ST_Union(ST_Transform(geom, :srid)) AS g FROM zones
    WHERE (CAST(:parent AS text) IS NULL AND parent_id IS NULL) OR code = CAST(:parent AS text)
)
SELECT cell.i, cell.j, ST_X(ST_Centroid(cell.geom)) AS x, ST_Y(ST_Centroid(cell.geom)) AS y,
       ST_AsGeoJSON(ST_ForcePolygonCCW(ST_Transform(cell.geom, 4326)), 6) AS geometry
FROM area, LATERAL (
    SELECT sq.geom, sq.i, sq.j FROM ST_SquareGrid(:cell, area.g) AS sq WHERE CAST(:shape AS text) = 'square'
    UNION ALL
    SELECT hx.geom, hx.i, hx.j FROM ST_HexagonGrid(:cell, area.g) AS hx WHERE CAST(:shape AS text) = 'hex'
) AS cell
WHERE ST_Intersects(cell.geom, area.g)
LIMIT :limit
