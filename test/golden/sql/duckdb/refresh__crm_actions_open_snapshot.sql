-- publish guard crm_actions_open_snapshot  [history_start=DATE 2026-11-29, history_end=DATE 2026-11-29]
-- Guarded publish: the published measure per day of [:history_start, :history_end]
-- (the rows' count, or the sum of a column). Days without rows are absent.
-- Also the candidate on DuckDB: read inside the replace's transaction, before its commit.
SELECT
  data_snapshot                    AS dia,
  CAST(SUM(1) AS BIGINT)   AS medida
FROM hs_franquia.gold_connect_bot.crm_actions_open_snapshot
WHERE data_snapshot >= $history_start AND data_snapshot <= $history_end
GROUP BY data_snapshot;
-- Guarded publish: the published measure per day of [:history_start, :history_end]
-- (the rows' count, or the sum of a column). Days without rows are absent.
-- Also the candidate on DuckDB: read inside the replace's transaction, before its commit.
SELECT
  data_snapshot                    AS dia,
  CAST(SUM(1) AS BIGINT)   AS medida
FROM hs_franquia.gold_connect_bot.crm_actions_open_snapshot
WHERE data_snapshot >= $history_start AND data_snapshot <= $history_end
GROUP BY data_snapshot;

-- refresh crm_actions_open_snapshot  [ref_date=DATE 2026-11-29, written_at=TIMESTAMP 2026-11-29T09:00:00.000Z]
BEGIN TRANSACTION;
CREATE OR REPLACE TEMP TABLE crm_acoes_lidas_20261129 AS
-- The rows of vw_crm_action the daily run reads for :ref_date, staged once per
-- run (a temporary table of the refresh's session): the actions that can be
-- open on D (created on or before D, not closed before D) and, among the same
-- rows, those with a closed status and no CLOSED_AT (never open: counted as
-- anomalies by 12_source_anomalies.sql). The snapshot (06) and the anomaly
-- count read this stage, so the view is scanned once. Written on the bare
-- columns so min-max statistics can skip files / row groups.
SELECT
  ACTION_ID, ORGANIZATION_ID, LOCATION_ID, VERIFICATION_ID, RESPONSIBLE, ACTION_TYPE,
  STATUS, DUE_DATE, CREATED_AT, CLOSED_AT
FROM hs_franquia.gold_connect_bot.vw_crm_action
WHERE ACTION_ID IS NOT NULL
  AND CREATED_AT < CAST($ref_date AS TIMESTAMP) + INTERVAL 1 DAY
  AND (CLOSED_AT IS NULL OR CLOSED_AT >= CAST($ref_date AS TIMESTAMP) + INTERVAL 1 DAY);
DELETE FROM hs_franquia.gold_connect_bot.crm_actions_open_snapshot WHERE data_snapshot = $ref_date;
INSERT INTO hs_franquia.gold_connect_bot.crm_actions_open_snapshot
SELECT * FROM (
-- Rows of crm_actions_open_snapshot for :ref_date: one per open action.
-- Parameters: :ref_date (DATE), :written_at (TIMESTAMP).
WITH -- Included by 06 as the CTE `abertas`: the actions open as of :ref_date, one
-- row per ACTION_ID, with their priority order. Read and de-duplicated once per
-- run: crm_action_priorities_daily is derived from the snapshot rows (05).
-- The rows come from the refresh's stage of what it reads from vw_crm_action
-- (19_actions_read.sql): the view is scanned once per run.
--
-- Open as of D: created on or before D, and not closed on or before D. A
-- closed status without CLOSED_AT is never open (validation counts those).
-- Exact repeats count once; should an id ever carry differing rows, the one
-- created last wins, deterministically.
abertas AS (
  SELECT
    ACTION_ID, ORGANIZATION_ID, LOCATION_ID, VERIFICATION_ID, RESPONSIBLE, ACTION_TYPE,
    STATUS, DUE_DATE, CREATED_AT,
    CASE
      WHEN DUE_DATE IS NULL THEN 7
      WHEN DUE_DATE < $ref_date THEN 0
      WHEN semanas <= 4 THEN 1 + semanas
      ELSE 6
    END AS ordem
  FROM (
    SELECT
      a.*,
      -- ISO weeks (Monday first) between D's week and the due date's week.
      CAST(datediff(CAST(date_trunc('WEEK', a.DUE_DATE) AS DATE), CAST(date_trunc('WEEK', $ref_date) AS DATE)) / 7 AS INT) AS semanas,
      ROW_NUMBER() OVER (
        PARTITION BY a.ACTION_ID
        ORDER BY a.CREATED_AT DESC NULLS LAST, a.CLOSED_AT DESC NULLS FIRST, a.STATUS NULLS LAST,
                 a.DUE_DATE NULLS LAST, a.ORGANIZATION_ID NULLS LAST, a.LOCATION_ID NULLS LAST,
                 a.VERIFICATION_ID NULLS LAST, a.RESPONSIBLE NULLS LAST, a.ACTION_TYPE NULLS LAST
      ) AS copia
    FROM crm_acoes_lidas_20261129 AS a
    WHERE a.ACTION_ID IS NOT NULL
      -- CAST(CREATED_AT AS DATE) <= D and CAST(CLOSED_AT AS DATE) > D, written on the
      -- bare columns so min-max statistics can skip files / row groups.
      AND a.CREATED_AT < CAST($ref_date AS TIMESTAMP) + INTERVAL 1 DAY
      AND (
        (a.CLOSED_AT IS NULL AND COALESCE(a.STATUS, '') NOT IN ('CONCLUIDA', 'CANCELADA'))
        OR a.CLOSED_AT >= CAST($ref_date AS TIMESTAMP) + INTERVAL 1 DAY
      )
  ) AS candidatas
  WHERE copia = 1
),
-- Included by 05 and 06 as the CTE `categorias`: each priority category
-- (prioridade) with its order (ordem), as docs/data-contract.md lists them.
categorias AS (
  SELECT ordem, prioridade FROM (VALUES
    (0, 'Vencidas'), (1, 'S=0'), (2, 'S=1'), (3, 'S=2'), (4, 'S=3'), (5, 'S=4'),
    (6, 'Posterior a S=4'), (7, 'Sem vencimento')
  ) AS c(ordem, prioridade)
)
SELECT
  CAST($ref_date AS DATE)                                                        AS data_snapshot,
  a.ACTION_ID                                                                    AS action_id,
  a.ORGANIZATION_ID                                                              AS organization_id,
  a.LOCATION_ID                                                                  AS location_id,
  a.VERIFICATION_ID                                                              AS verification_id,
  a.RESPONSIBLE                                                                  AS responsavel,
  a.ACTION_TYPE                                                                  AS tipo,
  a.STATUS                                                                       AS status,
  a.DUE_DATE                                                                     AS data_vencimento,
  c.prioridade                                                                   AS prioridade,
  CAST(CASE WHEN a.DUE_DATE < $ref_date THEN datediff($ref_date, a.DUE_DATE)
            WHEN a.DUE_DATE IS NOT NULL THEN 0 END AS INT)                       AS dias_atraso,
  a.CREATED_AT                                                                   AS criado_em,
  $written_at                                                                    AS atualizado_em
FROM abertas AS a
JOIN categorias AS c ON c.ordem = a.ordem
) AS linhas
ORDER BY data_snapshot, organization_id, location_id;
COMMIT;

-- source anomalies among the rows read by crm_actions_open_snapshot  [ref_date=DATE 2026-11-29]
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
FROM crm_acoes_lidas_20261129
WHERE ACTION_ID IS NOT NULL
  AND CREATED_AT < CAST($ref_date AS TIMESTAMP) + INTERVAL 1 DAY
  AND CLOSED_AT IS NULL
  AND STATUS IN ('CONCLUIDA', 'CANCELADA');

