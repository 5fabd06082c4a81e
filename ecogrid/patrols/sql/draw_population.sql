SELECT s.id, s.unit_class FROM sources s
WHERE (CAST(:zone AS text) IS NULL OR EXISTS (
          SELECT 1 FROM zones z WHERE z.code = CAST(:zone AS text) AND ST_Covers(z.geom, s.geom)))
  AND (CAST(:industry AS text) IS NULL OR s.industry = CAST(:industry AS text))
  AND (CAST(:classes AS text[]) IS NULL OR s.unit_class = ANY(CAST(:classes AS text[])))
ORDER BY s.id
