-- Read API: open actions per priority category for one day, with optional filters.
-- Parameters: :ref_date (DATE or NULL = the newest day in the table), :org, :loc
-- (STRING or NULL). One row per category present (the API adds the missing ones
-- as zeros); at least one row, carrying the resolved day, when none is.
-- The newest day is read only when :ref_date is NULL, as the top of the date
-- order (the engine skips the storage of older days instead of reading them all).
WITH alvo AS (
  SELECT COALESCE(
    CAST(:ref_date AS DATE),
    (SELECT data_referencia FROM {{target}}.crm_action_priorities_daily
     WHERE CAST(:ref_date AS DATE) IS NULL AND data_referencia IS NOT NULL
     ORDER BY data_referencia DESC LIMIT 1)
  ) AS dia
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
