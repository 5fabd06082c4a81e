-- Complaints with their zone, nearest zone and case, newest first (ties by id), one page; each
-- condition applies only when its parameter is given. complaint_count.sql has the same conditions.
SELECT c.id, c.channel, c.kind, c.category, c.description, c.received_at, c.external_ref, c.address,
       c.complainant_name, c.complainant_phone, c.urgency, c.orig_lon, c.orig_lat, c.orig_crs,
       ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, c.case_id, c.is_repeat, c.out_of_jurisdiction,
       c.media_url, c.created_at,
       z.code AS zone_code, z.name AS zone_name, z.level AS zone_level, z.responsible_unit,
       n.code AS near_code, n.name AS near_name, c.nearest_zone_distance_m,
       k.status, k.due_at, k.closed_at, k.repeat_count
FROM complaints c
LEFT JOIN zones z ON z.id = c.zone_id
LEFT JOIN zones n ON n.id = c.nearest_zone_id
LEFT JOIN cases k ON k.id = c.case_id
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
ORDER BY c.received_at DESC, c.id DESC
LIMIT :limit OFFSET :offset
