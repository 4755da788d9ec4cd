-- Rows of crm_action_priorities_daily for :ref_date: open actions per category,
-- counted from the rows of crm_actions_open_snapshot just written for :ref_date
-- (the run refreshes the snapshot first), so the actions view is read and
-- de-duplicated once per run. Parameters: :ref_date (DATE), :written_at (TIMESTAMP).
WITH {{include:00_priority_categories.sql}}
SELECT
  CAST(:ref_date AS DATE)      AS data_referencia,
  s.organization_id            AS organization_id,
  s.location_id                AS location_id,
  s.prioridade                 AS prioridade,
  CAST(c.ordem AS INT)         AS ordem,
  COUNT(*)                     AS total_acoes,
  :written_at                  AS atualizado_em
FROM {{target}}.crm_actions_open_snapshot AS s
JOIN categorias AS c ON c.prioridade = s.prioridade
WHERE s.data_snapshot = :ref_date
GROUP BY s.organization_id, s.location_id, s.prioridade, c.ordem
