-- Included by 05 and 06 as the CTE `categorias`: each priority category
-- (prioridade) with its order (ordem), as docs/data-contract.md lists them.
categorias AS (
  SELECT ordem, prioridade FROM (VALUES
    (0, 'Vencidas'), (1, 'S=0'), (2, 'S=1'), (3, 'S=2'), (4, 'S=3'), (5, 'S=4'),
    (6, 'Posterior a S=4'), (7, 'Sem vencimento')
  ) AS c(ordem, prioridade)
)
