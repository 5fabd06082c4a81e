-- Mean per Beijing day and interval; the caller keeps the coarsest interval each day has.
SELECT (measured_at AT TIME ZONE 'Asia/Shanghai')::date AS day, interval, avg(value) AS mean
FROM monitor_readings
WHERE station_id = :station_id AND code = :code
  AND measured_at >= :start AND measured_at < :end
GROUP BY 1, 2
