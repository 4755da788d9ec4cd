-- crm_actions_open_snapshot: one row per action open as of data_snapshot.
CREATE TABLE IF NOT EXISTS {{table}} (
  data_snapshot   DATE,
  action_id       STRING,
  organization_id STRING,
  location_id     STRING,
  verification_id STRING,
  responsavel     STRING,
  tipo            STRING,
  status          STRING,
  data_vencimento DATE,
  prioridade      STRING,
  dias_atraso     INT,
  criado_em       TIMESTAMP,
  atualizado_em   TIMESTAMP
) {{table_options}}
