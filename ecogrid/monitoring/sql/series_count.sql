SELECT count(*) FROM monitor_readings
WHERE station_id = :station_id AND code = :code AND interval = :interval
  AND measured_at >= :start AND measured_at < :end
