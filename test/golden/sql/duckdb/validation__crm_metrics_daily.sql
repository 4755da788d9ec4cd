-- validation check metrics_within_totals  [window_start=DATE 2026-11-23, ref_date=DATE 2026-11-29]
-- In crm_metrics_daily, every *_nao_conformes <= its total, and
-- total_controles_criticos <= total_perguntas, on the rows of the refresh
-- window [:window_start, :ref_date] (D and the days recomputed with it).
-- Failures: offending rows.
SELECT COUNT(*) AS falhas
FROM hs_franquia.gold_connect_bot.crm_metrics_daily
WHERE data_referencia >= $window_start
  AND data_referencia <= $ref_date
  AND (
    verificacoes_nao_conformes > total_verificacoes
    OR perguntas_nao_conformes > total_perguntas
    OR controles_criticos_nao_conformes > total_controles_criticos
    OR total_controles_criticos > total_perguntas
  );

-- validation summary crm_metrics_daily
-- The original runbook's validation query, for one table.
SELECT
  COUNT(*)             AS registros,
  MAX(data_referencia) AS ultima_data,
  MAX(atualizado_em)   AS ultima_atualizacao
FROM hs_franquia.gold_connect_bot.crm_metrics_daily;

-- validation missing days crm_metrics_daily  [window_start=DATE 2026-11-23, ref_date=DATE 2026-11-29]
-- Validation: the days of the run's window [:window_start, :ref_date] the table
-- holds rows for (a snapshot's window is D alone). Reads the window's rows of
-- the table only. A day it lacks is looked up in the sources (17_, 18_): one
-- that had source rows is a day the run should have written.
SELECT DISTINCT data_referencia AS dia
FROM hs_franquia.gold_connect_bot.crm_metrics_daily
WHERE data_referencia >= $window_start
  AND data_referencia <= $ref_date;
-- Validation: the days of [:window_start, :ref_date] with at least one
-- verification, i.e. the days crm_metrics_daily must hold rows for (a day
-- without verifications legitimately has none). Read only when the table lacks
-- a day of the window; the same rows the refresh reads (04), on the bare
-- column so old files / row groups are skipped.
SELECT DISTINCT CAST(VERIFICATION_DATE AS DATE) AS dia
FROM hs_franquia.gold_connect_bot.vw_crm_verification
WHERE VERIFICATION_ID IS NOT NULL
  AND VERIFICATION_DATE IS NOT NULL
  AND VERIFICATION_DATE >= CAST($window_start AS TIMESTAMP)
  AND VERIFICATION_DATE < CAST($ref_date AS TIMESTAMP) + INTERVAL 1 DAY;

