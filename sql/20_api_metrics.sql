-- Read API: rows of crm_metrics_daily for a range of days and optional filters.
-- Parameters: :date_from, :date_to (DATE or NULL), :org, :loc (STRING or NULL),
-- :max_days (INT). A NULL :date_to is the newest day in the table; a NULL
-- :date_from is the range's last day. Always returns at least one row: the
-- LEFT JOIN keeps the resolved last day (`ate`) when nothing matches.
-- The range is plain comparisons of data_referencia with the resolved bounds,
-- which DuckDB pushes into the table scan to skip other days' row groups by
-- their min-max statistics; the newest day is read only when :date_to is
-- NULL, as the top of the date order (not a MAX over the whole table).
WITH limite AS (
  SELECT COALESCE(
    CAST(:date_to AS DATE),
    (SELECT data_referencia FROM {{target}}.crm_metrics_daily
     WHERE CAST(:date_to AS DATE) IS NULL AND data_referencia IS NOT NULL
     ORDER BY data_referencia DESC LIMIT 1)
  ) AS ate
),
janela AS (
  SELECT ate, COALESCE(CAST(:date_from AS DATE), ate) AS inicio FROM limite
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
FROM janela AS l
LEFT JOIN {{target}}.crm_metrics_daily AS m
  ON m.data_referencia >= l.inicio
 AND m.data_referencia <= l.ate
 AND m.data_referencia < date_add(l.inicio, CAST(:max_days AS INT))
 AND (CAST(:org AS STRING) IS NULL OR m.organization_id = :org)
 AND (CAST(:loc AS STRING) IS NULL OR m.location_id = :loc)
ORDER BY m.data_referencia, m.organization_id, m.location_id
