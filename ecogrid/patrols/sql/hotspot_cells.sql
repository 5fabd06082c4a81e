-- Hotspot cells of the area for patrol planning, densest first.
-- Cells are found by arithmetic on the projected points (floor of x / size, y / size, the numbering
-- of ST_SquareGrid and ST_Square), over the complaints inside the area only: the work grows with the
-- complaints counted, never with the area, and no grid is ever generated.
WITH pts AS (
    SELECT c.received_at, c.case_id, ST_Transform(c.geom, CAST(:srid AS int)) AS g
    FROM complaints c
    WHERE c.geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326)
      AND c.received_at >= :start AND c.received_at < :end
      AND (CAST(:zone AS text) IS NULL OR EXISTS (
              SELECT 1 FROM zones z WHERE z.code = CAST(:zone AS text) AND ST_Covers(z.geom, c.geom)))
),
counted AS (
    SELECT floor(ST_X(pts.g) / :size)::int AS i, floor(ST_Y(pts.g) / :size)::int AS j,
           count(*) AS n,
           sum(power(0.5, extract(epoch FROM (CAST(:end AS timestamptz) - pts.received_at)) / 86400.0
                          / :half_life)) AS w,
           count(DISTINCT k.id) FILTER (WHERE k.status <> ALL(CAST(:finished AS text[]))) AS unresolved
    FROM pts
    LEFT JOIN cases k ON k.id = pts.case_id
    GROUP BY 1, 2
    HAVING sum(power(0.5, extract(epoch FROM (CAST(:end AS timestamptz) - pts.received_at)) / 86400.0
                          / :half_life)) >= :min_weight
),
top AS (
    SELECT counted.*, w / nullif(max(w) OVER (), 0) AS score,
           ST_Square(:size, i, j, ST_SetSRID(ST_MakePoint(0, 0), CAST(:srid AS int))) AS geom
    FROM counted
    ORDER BY w DESC, i, j
    LIMIT :limit
)
SELECT i, j, n, w, unresolved, score,
       ST_X(ST_Transform(ST_Centroid(geom), 4326)) AS lon,
       ST_Y(ST_Transform(ST_Centroid(geom), 4326)) AS lat,
       ST_AsGeoJSON(ST_ForcePolygonCCW(ST_Transform(geom, 4326)), 6) AS polygon
FROM top
ORDER BY w DESC, i, j
