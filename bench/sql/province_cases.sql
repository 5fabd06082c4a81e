-- :cases cases over :years years before :end_at, at random grid zones of the demo city, each at a
-- point inside its zone's box. Older cases are closed; the last few weeks are still being handled.
WITH grids AS (SELECT array_agg(id ORDER BY id) AS ids FROM zones WHERE level = 'grid'),
picked AS (
    SELECT g.n,
           grids.ids[1 + floor(random() * array_length(grids.ids, 1))::int] AS zone_id,
           CAST(:end_at AS timestamptz) - (random() * :years * 365 * 86400) * interval '1 second' AS opened_at,
           (ARRAY['odour','voc','dust','noise_social','noise_construction','cooking_fumes','wastewater'])
               [1 + floor(random() * 7)::int] AS category,
           (ARRAY['hotline_12345','hotline_12369','web','national_platform'])[1 + floor(random() * 4)::int] AS channel
    FROM generate_series(1, :cases) AS g(n), grids)
INSERT INTO cases (kind, category, status, channel, zone_id, geom, opened_at, due_at, accepted_at, closed_at,
                   last_complaint_at, satisfaction)
SELECT 'complaint', p.category,
       CASE WHEN p.opened_at < CAST(:end_at AS timestamptz) - interval '30 days' THEN 'closed'
            ELSE (ARRAY['registered','accepted','dispatched','in_progress','replied'])[1 + floor(random() * 5)::int]
       END,
       p.channel, p.zone_id,
       (SELECT ST_SetSRID(ST_MakePoint(ST_XMin(z.geom) + random() * (ST_XMax(z.geom) - ST_XMin(z.geom)),
                                       ST_YMin(z.geom) + random() * (ST_YMax(z.geom) - ST_YMin(z.geom))), 4326)
        FROM zones z WHERE z.id = p.zone_id),
       p.opened_at, p.opened_at + interval '15 days', p.opened_at + interval '2 hours',
       CASE WHEN p.opened_at < CAST(:end_at AS timestamptz) - interval '30 days'
            THEN p.opened_at + (random() * 20) * interval '1 day' END,
       p.opened_at,
       CASE WHEN random() < 0.7 THEN 'satisfied' END
FROM picked p
