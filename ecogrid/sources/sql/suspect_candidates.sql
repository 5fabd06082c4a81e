-- The sources within the radius of a case, with their distance, bearing, categories and history.
WITH c AS (SELECT id, geom, geom::geography AS g FROM cases WHERE id = :case_id),
cand AS (
    SELECT s.id, s.name, s.industry, s.key_discharger, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat,
           COALESCE(NULLIF(s.categories, '{}'::text[]), i.categories, '{}'::text[]) AS cats,
           ST_Distance(s.geom::geography, c.g) AS d,
           degrees(ST_Azimuth(c.g, s.geom::geography)) AS bearing
    FROM c JOIN sources s ON ST_DWithin(s.geom::geography, c.g, :radius)
    LEFT JOIN industries i ON i.code = s.industry
),
conf AS (
    SELECT k.confirmed_source_id AS sid, count(*) FILTER (WHERE k.category = :category) AS same,
           count(*) FILTER (WHERE k.category <> :category) AS other
    FROM cases k
    WHERE k.confirmed_source_id IN (SELECT id FROM cand) AND k.id <> :case_id
      AND (CAST(:before AS timestamptz) IS NULL OR k.confirmed_at < CAST(:before AS timestamptz))
    GROUP BY k.confirmed_source_id
),
exc AS (
    SELECT sid, count(*) AS n FROM (
        SELECT ins.source_id AS sid FROM readings r JOIN inspections ins ON ins.id = r.inspection_id
        WHERE ins.source_id IN (SELECT id FROM cand) AND r.exceeded
          AND (CAST(:before AS timestamptz) IS NULL OR r.measured_at < CAST(:before AS timestamptz))
        UNION ALL
        SELECT k.confirmed_source_id FROM readings r JOIN cases k ON k.id = r.case_id
        WHERE k.confirmed_source_id IN (SELECT id FROM cand) AND r.exceeded AND k.id <> :case_id
          AND r.inspection_id IS NULL
          AND (CAST(:before AS timestamptz) IS NULL OR r.measured_at < CAST(:before AS timestamptz))
        UNION ALL
        -- Alarms of the source's own online monitors count as earlier exceedances too.
        SELECT st.source_id FROM monitor_alarms a JOIN monitor_stations st ON st.id = a.station_id
        WHERE st.source_id IN (SELECT id FROM cand) AND a.status <> 'dismissed'
          AND a.case_id IS DISTINCT FROM :case_id
          AND (CAST(:before AS timestamptz) IS NULL OR a.first_at < CAST(:before AS timestamptz))
    ) e GROUP BY sid
)
SELECT cand.*, COALESCE(conf.same, 0) AS conf_same, COALESCE(conf.other, 0) AS conf_other,
       COALESCE(exc.n, 0) AS exceedances
FROM cand LEFT JOIN conf ON conf.sid = cand.id LEFT JOIN exc ON exc.sid = cand.id
