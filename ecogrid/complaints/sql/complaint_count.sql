-- How many complaints complaints.sql would list before paging (the same conditions).
SELECT count(*) FROM complaints c LEFT JOIN cases k ON k.id = c.case_id
WHERE (CAST(:id AS bigint) IS NULL OR c.id = CAST(:id AS bigint))
  -- An inspector reads only the complaints of the cases dispatched to them or their team.
  AND (NOT CAST(:inspector AS boolean)
       OR k.assigned_to_id = CAST(:viewer_id AS int) OR k.assigned_team = CAST(:viewer_team AS text))
  -- The zone and every zone below it.
  AND (CAST(:zone AS text) IS NULL
       OR c.zone_id IN (WITH RECURSIVE t AS (SELECT id FROM zones WHERE code = CAST(:zone AS text)
                                             UNION ALL SELECT z.id FROM zones z JOIN t ON z.parent_id = t.id)
                        SELECT id FROM t))
  AND (CAST(:category AS text) IS NULL OR c.category = CAST(:category AS text))
  AND (CAST(:status AS text) IS NULL OR k.status = CAST(:status AS text))
  AND (CAST(:channel AS text) IS NULL OR c.channel = CAST(:channel AS text))
  AND (CAST(:date_from AS timestamptz) IS NULL OR c.received_at >= CAST(:date_from AS timestamptz))
  AND (CAST(:date_to AS timestamptz) IS NULL OR c.received_at < CAST(:date_to AS timestamptz))
  AND (CAST(:updated_since AS timestamptz) IS NULL OR c.updated_at >= CAST(:updated_since AS timestamptz))
  AND (CAST(:x0 AS float8) IS NULL
       OR c.geom && ST_MakeEnvelope(CAST(:x0 AS float8), CAST(:y0 AS float8), CAST(:x1 AS float8),
                                    CAST(:y1 AS float8), 4326))
