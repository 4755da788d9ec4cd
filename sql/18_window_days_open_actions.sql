-- Validation: :ref_date when at least one action is open as of it (the rule of
-- 00_open_actions.sql, without the de-duplication: any open row puts its action
-- in the snapshot), i.e. when the snapshot and the priorities must hold rows
-- for D. Read only when a table lacks D; stops at the first open action.
SELECT CAST(:ref_date AS DATE) AS dia
FROM (SELECT 1 AS uma) AS uma_linha
WHERE EXISTS (
  SELECT 1
  FROM {{source}}.vw_crm_action AS a
  WHERE a.ACTION_ID IS NOT NULL
    AND a.CREATED_AT < CAST(:ref_date AS TIMESTAMP) + INTERVAL 1 DAY
    AND (
      (a.CLOSED_AT IS NULL AND COALESCE(a.STATUS, '') NOT IN ('CONCLUIDA', 'CANCELADA'))
      OR a.CLOSED_AT >= CAST(:ref_date AS TIMESTAMP) + INTERVAL 1 DAY
    )
)
