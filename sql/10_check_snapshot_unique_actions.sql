-- No repeated (data_snapshot, action_id) for D. Failures: repeated action ids.
SELECT COUNT(*) AS falhas
FROM (
  SELECT action_id
  FROM {{target}}.crm_actions_open_snapshot
  WHERE data_snapshot = :ref_date
  GROUP BY action_id
  HAVING COUNT(*) > 1
) AS repetidas
