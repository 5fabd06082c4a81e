WITH stored AS (
    INSERT INTO complaints (case_id, channel, kind, category, description, received_at, external_ref, address,
        complainant_name, complainant_phone, geom, orig_lon, orig_lat, orig_crs, zone_id, out_of_jurisdiction,
        nearest_zone_id, nearest_zone_distance_m, is_repeat, urgency, created_by_id)
    SELECT l.case_id, s.channel, s.kind, s.category, s.description, s.received_at, s.external_ref, s.address,
           s.complainant_name, s.complainant_phone, s.geom, s.orig_lon, s.orig_lat, s.orig_crs, z.zone_id,
           z.nearest_zone_id IS NOT NULL, z.nearest_zone_id, z.nearest_zone_distance_m, l.is_repeat,
           s.urgency, :by
    FROM stage s JOIN stage_link l ON l.ord = s.ord LEFT JOIN stage_zone z ON z.ord = s.ord ORDER BY s.ord
    ON CONFLICT (channel, external_ref) DO NOTHING
    RETURNING id, case_id, is_repeat, channel, out_of_jurisdiction),
events AS (
    INSERT INTO case_events (case_id, actor_id, action, from_status, to_status, note, data)
    SELECT s.case_id, :by, CASE WHEN s.is_repeat THEN 'repeat' ELSE 'register' END,
           CASE WHEN s.is_repeat THEN k.status END, k.status,
           CASE WHEN s.is_repeat THEN 'repeat complaint via ' ELSE 'registered from ' END
               || s.channel || ' (import)',
           jsonb_build_object('complaint_id', s.id)
    FROM stored s JOIN cases k ON k.id = s.case_id ORDER BY s.id)
SELECT count(*) AS stored, count(*) FILTER (WHERE is_repeat) AS repeats,
       count(*) FILTER (WHERE NOT is_repeat) AS new_cases,
       count(*) FILTER (WHERE out_of_jurisdiction) AS outside FROM stored
