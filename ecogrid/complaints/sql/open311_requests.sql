-- Open311 GET requests: by ids (which override every other argument), or by a requested_datetime
-- window with optional service codes and open/closed; newest first, at most :limit.
SELECT c.id, c.category, c.description, c.received_at, c.address, c.media_url, c.is_repeat,
       ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, k.status, k.due_at, k.closed_at,
       GREATEST(k.last_complaint_at, k.closed_at, k.accepted_at) AS updated, z.responsible_unit, o.address_id
FROM complaints c
LEFT JOIN cases k ON k.id = c.case_id
LEFT JOIN zones z ON z.id = c.zone_id
LEFT JOIN open311_details o ON o.complaint_id = c.id
WHERE CASE WHEN CAST(:ids AS bigint[]) IS NOT NULL THEN c.id = ANY(CAST(:ids AS bigint[]))
      ELSE c.received_at >= :start AND c.received_at <= :end
           AND (CAST(:codes AS text[]) IS NULL OR c.category = ANY(CAST(:codes AS text[])))
           AND (CAST(:finished_wanted AS boolean) IS NULL
                OR COALESCE(k.status = ANY(CAST(:finished AS text[])), false) = CAST(:finished_wanted AS boolean))
      END
ORDER BY c.received_at DESC, c.id DESC
LIMIT :limit
