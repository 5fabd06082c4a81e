SELECT id, code, level, ST_X(ST_Centroid(geom)) AS lon, ST_Y(ST_Centroid(geom)) AS lat,
       ST_Area(geom::geography) AS m2 FROM zones WHERE code = :c
