-- The original runbook's validation query, for one table.
SELECT
  COUNT(*)             AS registros,
  MAX({{date_column}}) AS ultima_data,
  MAX(atualizado_em)   AS ultima_atualizacao
FROM {{table}}
