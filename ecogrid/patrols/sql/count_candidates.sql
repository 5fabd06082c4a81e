-- How many sources the ranking's filters select (the same conditions as rank_sources.sql's cand).
SELECT count(*) FROM sources s
WHERE (CAST(:zone AS text) IS NULL OR EXISTS (
          SELECT 1 FROM zones z WHERE z.code = CAST(:zone AS text) AND ST_Covers(z.geom, s.geom)))
  AND (CAST(:source_ids AS int[]) IS NULL OR s.id = ANY(CAST(:source_ids AS int[])))
  AND (CAST(:unit_classes AS text[]) IS NULL OR s.unit_class = ANY(CAST(:unit_classes AS text[])))
  AND (CAST(:industry AS text) IS NULL OR s.industry = CAST(:industry AS text))
