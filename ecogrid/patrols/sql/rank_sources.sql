-- Sources ranked by risk score: one common table expression per factor (see ecogrid/patrols/risk.py).
WITH radii AS (
    SELECT key AS category, value::float8 AS radius_m FROM jsonb_each_text(CAST(:radii AS jsonb))
),
cand AS (
    SELECT s.id, s.name, s.credit_code, s.industry, s.unit_class, s.key_discharger, s.categories, s.geom
    FROM sources s
    WHERE (CAST(:zone AS text) IS NULL OR EXISTS (
              SELECT 1 FROM zones z WHERE z.code = CAST(:zone AS text) AND ST_Covers(z.geom, s.geom)))
      AND (CAST(:source_ids AS int[]) IS NULL OR s.id = ANY(CAST(:source_ids AS int[])))
      AND (CAST(:unit_classes AS text[]) IS NULL OR s.unit_class = ANY(CAST(:unit_classes AS text[])))
      AND (CAST(:industry AS text) IS NULL OR s.industry = CAST(:industry AS text))
),
box AS (
    SELECT id, ST_Expand(geom, :max_radius / (111320.0 * greatest(cos(radians(ST_Y(geom))), 0.01)),
                         :max_radius / 110574.0) AS b
    FROM cand
),
source_complaints AS (
    SELECT cand.id AS source_id, c.id AS complaint_id, c.received_at
    FROM cand
    JOIN box ON box.id = cand.id
    JOIN complaints c ON c.geom && box.b
    JOIN radii r ON r.category = c.category
    WHERE c.received_at >= :start AND c.received_at < :end
      AND (cardinality(cand.categories) = 0 OR c.category = ANY(cand.categories))
      AND ST_DWithin(cand.geom::geography, c.geom::geography, r.radius_m)
    UNION
    SELECT cand.id, c.id, c.received_at
    FROM cand
    JOIN cases k ON k.confirmed_source_id = cand.id
    JOIN complaints c ON c.case_id = k.id
    WHERE c.received_at >= :start AND c.received_at < :end
),
f_complaints AS (
    SELECT source_id,
           sum(power(0.5, extract(epoch FROM (CAST(:end AS timestamptz) - received_at)) / 86400.0
                          / :half_life)) AS value
    FROM source_complaints GROUP BY source_id
),
source_cases AS (
    SELECT cand.id AS source_id, k.id AS case_id, k.status, k.repeat_count
    FROM cand
    JOIN box ON box.id = cand.id
    JOIN cases k ON k.geom && box.b
    JOIN radii r ON r.category = k.category
    WHERE ((k.opened_at >= :start AND k.opened_at < :end) OR k.status <> ALL(CAST(:finished AS text[])))
      AND (cardinality(cand.categories) = 0 OR k.category = ANY(cand.categories))
      AND ST_DWithin(cand.geom::geography, k.geom::geography, r.radius_m)
    UNION
    SELECT cand.id, k.id, k.status, k.repeat_count
    FROM cand JOIN cases k ON k.confirmed_source_id = cand.id
    WHERE (k.opened_at >= :start AND k.opened_at < :end) OR k.status <> ALL(CAST(:finished AS text[]))
),
f_cases AS (
    SELECT source_id,
           count(*) FILTER (WHERE status <> ALL(CAST(:finished AS text[]))) AS unresolved,
           count(*) FILTER (WHERE repeat_count > 0) AS repeat
    FROM source_cases GROUP BY source_id
),
f_exceedances AS (
    SELECT source_id, sum(n) AS value FROM (
        SELECT i.source_id, count(*) AS n
        FROM inspections i JOIN readings rd ON rd.inspection_id = i.id
        WHERE i.source_id IN (SELECT id FROM cand) AND rd.exceeded
        GROUP BY i.source_id
        UNION ALL
        SELECT k.confirmed_source_id, count(*)
        FROM cases k
        WHERE k.confirmed_source_id IN (SELECT id FROM cand) AND k.exceedance
        GROUP BY k.confirmed_source_id
    ) e GROUP BY source_id
),
f_inspected AS (
    SELECT i.source_id, max(coalesce(i.started_at, i.submitted_at)) AS last_at
    FROM inspections i WHERE i.source_id IN (SELECT id FROM cand) AND coalesce(i.started_at, i.submitted_at) < :end
    GROUP BY i.source_id
),
raw AS (
    SELECT cand.id, cand.name, cand.credit_code, cand.industry, cand.unit_class,
           (cand.key_discharger OR cand.unit_class = 'key') AS key_discharger,
           ST_X(cand.geom) AS lon, ST_Y(cand.geom) AS lat,
           coalesce(fc.value, 0) AS complaints,
           coalesce(fk.unresolved, 0) AS unresolved_cases,
           coalesce(fk.repeat, 0) AS repeat_cases,
           coalesce(fk.unresolved, 0) + coalesce(fk.repeat, 0) AS cases,
           coalesce(fe.value, 0) AS exceedances,
           fi.last_at,
           least(coalesce(extract(epoch FROM (CAST(:end AS timestamptz) - fi.last_at)) / 86400.0, :gap_cap),
                 :gap_cap) AS days
    FROM cand
    LEFT JOIN f_complaints fc ON fc.source_id = cand.id
    LEFT JOIN f_cases fk ON fk.source_id = cand.id
    LEFT JOIN f_exceedances fe ON fe.source_id = cand.id
    LEFT JOIN f_inspected fi ON fi.source_id = cand.id
),
scaled AS (
    SELECT raw.*,
           complaints / nullif(max(complaints) OVER (), 0) AS s_complaints,
           cases::float8 / nullif(max(cases) OVER (), 0) AS s_cases,
           exceedances::float8 / nullif(max(exceedances) OVER (), 0) AS s_exceedances,
           CASE WHEN key_discharger THEN 1.0 ELSE 0.0 END AS s_key,
           days / :gap_cap AS s_days,
           count(*) OVER () AS total
    FROM raw
),
scored AS (
    SELECT scaled.*,
           :w_complaints * coalesce(s_complaints, 0) AS p_complaints,
           :w_cases * coalesce(s_cases, 0) AS p_cases,
           :w_exceedances * coalesce(s_exceedances, 0) AS p_exceedances,
           :w_key * s_key AS p_key,
           :w_days * s_days AS p_days
    FROM scaled
)
SELECT scored.*, p_complaints + p_cases + p_exceedances + p_key + p_days AS score
FROM scored
ORDER BY score DESC, id
LIMIT :limit OFFSET :offset
