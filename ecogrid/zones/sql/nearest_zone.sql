SELECT z.id, z.code, z.name, n.distance_m AS d
FROM ecogrid_nearest_zone(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) n JOIN zones z ON z.id = n.zone_id
