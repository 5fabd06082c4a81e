-- Each pollution source with the number of cases opened in [since, until) (either bound optional)
-- that point at it: the source was confirmed, or the case is of one of the source's categories and
-- lies within that category's radius (radii, a JSON object of metres; max_r the largest).
SELECT s.id, s.name, s.industry, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat,
       (SELECT count(*) FROM cases k
        WHERE (k.confirmed_source_id = s.id
               OR (k.category = ANY(s.categories)
                   AND ST_DWithin(k.geom::geography, s.geom::geography, :max_r)
                   AND ST_DWithin(k.geom::geography, s.geom::geography,
                                  coalesce((CAST(:radii AS jsonb) ->> k.category)::float8, 0))))
          AND (CAST(:since AS timestamptz) IS NULL OR k.opened_at >= CAST(:since AS timestamptz))
          AND (CAST(:until AS timestamptz) IS NULL OR k.opened_at < CAST(:until AS timestamptz))) AS suspect_cases
FROM sources s
ORDER BY s.id
