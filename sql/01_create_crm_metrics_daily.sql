-- crm_metrics_daily: one row per (data_referencia, organization_id, location_id)
-- with at least one verification that day. See docs/data-contract.md.
CREATE TABLE IF NOT EXISTS {{table}} (
  data_referencia                  DATE,
  organization_id                  STRING,
  location_id                      STRING,
  total_verificacoes               BIGINT,
  verificacoes_nao_conformes       BIGINT,
  total_perguntas                  BIGINT,
  perguntas_nao_conformes          BIGINT,
  total_controles_criticos         BIGINT,
  controles_criticos_nao_conformes BIGINT,
  atualizado_em                    TIMESTAMP
) {{table_options}}
