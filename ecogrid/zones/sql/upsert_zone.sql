INSERT INTO zones (code, name, level, geom, properties)
VALUES (:code, :name, :level, ST_Multi(ST_GeomFromWKB(:wkb, 4326)), CAST(:props AS jsonb))
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, geom = EXCLUDED.geom,
    properties = EXCLUDED.properties, updated_at = now()
RETURNING id, (xmax = 0) AS inserted
