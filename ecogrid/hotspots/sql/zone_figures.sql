-- Complaint figures per zone of level (only under the zone parent when given), with its geometry
-- (simplified by tolerance degrees when given). Counted per assigned zone first (one pass over the
-- complaints, a few hundred groups), then rolled up the zone tree: the tree walk touches only the
-- small zones table, never each complaint.
WITH RECURSIVE targets AS (
    SELECT id FROM zones
    WHERE level = :level
      AND (CAST(:parent AS text) IS NULL OR id IN (
          WITH RECURSIVE sub AS (SELECT id FROM zones WHERE code = CAST(:parent AS text)
                                 UNION ALL SELECT z.id FROM zones z JOIN sub ON z.parent_id = sub.id)
          SELECT id FROM sub))
),
anc(zone_id, target_id) AS (
    SELECT id, id FROM targets
    UNION ALL
    SELECT z.id, a.target_id FROM zones z JOIN anc a ON z.parent_id = a.zone_id
),
cz AS (
    SELECT c.zone_id, count(*) AS complaints, count(*) FILTER (WHERE c.is_repeat) AS repeats
    FROM complaints c
    WHERE c.zone_id IS NOT NULL AND c.geom IS NOT NULL
      AND (CAST(:date_from AS timestamptz) IS NULL OR c.received_at >= CAST(:date_from AS timestamptz))
      AND (CAST(:date_to AS timestamptz) IS NULL OR c.received_at < CAST(:date_to AS timestamptz))
      AND (CAST(:category AS text) IS NULL OR c.category = CAST(:category AS text))
      AND (CAST(:channel AS text) IS NULL OR c.channel = CAST(:channel AS text))
      AND (CAST(:status AS text) IS NULL
           OR EXISTS (SELECT 1 FROM cases fk WHERE fk.id = c.case_id AND fk.status = CAST(:status AS text)))
    GROUP BY c.zone_id
),
cc AS (
    SELECT a.target_id, sum(cz.complaints) AS complaints, sum(cz.repeats) AS repeats
    FROM cz JOIN anc a ON a.zone_id = cz.zone_id
    GROUP BY a.target_id
)
SELECT z.id, z.code, z.name, z.level, p.code AS parent_code,
       coalesce(cc.complaints, 0)::bigint AS complaints, coalesce(cc.repeats, 0)::bigint AS repeats,
       -- RFC 7946 winding: exterior rings counterclockwise, holes clockwise.
       ST_AsGeoJSON(ST_ForcePolygonCCW(CASE WHEN CAST(:tolerance AS float8) IS NULL THEN z.geom
                         ELSE ST_SimplifyPreserveTopology(z.geom, CAST(:tolerance AS float8)) END), 6) AS geometry
FROM zones z
JOIN targets t ON t.id = z.id
LEFT JOIN zones p ON p.id = z.parent_id
LEFT JOIN cc ON cc.target_id = z.id
ORDER BY z.code
