-- Read API: open actions per priority category for one day, with optional filters.
-- Parameters: :ref_date (DATE or NULL = the newest day in the table), :org, :loc
-- (STRING or NULL). One row per category present (the API adds the missing ones
-- as zeros); at least one row, carrying the resolved day, when none is.
WITH alvo AS (
  SELECT COALESCE(CAST(:ref_date AS DATE), MAX(data_referencia)) AS dia
  FROM {{target}}.crm_action_priorities_daily
)
SELECT
  a.dia                                   AS dia,
  p.prioridade                            AS prioridade,
  CAST(COALESCE(SUM(p.total_acoes), 0) AS BIGINT) AS total_acoes
FROM alvo AS a
LEFT JOIN {{target}}.crm_action_priorities_daily AS p
  ON p.data_referencia = a.dia
 AND (CAST(:org AS STRING) IS NULL OR p.organization_id = :org)
 AND (CAST(:loc AS STRING) IS NULL OR p.location_id = :loc)
GROUP BY a.dia, p.prioridade
