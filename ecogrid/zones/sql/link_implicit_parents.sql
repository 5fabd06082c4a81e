UPDATE zones z SET parent_id = (
    SELECT p.id FROM zones p
    WHERE ecogrid_zone_depth(p.level) < ecogrid_zone_depth(z.level)
      AND ST_Covers(p.geom, ST_PointOnSurface(z.geom))
    ORDER BY ecogrid_zone_depth(p.level) DESC, p.code LIMIT 1)
WHERE z.id = ANY(:ids)
