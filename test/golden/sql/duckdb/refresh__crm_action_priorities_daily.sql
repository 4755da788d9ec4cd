-- publish guard crm_action_priorities_daily  [history_start=DATE 2026-11-29, history_end=DATE 2026-11-29]
-- Guarded publish: the published measure per day of [:history_start, :history_end]
-- (the rows' count, or the sum of a column). Days without rows are absent.
-- Also the candidate on DuckDB: read inside the replace's transaction, before its commit.
SELECT
  data_referencia                    AS dia,
  CAST(SUM(1) AS BIGINT)   AS medida
FROM hs_franquia.gold_connect_bot.crm_action_priorities_daily
WHERE data_referencia >= $history_start AND data_referencia <= $history_end
GROUP BY data_referencia;
-- Guarded publish: the published measure per day of [:history_start, :history_end]
-- (the rows' count, or the sum of a column). Days without rows are absent.
-- Also the candidate on DuckDB: read inside the replace's transaction, before its commit.
SELECT
  data_referencia                    AS dia,
  CAST(SUM(1) AS BIGINT)   AS medida
FROM hs_franquia.gold_connect_bot.crm_action_priorities_daily
WHERE data_referencia >= $history_start AND data_referencia <= $history_end
GROUP BY data_referencia;

-- refresh crm_action_priorities_daily  [ref_date=DATE 2026-11-29, written_at=TIMESTAMP 2026-11-29T09:00:00.000Z]
BEGIN TRANSACTION;
DELETE FROM hs_franquia.gold_connect_bot.crm_action_priorities_daily WHERE data_referencia = $ref_date;
INSERT INTO hs_franquia.gold_connect_bot.crm_action_priorities_daily
SELECT * FROM (
-- Rows of crm_action_priorities_daily for :ref_date: open actions per category,
-- counted from the rows of crm_actions_open_snapshot just written for :ref_date
-- (the run refreshes the snapshot first), so the actions view is read and
-- de-duplicated once per run. Parameters: :ref_date (DATE), :written_at (TIMESTAMP).
WITH -- Included by 05 and 06 as the CTE `categorias`: each priority category
-- (prioridade) with its order (ordem), as docs/data-contract.md lists them.
categorias AS (
  SELECT ordem, prioridade FROM (VALUES
    (0, 'Vencidas'), (1, 'S=0'), (2, 'S=1'), (3, 'S=2'), (4, 'S=3'), (5, 'S=4'),
    (6, 'Posterior a S=4'), (7, 'Sem vencimento')
  ) AS c(ordem, prioridade)
)
SELECT
  CAST($ref_date AS DATE)      AS data_referencia,
  s.organization_id            AS organization_id,
  s.location_id                AS location_id,
  s.prioridade                 AS prioridade,
  CAST(c.ordem AS INT)         AS ordem,
  COUNT(*)                     AS total_acoes,
  $written_at                  AS atualizado_em
FROM hs_franquia.gold_connect_bot.crm_actions_open_snapshot AS s
JOIN categorias AS c ON c.prioridade = s.prioridade
WHERE s.data_snapshot = $ref_date
GROUP BY s.organization_id, s.location_id, s.prioridade, c.ordem
) AS linhas
ORDER BY data_referencia, organization_id, location_id;
COMMIT;

