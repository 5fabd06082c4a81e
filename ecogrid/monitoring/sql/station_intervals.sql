SELECT code, interval, count(*) AS n FROM monitor_readings
WHERE station_id = :station_id AND measured_at >= :start AND measured_at < :end
GROUP BY code, interval
