SELECT c.id, c.category, c.status, c.urgency, c.due_at, c.opened_at, c.repeat_count,
       c.exceedance, z.name AS zone_name,
       ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat,
       CASE WHEN CAST(:lon AS float8) IS NULL OR c.geom IS NULL THEN NULL
            ELSE ST_Distance(c.geom::geography,
                             ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography)
       END AS distance_m
FROM cases c LEFT JOIN zones z ON z.id = c.zone_id
WHERE (c.assigned_to_id = :user_id OR c.assigned_team = :team) AND c.status = ANY(:statuses)
ORDER BY c.due_at NULLS LAST, c.id
