SELECT st.id, ST_Distance(st.geom::geography, c.geom::geography) AS d
FROM monitor_stations st, cases c
WHERE c.id = :case_id AND st.kind <> 'weather' AND st.active
  AND ST_DWithin(st.geom::geography, c.geom::geography, :radius)
ORDER BY d, st.id
LIMIT :limit
