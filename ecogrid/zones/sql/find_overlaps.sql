SELECT a.code AS a, b.code AS b,
       ST_Area(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3)::geography) AS m2
FROM zones a JOIN zones b
  ON a.level = b.level AND a.code < b.code AND ST_Intersects(a.geom, b.geom)
WHERE a.level = :level AND (a.code = ANY(:codes) OR b.code = ANY(:codes))
  AND NOT ST_Touches(a.geom, b.geom)
ORDER BY a.code, b.code
