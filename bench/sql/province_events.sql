-- :per_case events for every case: the registration, then handling steps an hour apart, the last
-- one leaving the case in its present status (as the workflow's history does).
INSERT INTO case_events (case_id, at, action, from_status, to_status, note)
SELECT c.id, c.opened_at + (k - 1) * interval '1 hour',
       CASE WHEN k = 1 THEN 'register' WHEN k = :per_case AND c.status = 'closed' THEN 'close' ELSE 'note' END,
       CASE WHEN k = 1 THEN NULL ELSE 'in_progress' END,
       CASE WHEN k = 1 THEN 'registered' WHEN k = :per_case THEN c.status ELSE 'in_progress' END,
       NULL
FROM cases c CROSS JOIN generate_series(1, :per_case) AS k
WHERE c.id >= :first_case
