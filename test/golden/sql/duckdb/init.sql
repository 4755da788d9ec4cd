-- init
CREATE SCHEMA IF NOT EXISTS hs_franquia.gold_connect_bot;
-- crm_metrics_daily: one row per (data_referencia, organization_id, location_id)
-- with at least one verification that day. See docs/data-contract.md.
CREATE TABLE IF NOT EXISTS hs_franquia.gold_connect_bot.crm_metrics_daily (
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
) ;
-- crm_action_priorities_daily: one row per (data_referencia, organization_id,
-- location_id, prioridade) with at least one action open as of data_referencia.
CREATE TABLE IF NOT EXISTS hs_franquia.gold_connect_bot.crm_action_priorities_daily (
  data_referencia DATE,
  organization_id STRING,
  location_id     STRING,
  prioridade      STRING,
  ordem           INT,
  total_acoes     BIGINT,
  atualizado_em   TIMESTAMP
) ;
-- crm_actions_open_snapshot: one row per action open as of data_snapshot.
CREATE TABLE IF NOT EXISTS hs_franquia.gold_connect_bot.crm_actions_open_snapshot (
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
) ;

