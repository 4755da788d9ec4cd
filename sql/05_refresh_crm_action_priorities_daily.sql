-- Rows of crm_action_priorities_daily for :ref_date: open actions per category.
-- Parameters: :ref_date (DATE), :written_at (TIMESTAMP).
WITH {{include:00_open_actions.sql}}
SELECT
  CAST(:ref_date AS DATE)      AS data_referencia,
  a.ORGANIZATION_ID            AS organization_id,
  a.LOCATION_ID                AS location_id,
  c.prioridade                 AS prioridade,
  CAST(a.ordem AS INT)         AS ordem,
  COUNT(*)                     AS total_acoes,
  :written_at                  AS atualizado_em
FROM abertas AS a
JOIN categorias AS c ON c.ordem = a.ordem
GROUP BY a.ORGANIZATION_ID, a.LOCATION_ID, c.prioridade, a.ordem
