-- One Mapbox vector tile (layer complaints) with one feature per filtered complaint.
-- The envelopes are written inline, not in a CTE, so the planner sees a constant box: it estimates
-- the rows from the GiST statistics and probes the geom index before anything else. Points are
-- transformed to 3857 only once they are in the (buffered) tile. ST_AsMVT skips the rows whose
-- ST_AsMVTGeom is NULL (outside the buffered tile), so no second filter evaluates it twice.
SELECT ST_AsMVT(f, 'complaints', :extent, 'geom') FROM (
    SELECT c.id, c.category, k.status, extract(epoch FROM c.received_at)::bigint AS received_at,
           c.case_id,
           ST_AsMVTGeom(ST_Transform(c.geom, 3857), ST_TileEnvelope(:z, :x, :y), :extent, :buffer, true) AS geom
    FROM complaints c LEFT JOIN cases k ON k.id = c.case_id
    WHERE c.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)
      AND c.geom IS NOT NULL
      AND (CAST(:date_from AS timestamptz) IS NULL OR c.received_at >= CAST(:date_from AS timestamptz))
      AND (CAST(:date_to AS timestamptz) IS NULL OR c.received_at < CAST(:date_to AS timestamptz))
      AND (CAST(:category AS text) IS NULL OR c.category = CAST(:category AS text))
      AND (CAST(:channel AS text) IS NULL OR c.channel = CAST(:channel AS text))
      AND (CAST(:status AS text) IS NULL
           OR EXISTS (SELECT 1 FROM cases fk WHERE fk.id = c.case_id AND fk.status = CAST(:status AS text)))
) f
