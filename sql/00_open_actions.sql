-- Included by 06 as the CTE `abertas`: the actions open as of :ref_date, one
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
      WHEN DUE_DATE < :ref_date THEN 0
      WHEN semanas <= 4 THEN 1 + semanas
      ELSE 6
    END AS ordem
  FROM (
    SELECT
      a.*,
      -- ISO weeks (Monday first) between D's week and the due date's week.
      CAST(datediff(CAST(date_trunc('WEEK', a.DUE_DATE) AS DATE), CAST(date_trunc('WEEK', :ref_date) AS DATE)) / 7 AS INT) AS semanas,
      ROW_NUMBER() OVER (
        PARTITION BY a.ACTION_ID
        ORDER BY a.CREATED_AT DESC NULLS LAST, a.CLOSED_AT DESC NULLS FIRST, a.STATUS NULLS LAST,
                 a.DUE_DATE NULLS LAST, a.ORGANIZATION_ID NULLS LAST, a.LOCATION_ID NULLS LAST,
                 a.VERIFICATION_ID NULLS LAST, a.RESPONSIBLE NULLS LAST, a.ACTION_TYPE NULLS LAST
      ) AS copia
    FROM {{actions}} AS a
    WHERE a.ACTION_ID IS NOT NULL
      -- CAST(CREATED_AT AS DATE) <= D and CAST(CLOSED_AT AS DATE) > D, written on the
      -- bare columns so min-max statistics can skip files / row groups.
      AND a.CREATED_AT < CAST(:ref_date AS TIMESTAMP) + INTERVAL 1 DAY
      AND (
        (a.CLOSED_AT IS NULL AND COALESCE(a.STATUS, '') NOT IN ('CONCLUIDA', 'CANCELADA'))
        OR a.CLOSED_AT >= CAST(:ref_date AS TIMESTAMP) + INTERVAL 1 DAY
      )
  ) AS candidatas
  WHERE copia = 1
)
