-- retention crm_action_priorities_daily  [cutoff=DATE 2026-08-31]
-- Retention for one table: rows dated before :cutoff (= D - R days) go;
-- the row at exactly D - R stays.
DELETE FROM hs_franquia.gold_connect_bot.crm_action_priorities_daily WHERE data_referencia < $cutoff;

