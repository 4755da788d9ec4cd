-- Read API: rows of crm_metrics_daily for a range of days and optional filters.
-- Parameters: :date_from, :date_to (DATE or NULL), :org, :loc (STRING or NULL),
-- :max_days (INT). A NULL :date_to is the newest day in the table; a NULL
-- :date_from is the range's last day. Always returns at least one row: the
-- LEFT JOIN keeps the resolved last day (`ate`) when nothing matches.
WITH limite AS (
  SELECT COALESCE(CAST(:date_to AS DATE), MAX(data_referencia)) AS ate
  FROM {{target}}.crm_metrics_daily
)
SELECT
  l.ate AS ate,
  m.data_referencia,
  m.organization_id,
  m.location_id,
  m.total_verificacoes,
  m.verificacoes_nao_conformes,
  m.total_perguntas,
  m.perguntas_nao_conformes,
  m.total_controles_criticos,
  m.controles_criticos_nao_conformes,
  m.atualizado_em
FROM limite AS l
LEFT JOIN {{target}}.crm_metrics_daily AS m
  ON m.data_referencia <= l.ate
 AND (
   (CAST(:date_from AS DATE) IS NULL AND m.data_referencia = l.ate)
   OR (m.data_referencia >= CAST(:date_from AS DATE) AND datediff(m.data_referencia, CAST(:date_from AS DATE)) < :max_days)
 )
 AND (CAST(:org AS STRING) IS NULL OR m.organization_id = :org)
 AND (CAST(:loc AS STRING) IS NULL OR m.location_id = :loc)
ORDER BY m.data_referencia, m.organization_id, m.location_id
