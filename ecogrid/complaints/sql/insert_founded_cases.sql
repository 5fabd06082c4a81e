INSERT INTO cases (id, kind, category, status, urgency, channel, zone_id, geom, opened_at, due_at,
                   last_complaint_at, repeat_count)
SELECT l.case_id, s.kind, s.category, 'registered', s.urgency, s.channel, z.zone_id, s.geom, s.received_at,
       l.due_at, COALESCE(l.last_at, s.received_at), l.repeats
FROM stage_link l JOIN stage s ON s.ord = l.ord LEFT JOIN stage_zone z ON z.ord = l.ord
WHERE l.founder ORDER BY l.ord
