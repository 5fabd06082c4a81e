-- :complaints complaints spread over the cases (every case has at least one; the rest are repeats),
-- each near its case and received shortly after the case was opened.
INSERT INTO complaints (case_id, channel, kind, category, description, received_at, geom, zone_id, is_repeat)
SELECT c.id, c.channel, 'complaint', c.category, 'synthetic province complaint',
       c.opened_at + CASE WHEN g.n <= :cases THEN interval '0' ELSE (random() * 5) * interval '1 day' END,
       ST_SetSRID(ST_MakePoint(ST_X(c.geom) + (random() - 0.5) * 0.002, ST_Y(c.geom) + (random() - 0.5) * 0.002), 4326),
       c.zone_id, g.n > :cases
FROM generate_series(1, :complaints) AS g(n)
JOIN cases c ON c.id = :first_case + ((g.n - 1) % :cases)
