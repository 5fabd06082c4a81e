SELECT DISTINCT ON (st.source_id) st.source_id, r.station_id, r.code, r.interval, r.measured_at, r.value, r.unit
FROM monitor_readings r JOIN monitor_stations st ON st.id = r.station_id
WHERE st.source_id IN :ids AND r.code IN :codes AND r.interval <> 'day' AND r.flag IN ('N', 'T')
  AND r.measured_at BETWEEN :t0 AND :t1
ORDER BY st.source_id, r.value DESC, r.measured_at
