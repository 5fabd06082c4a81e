SELECT t.id AS target_id, t.seq, t.source_id, t.inspector_ids, s.name, s.credit_code, s.address,
       s.unit_class, ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat,
       m.id AS inspection_id, m.how, m.conclusion, m.at AS inspected_at
FROM patrol_targets t
JOIN sources s ON s.id = t.source_id
LEFT JOIN LATERAL (
    SELECT i.id, i.conclusion, coalesce(i.started_at, i.submitted_at) AS at,
           CASE WHEN i.patrol_target_id = t.id THEN 'linked' ELSE 'matched' END AS how
    FROM inspections i
    WHERE i.patrol_target_id = t.id
       OR (i.patrol_target_id IS NULL AND i.source_id = t.source_id
           AND (jsonb_array_length(t.inspector_ids) = 0 OR t.inspector_ids @> to_jsonb(i.inspector_id))
           AND (CAST(:on_date AS date) IS NULL
                OR (coalesce(i.started_at, i.submitted_at) AT TIME ZONE CAST(:tz AS text))::date = CAST(:on_date AS date))
           AND (CAST(:after AS timestamptz) IS NULL
                OR coalesce(i.started_at, i.submitted_at) >= CAST(:after AS timestamptz)))
    ORDER BY (i.patrol_target_id IS NOT DISTINCT FROM t.id) DESC, coalesce(i.started_at, i.submitted_at), i.id
    LIMIT 1
) m ON true
WHERE t.plan_id = :plan_id
ORDER BY t.seq
