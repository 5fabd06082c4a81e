-- The wind observation (weather record or wind-direction reading) nearest the case in time, then space.
WITH c AS (SELECT geom::geography AS g FROM cases WHERE id = :case_id)
SELECT * FROM (
    SELECT 'weather_record' AS kind, w.id, w.station, w.observed_at, w.wind_from_deg, w.wind_speed_ms,
           ST_Distance(w.geom::geography, c.g) AS d
    FROM weather_records w, c
    WHERE w.observed_at BETWEEN :t0 AND :t1 AND ST_DWithin(w.geom::geography, c.g, :max_d)
    UNION ALL
    SELECT 'reading', r.id, r.instrument, r.measured_at, r.value, NULL, ST_Distance(r.geom::geography, c.g)
    FROM readings r, c
    WHERE r.parameter = 'wind_direction' AND r.measured_at BETWEEN :t0 AND :t1 AND r.geom IS NOT NULL
      AND ST_DWithin(r.geom::geography, c.g, :max_d)
) o
ORDER BY abs(extract(epoch FROM o.observed_at - CAST(:at AS timestamptz))) + o.d / 10.0, o.kind, o.id
LIMIT 1
