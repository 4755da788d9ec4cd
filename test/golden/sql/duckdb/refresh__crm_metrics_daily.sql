-- publish guard crm_metrics_daily  [history_start=DATE 2026-11-23, history_end=DATE 2026-11-29]
-- Guarded publish: the published measure per day of [:history_start, :history_end]
-- (the rows' count, or the sum of a column). Days without rows are absent.
-- Also the candidate on DuckDB: read inside the replace's transaction, before its commit.
SELECT
  data_referencia                    AS dia,
  CAST(SUM(total_verificacoes) AS BIGINT)   AS medida
FROM hs_franquia.gold_connect_bot.crm_metrics_daily
WHERE data_referencia >= $history_start AND data_referencia <= $history_end
GROUP BY data_referencia;
-- Guarded publish: the published measure per day of [:history_start, :history_end]
-- (the rows' count, or the sum of a column). Days without rows are absent.
-- Also the candidate on DuckDB: read inside the replace's transaction, before its commit.
SELECT
  data_referencia                    AS dia,
  CAST(SUM(total_verificacoes) AS BIGINT)   AS medida
FROM hs_franquia.gold_connect_bot.crm_metrics_daily
WHERE data_referencia >= $history_start AND data_referencia <= $history_end
GROUP BY data_referencia;

-- refresh crm_metrics_daily  [window_start=DATE 2026-11-23, ref_date=DATE 2026-11-29, written_at=TIMESTAMP 2026-11-29T09:00:00.000Z]
BEGIN TRANSACTION;
DELETE FROM hs_franquia.gold_connect_bot.crm_metrics_daily WHERE data_referencia >= $window_start AND data_referencia <= $ref_date;
INSERT INTO hs_franquia.gold_connect_bot.crm_metrics_daily
SELECT * FROM (
-- Rows of crm_metrics_daily for the days [:window_start, :ref_date].
-- Parameters: :window_start, :ref_date (DATE), :written_at (TIMESTAMP).
WITH verificacoes AS (
  -- The view may repeat a row exactly: keep one. No date = no day.
  SELECT DISTINCT
    VERIFICATION_ID,
    ORGANIZATION_ID,
    LOCATION_ID,
    CAST(VERIFICATION_DATE AS DATE) AS dia
  FROM hs_franquia.gold_connect_bot.vw_crm_verification
  -- The days [:window_start, :ref_date], i.e. CAST(VERIFICATION_DATE AS DATE)
  -- between them, written on the bare column so the engine can skip old
  -- files / row groups by their min-max statistics (a CAST hides them).
  WHERE VERIFICATION_ID IS NOT NULL
    AND VERIFICATION_DATE IS NOT NULL
    AND VERIFICATION_DATE >= CAST($window_start AS TIMESTAMP)
    AND VERIFICATION_DATE < CAST($ref_date AS TIMESTAMP) + INTERVAL 1 DAY
),
perguntas AS (
  -- A question is the distinct (VERIFICATION_ID, QUESTION_ID) pair: critical if
  -- any row is, answered if any row has an answer, non-conforming if any row is.
  SELECT
    q.VERIFICATION_ID,
    q.QUESTION_ID,
    COALESCE(MAX(q.IS_CRITICAL_CONTROL), FALSE) AS critica,
    MAX(q.IS_NON_CONFORMING) IS NOT NULL        AS respondida,
    COALESCE(MAX(q.IS_NON_CONFORMING), FALSE)   AS nao_conforme
  FROM hs_franquia.gold_connect_bot.vw_crm_verification_question AS q
  WHERE q.VERIFICATION_ID IN (SELECT VERIFICATION_ID FROM verificacoes)
  GROUP BY q.VERIFICATION_ID, q.QUESTION_ID
),
por_verificacao AS (
  SELECT
    VERIFICATION_ID,
    COUNT(CASE WHEN respondida THEN 1 END)                 AS perguntas,
    COUNT(CASE WHEN nao_conforme THEN 1 END)               AS perguntas_nc,
    COUNT(CASE WHEN critica AND respondida THEN 1 END)     AS criticas,
    COUNT(CASE WHEN critica AND nao_conforme THEN 1 END)   AS criticas_nc
  FROM perguntas
  GROUP BY VERIFICATION_ID
)
SELECT
  v.dia                                                                    AS data_referencia,
  v.ORGANIZATION_ID                                                        AS organization_id,
  v.LOCATION_ID                                                            AS location_id,
  -- Within a (dia, organization, location) group each VERIFICATION_ID occurs
  -- once (verificacoes is DISTINCT, por_verificacao has one row per id), so
  -- plain counts are the distinct counts, without a DISTINCT aggregate.
  COUNT(*)                                                                 AS total_verificacoes,
  COUNT(CASE WHEN p.perguntas_nc > 0 THEN 1 END)                           AS verificacoes_nao_conformes,
  CAST(COALESCE(SUM(p.perguntas), 0) AS BIGINT)                            AS total_perguntas,
  CAST(COALESCE(SUM(p.perguntas_nc), 0) AS BIGINT)                         AS perguntas_nao_conformes,
  CAST(COALESCE(SUM(p.criticas), 0) AS BIGINT)                             AS total_controles_criticos,
  CAST(COALESCE(SUM(p.criticas_nc), 0) AS BIGINT)                          AS controles_criticos_nao_conformes,
  $written_at                                                              AS atualizado_em
FROM verificacoes AS v
LEFT JOIN por_verificacao AS p ON p.VERIFICATION_ID = v.VERIFICATION_ID
GROUP BY v.dia, v.ORGANIZATION_ID, v.LOCATION_ID
) AS linhas
ORDER BY data_referencia, organization_id, location_id;
COMMIT;

