SELECT DISTINCT ON (st.source_id) st.source_id, a.id, a.station_id, st.name, a.code, a.interval, a.first_at,
       a.peak_value, a.unit, a.limit_value, a.standard
FROM monitor_alarms a JOIN monitor_stations st ON st.id = a.station_id
WHERE st.source_id IN :ids AND a.code IN :codes AND a.status <> 'dismissed'
  AND a.first_at <= :t1 AND a.last_at >= :t0
ORDER BY st.source_id, a.peak_value / NULLIF(a.limit_value, 0) DESC NULLS LAST, a.id
