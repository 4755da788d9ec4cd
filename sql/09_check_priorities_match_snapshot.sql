-- sum(total_acoes) of crm_action_priorities_daily for D must equal the number
-- of rows of crm_actions_open_snapshot for D. Failures: the difference.
SELECT ABS(p.total - s.total) AS falhas
FROM (
  SELECT COALESCE(SUM(total_acoes), 0) AS total
  FROM {{target}}.crm_action_priorities_daily
  WHERE data_referencia = :ref_date
) AS p
CROSS JOIN (
  SELECT COUNT(*) AS total
  FROM {{target}}.crm_actions_open_snapshot
  WHERE data_snapshot = :ref_date
) AS s
