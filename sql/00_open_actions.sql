-- Shared by 05 and 06 (included as the CTEs `abertas` and `categorias`):
-- the actions open as of :ref_date, one row per ACTION_ID, with their priority.
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
    FROM {{source}}.vw_crm_action AS a
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
),
categorias AS (
  SELECT ordem, prioridade FROM (VALUES
    (0, 'Vencidas'), (1, 'S=0'), (2, 'S=1'), (3, 'S=2'), (4, 'S=3'), (5, 'S=4'),
    (6, 'Posterior a S=4'), (7, 'Sem vencimento')
  ) AS c(ordem, prioridade)
)
