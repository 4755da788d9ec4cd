-- Rows of crm_actions_open_snapshot for :ref_date: one per open action.
-- Parameters: :ref_date (DATE), :written_at (TIMESTAMP).
WITH {{include:00_open_actions.sql}},
{{include:00_priority_categories.sql}}
SELECT
  CAST(:ref_date AS DATE)                                                        AS data_snapshot,
  a.ACTION_ID                                                                    AS action_id,
  a.ORGANIZATION_ID                                                              AS organization_id,
  a.LOCATION_ID                                                                  AS location_id,
  a.VERIFICATION_ID                                                              AS verification_id,
  a.RESPONSIBLE                                                                  AS responsavel,
  a.ACTION_TYPE                                                                  AS tipo,
  a.STATUS                                                                       AS status,
  a.DUE_DATE                                                                     AS data_vencimento,
  c.prioridade                                                                   AS prioridade,
  CAST(CASE WHEN a.DUE_DATE < :ref_date THEN datediff(:ref_date, a.DUE_DATE)
            WHEN a.DUE_DATE IS NOT NULL THEN 0 END AS INT)                       AS dias_atraso,
  a.CREATED_AT                                                                   AS criado_em,
  :written_at                                                                    AS atualizado_em
FROM abertas AS a
JOIN categorias AS c ON c.ordem = a.ordem
