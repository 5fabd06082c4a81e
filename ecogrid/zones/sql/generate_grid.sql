WITH p AS (SELECT id, code, ST_Transform(geom, :srid) AS g FROM zones WHERE id = :pid),
cells AS (
    SELECT sq.i, sq.j, ST_CollectionExtract(ST_Intersection(sq.geom, p.g), 3) AS g
    FROM p, ST_SquareGrid(:size, p.g) AS sq
    WHERE ST_Intersects(sq.geom, p.g)
),
numbered AS (
    SELECT g, i - min(i) OVER () AS col, j - min(j) OVER () AS row FROM cells
    WHERE NOT ST_IsEmpty(g) AND ST_Area(g) > 0.01
)
INSERT INTO zones (code, name, level, parent_id, geom, officer_id, noise_class)
SELECT :code || '-' || lpad(col::text, 4, '0') || '-' || lpad(row::text, 4, '0'),
       :code || ' 单元网格 ' || col || '-' || row, 'cell', :pid,
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(g, 4326)), 3)),
       (SELECT officer_id FROM zones WHERE id = :pid), (SELECT noise_class FROM zones WHERE id = :pid)
FROM numbered
ON CONFLICT (code) DO UPDATE SET geom = EXCLUDED.geom, parent_id = EXCLUDED.parent_id,
    level = EXCLUDED.level, updated_at = now()
RETURNING code, (xmax = 0) AS inserted
