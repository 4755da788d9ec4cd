-- validation check snapshot_unique_actions  [ref_date=DATE 2026-11-29]
-- No repeated (data_snapshot, action_id) for D. Failures: repeated action ids.
SELECT COUNT(*) AS falhas
FROM (
  SELECT action_id
  FROM hs_franquia.gold_connect_bot.crm_actions_open_snapshot
  WHERE data_snapshot = :ref_date
  GROUP BY action_id
  HAVING COUNT(*) > 1
) AS repetidas;

-- validation summary crm_actions_open_snapshot
-- The original runbook's validation query, for one table.
SELECT
  COUNT(*)             AS registros,
  MAX(data_snapshot) AS ultima_data,
  MAX(atualizado_em)   AS ultima_atualizacao
FROM hs_franquia.gold_connect_bot.crm_actions_open_snapshot;

-- validation missing days crm_actions_open_snapshot  [window_start=DATE 2026-11-29, ref_date=DATE 2026-11-29]
-- Validation: the days of the run's window [:window_start, :ref_date] the table
-- holds rows for (a snapshot's window is D alone). Reads the window's rows of
-- the table only. A day it lacks is looked up in the sources (17_, 18_): one
-- that had source rows is a day the run should have written.
SELECT DISTINCT data_snapshot AS dia
FROM hs_franquia.gold_connect_bot.crm_actions_open_snapshot
WHERE data_snapshot >= :window_start
  AND data_snapshot <= :ref_date;
-- Validation: :ref_date when at least one action is open as of it (the rule of
-- 00_open_actions.sql, without the de-duplication: any open row puts its action
-- in the snapshot), i.e. when the snapshot and the priorities must hold rows
-- for D. Read only when a table lacks D; stops at the first open action.
SELECT CAST(:ref_date AS DATE) AS dia
FROM (SELECT 1 AS uma) AS uma_linha
WHERE EXISTS (
  SELECT 1
  FROM hs_franquia.gold_connect_bot.vw_crm_action AS a
  WHERE a.ACTION_ID IS NOT NULL
    AND a.CREATED_AT < CAST(:ref_date AS TIMESTAMP) + INTERVAL 1 DAY
    AND (
      (a.CLOSED_AT IS NULL AND COALESCE(a.STATUS, '') NOT IN ('CONCLUIDA', 'CANCELADA'))
      OR a.CLOSED_AT >= CAST(:ref_date AS TIMESTAMP) + INTERVAL 1 DAY
    )
);

