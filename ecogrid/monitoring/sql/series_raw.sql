SELECT measured_at, value, flag FROM monitor_readings
WHERE station_id = :station_id AND code = :code AND interval = :interval
  AND measured_at >= :start AND measured_at < :end
ORDER BY measured_at
LIMIT :limit
