-- Read API: one page of the open actions of one day, with optional filters.
-- Order: category order (ordem), dias_atraso DESC NULLS LAST, action_id: a
-- total order, so keyset pagination has no gaps or repeats. A NULL dias_atraso
-- sorts as -2147483648 (below every real value), which is the same order.
-- Parameters: :ref_date (DATE or NULL = the newest day), :org, :loc,
-- :responsavel, :prioridade (STRING or NULL), :after_ordem, :after_atraso
-- (INT or NULL), :after_id (STRING or NULL): the previous page's last row;
-- :fetch_rows (INT): rows wanted (the page size plus one, to know if more follow).
-- Always returns at least one row, carrying the day and the total count.
-- The newest day is read only when :ref_date is NULL, as the top of the date
-- order (the engine skips the storage of older days instead of reading them all).
WITH alvo AS (
  SELECT COALESCE(
    CAST(:ref_date AS DATE),
    (SELECT data_snapshot FROM {{target}}.crm_actions_open_snapshot
     WHERE CAST(:ref_date AS DATE) IS NULL AND data_snapshot IS NOT NULL
     ORDER BY data_snapshot DESC LIMIT 1)
  ) AS dia
),
filtradas AS (
  SELECT
    s.action_id, s.organization_id, s.location_id, s.verification_id, s.responsavel, s.tipo,
    s.status, s.data_vencimento, s.prioridade, s.dias_atraso, s.criado_em, s.atualizado_em,
    CASE s.prioridade
      WHEN 'Vencidas' THEN 0 WHEN 'S=0' THEN 1 WHEN 'S=1' THEN 2 WHEN 'S=2' THEN 3
      WHEN 'S=3' THEN 4 WHEN 'S=4' THEN 5 WHEN 'Posterior a S=4' THEN 6 WHEN 'Sem vencimento' THEN 7
      ELSE 8
    END                                        AS ordem,
    COALESCE(s.dias_atraso, -2147483648)       AS chave_atraso
  FROM {{target}}.crm_actions_open_snapshot AS s
  JOIN alvo AS a ON s.data_snapshot = a.dia
  WHERE (CAST(:org AS STRING) IS NULL OR s.organization_id = :org)
    AND (CAST(:loc AS STRING) IS NULL OR s.location_id = :loc)
    AND (CAST(:responsavel AS STRING) IS NULL OR s.responsavel = :responsavel)
    AND (CAST(:prioridade AS STRING) IS NULL OR s.prioridade = :prioridade)
),
pagina AS (
  SELECT
    f.*,
    ROW_NUMBER() OVER (ORDER BY f.ordem, f.chave_atraso DESC, f.action_id) AS posicao
  FROM filtradas AS f
  WHERE CAST(:after_ordem AS INT) IS NULL
     OR f.ordem > :after_ordem
     OR (f.ordem = :after_ordem AND f.chave_atraso < :after_atraso)
     OR (f.ordem = :after_ordem AND f.chave_atraso = :after_atraso AND f.action_id > :after_id)
)
SELECT
  a.dia                                  AS dia,
  (SELECT COUNT(*) FROM filtradas)       AS total,
  p.action_id, p.organization_id, p.location_id, p.verification_id, p.responsavel, p.tipo,
  p.status, p.data_vencimento, p.prioridade, p.dias_atraso, p.criado_em, p.atualizado_em,
  p.ordem, p.chave_atraso, p.posicao
FROM alvo AS a
LEFT JOIN pagina AS p ON p.posicao <= :fetch_rows
ORDER BY p.posicao
