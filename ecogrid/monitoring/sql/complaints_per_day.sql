-- Complaints per Beijing day within :radius metres of the source (all categories, or :category).
SELECT (c.received_at AT TIME ZONE 'Asia/Shanghai')::date AS day, count(*) AS n
FROM complaints c, sources s
WHERE s.id = :source_id AND c.geom IS NOT NULL
  AND ST_DWithin(c.geom::geography, s.geom::geography, :radius)
  AND c.received_at >= :start AND c.received_at < :end
  AND c.channel <> 'monitoring'  -- complaints from people, not the monitor's own alarms
  AND (CAST(:category AS text) IS NULL OR c.category = CAST(:category AS text))
GROUP BY 1
