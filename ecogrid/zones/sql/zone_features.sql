-- Zones as GeoJSON features, each condition applying only when its parameter is given:
-- one zone by code, a level, a parent code, a WGS-84 box (x0, y0, x1, y1).
SELECT z.id, z.code, z.name, z.level, p.code AS parent, z.officer_id, z.noise_class,
       z.responsible_unit, ST_AsGeoJSON(ST_ForcePolygonCCW(z.geom), 7)::json AS geometry
FROM zones z LEFT JOIN zones p ON p.id = z.parent_id
WHERE (CAST(:code AS text) IS NULL OR z.code = CAST(:code AS text))
  AND (CAST(:level AS text) IS NULL OR z.level = CAST(:level AS text))
  AND (CAST(:parent AS text) IS NULL OR p.code = CAST(:parent AS text))
  AND (CAST(:x0 AS float8) IS NULL
       OR z.geom && ST_MakeEnvelope(CAST(:x0 AS float8), CAST(:y0 AS float8), CAST(:x1 AS float8),
                                    CAST(:y1 AS float8), 4326))
ORDER BY ecogrid_zone_depth(z.level), z.code
LIMIT :limit OFFSET :offset
