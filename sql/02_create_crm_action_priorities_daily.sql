-- crm_action_priorities_daily: one row per (data_referencia, organization_id,
-- location_id, prioridade) with at least one action open as of data_referencia.
CREATE TABLE IF NOT EXISTS {{table}} (
  data_referencia DATE,
  organization_id STRING,
  location_id     STRING,
  prioridade      STRING,
  ordem           INT,
  total_acoes     BIGINT,
  atualizado_em   TIMESTAMP
) {{table_options}}
