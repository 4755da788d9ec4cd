-- In crm_metrics_daily, every *_nao_conformes <= its total, and
-- total_controles_criticos <= total_perguntas, on the rows of the refresh
-- window [:window_start, :ref_date] (D and the days recomputed with it).
-- Failures: offending rows.
SELECT COUNT(*) AS falhas
FROM {{target}}.crm_metrics_daily
WHERE data_referencia >= :window_start
  AND data_referencia <= :ref_date
  AND (
    verificacoes_nao_conformes > total_verificacoes
    OR perguntas_nao_conformes > total_perguntas
    OR controles_criticos_nao_conformes > total_controles_criticos
    OR total_controles_criticos > total_perguntas
  )
