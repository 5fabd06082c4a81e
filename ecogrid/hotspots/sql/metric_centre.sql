-- The centre of the zones' extent (or, without zones, of the complaints'), to choose a UTM zone.
SELECT ST_X(c) AS lon, ST_Y(c) AS lat
FROM (SELECT coalesce((SELECT ST_Centroid(ST_SetSRID(ST_Extent(geom), 4326)) FROM zones),
                      (SELECT ST_Centroid(ST_SetSRID(ST_Extent(geom), 4326)) FROM complaints)) AS c) t
