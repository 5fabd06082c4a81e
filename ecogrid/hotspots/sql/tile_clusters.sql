-- One Mapbox vector tile (layer complaints) of the filtered complaints merged per snap metres of
-- Web Mercator, each point with its count and most frequent category. The envelopes are inline for
-- the planner (see tile_points.sql).
SELECT ST_AsMVT(f, 'complaints', :extent, 'geom') FROM (
    SELECT g.count, g.category, ST_AsMVTGeom(g.p, ST_TileEnvelope(:z, :x, :y), :extent, :buffer, true) AS geom
    FROM (
        SELECT ST_SnapToGrid(ST_Transform(c.geom, 3857), :snap) AS p, count(*) AS count,
               mode() WITHIN GROUP (ORDER BY c.category) AS category
        FROM complaints c
        WHERE c.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)
          AND c.geom IS NOT NULL
          AND (CAST(:date_from AS timestamptz) IS NULL OR c.received_at >= CAST(:date_from AS timestamptz))
          AND (CAST(:date_to AS timestamptz) IS NULL OR c.received_at < CAST(:date_to AS timestamptz))
          AND (CAST(:category AS text) IS NULL OR c.category = CAST(:category AS text))
          AND (CAST(:channel AS text) IS NULL OR c.channel = CAST(:channel AS text))
          AND (CAST(:status AS text) IS NULL
               OR EXISTS (SELECT 1 FROM cases fk WHERE fk.id = c.case_id AND fk.status = CAST(:status AS text)))
        GROUP BY 1
    ) g
) f
