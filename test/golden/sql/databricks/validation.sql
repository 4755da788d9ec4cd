-- validation check priorities_match_snapshot  [ref_date=DATE 2026-11-29]
-- sum(total_acoes) of crm_action_priorities_daily for D must equal the number
-- of rows of crm_actions_open_snapshot for D. Failures: the difference.
SELECT ABS(p.total - s.total) AS falhas
FROM (
  SELECT COALESCE(SUM(total_acoes), 0) AS total
  FROM hs_franquia.gold_connect_bot.crm_action_priorities_daily
  WHERE data_referencia = :ref_date
) AS p
CROSS JOIN (
  SELECT COUNT(*) AS total
  FROM hs_franquia.gold_connect_bot.crm_actions_open_snapshot
  WHERE data_snapshot = :ref_date
) AS s;

-- validation source anomalies (the validate command alone: a run counts them in the refresh)  [ref_date=DATE 2026-11-29]
-- Source anomalies among the rows the daily run read for :ref_date (reported
-- by validation, never fatal). The run reads the actions that can be open on
-- D: created on or before D and not closed before D. Among them, a closed
-- status without CLOSED_AT is an anomaly (never open). The rows counted are
-- the snapshot refresh's stage of them (19_actions_read.sql), read in the
-- refresh's own session, so the view is not read again; the `validate` command
-- and a validation run without that refresh read them from the view itself.
-- The run reads no verification without a date and no question outside the
-- window's verifications: those whole-view anomalies are the source audit's
-- (13_source_audit.sql).
SELECT COUNT(DISTINCT ACTION_ID) AS acoes_fechadas_sem_closed_at
FROM hs_franquia.gold_connect_bot.vw_crm_action
WHERE ACTION_ID IS NOT NULL
  AND CREATED_AT < CAST(:ref_date AS TIMESTAMP) + INTERVAL 1 DAY
  AND CLOSED_AT IS NULL
  AND STATUS IN ('CONCLUIDA', 'CANCELADA');

