-- Complaint counts per non-empty cell of a shape ('square' or 'hex') grid of cell metres in the
-- metric projection srid, over the filtered complaints inside the WGS-84 box (west, south, east,
-- north); with geometry, each cell's polygon as GeoJSON and its centre; at most limit cells.
-- Square cells are found by arithmetic (floor of the projected coordinates, no join at all).
-- Hexagons have no such closed form in PostGIS, so the hexagons of the box are generated and each
-- is probed through the complaints' GiST index (the CTE is inlined, so the index stays usable).
-- The branch of the other shape is cut by a one-time filter and never runs.
WITH picked AS NOT MATERIALIZED (
    SELECT c.geom FROM complaints c
    WHERE c.geom IS NOT NULL
      AND c.geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326)
      AND (CAST(:date_from AS timestamptz) IS NULL OR c.received_at >= CAST(:date_from AS timestamptz))
      AND (CAST(:date_to AS timestamptz) IS NULL OR c.received_at < CAST(:date_to AS timestamptz))
      AND (CAST(:category AS text) IS NULL OR c.category = CAST(:category AS text))
      AND (CAST(:channel AS text) IS NULL OR c.channel = CAST(:channel AS text))
      AND (CAST(:status AS text) IS NULL
           OR EXISTS (SELECT 1 FROM cases fk WHERE fk.id = c.case_id AND fk.status = CAST(:status AS text)))
),
k AS (
    SELECT floor(ST_X(p.g) / :cell)::int AS i, floor(ST_Y(p.g) / :cell)::int AS j, count(*) AS n
    FROM (SELECT ST_Transform(geom, :srid) AS g FROM picked WHERE CAST(:shape AS text) = 'square') p
    GROUP BY 1, 2
    UNION ALL
    SELECT h.i, h.j, count(*) AS n
    FROM ST_HexagonGrid(:cell, ST_Transform(ST_MakeEnvelope(:west, :south, :east, :north, 4326), :srid)) AS h
    JOIN picked c ON ST_Intersects(c.geom, ST_Transform(h.geom, 4326))
    WHERE CAST(:shape AS text) = 'hex'
    GROUP BY h.i, h.j
)
SELECT k.i, k.j, k.n,
       CASE WHEN CAST(:geometry AS boolean) THEN ST_AsGeoJSON(ST_ForcePolygonCCW(ST_Transform(cell.g, 4326)), 6) END AS geometry,
       CASE WHEN CAST(:geometry AS boolean) THEN ST_X(ST_Transform(ST_Centroid(cell.g), 4326)) END AS lon,
       CASE WHEN CAST(:geometry AS boolean) THEN ST_Y(ST_Transform(ST_Centroid(cell.g), 4326)) END AS lat
FROM k
CROSS JOIN LATERAL (
    SELECT CASE WHEN CAST(:shape AS text) = 'square'
                THEN ST_Square(:cell, k.i, k.j, ST_SetSRID(ST_MakePoint(0, 0), :srid))
                ELSE ST_Hexagon(:cell, k.i, k.j, ST_SetSRID(ST_MakePoint(0, 0), :srid)) END AS g
) cell
ORDER BY k.i, k.j
LIMIT :limit
