-- How many zones zone_features.sql lists before paging (the same conditions).
SELECT count(*) FROM zones z LEFT JOIN zones p ON p.id = z.parent_id
WHERE (CAST(:code AS text) IS NULL OR z.code = CAST(:code AS text))
  AND (CAST(:level AS text) IS NULL OR z.level = CAST(:level AS text))
  AND (CAST(:parent AS text) IS NULL OR p.code = CAST(:parent AS text))
  AND (CAST(:x0 AS float8) IS NULL
       OR z.geom && ST_MakeEnvelope(CAST(:x0 AS float8), CAST(:y0 AS float8), CAST(:x1 AS float8),
                                    CAST(:y1 AS float8), 4326))
