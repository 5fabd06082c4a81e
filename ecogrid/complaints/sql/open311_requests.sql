-- Open311 GeoReport v2 service requests, newest first: the listed ids, or those received in
-- [start, end] of the listed categories, open or closed (closed: its status is a finished one);
-- each condition applies only when its parameter is given.
SELECT c.id, c.category, c.description, c.received_at, c.address, c.media_url,
       ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, k.status, k.due_at, k.closed_at,
       GREATEST(k.last_complaint_at, k.closed_at, k.accepted_at) AS updated, z.responsible_unit
FROM complaints c LEFT JOIN cases k ON k.id = c.case_id LEFT JOIN zones z ON z.id = c.zone_id
WHERE (CAST(:ids AS bigint[]) IS NULL OR c.id = ANY(CAST(:ids AS bigint[])))
  AND (CAST(:start AS timestamptz) IS NULL OR c.received_at >= CAST(:start AS timestamptz))
  AND (CAST(:end AS timestamptz) IS NULL OR c.received_at <= CAST(:end AS timestamptz))
  AND (CAST(:codes AS text[]) IS NULL OR c.category = ANY(CAST(:codes AS text[])))
  AND (CAST(:closed AS boolean) IS NULL
       OR COALESCE(k.status = ANY(CAST(:finished AS text[])), false) = CAST(:closed AS boolean))
ORDER BY c.received_at DESC, c.id DESC
LIMIT :limit
