-- Equal buckets from :start, so a chart of a long period has a bounded number of points.
SELECT date_bin(:bucket, measured_at, :start) AS at, avg(value) AS value
FROM monitor_readings
WHERE station_id = :station_id AND code = :code AND interval = :interval
  AND measured_at >= :start AND measured_at < :end
GROUP BY 1
ORDER BY 1
