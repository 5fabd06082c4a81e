UPDATE cases k SET repeat_count = k.repeat_count + j.n,
                   last_complaint_at = GREATEST(k.last_complaint_at, j.last_at)
FROM (SELECT existing_case_id AS case_id, count(*) AS n, max(received_at) AS last_at FROM stage
      WHERE existing_case_id IS NOT NULL GROUP BY existing_case_id) j
WHERE k.id = j.case_id
