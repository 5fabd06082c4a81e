SELECT z.id, z.code, z.name, z.level FROM zones z
WHERE z.id = ecogrid_zone_at(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
