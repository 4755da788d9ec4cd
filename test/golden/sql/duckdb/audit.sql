-- source audit
-- The source audit: anomalies over the whole history of the views (its own
-- task, weekly by default: these scans are what the daily run must not pay).
SELECT
  (SELECT COUNT(DISTINCT ACTION_ID)
     FROM hs_franquia.gold_connect_bot.vw_crm_action
    WHERE STATUS IN ('CONCLUIDA', 'CANCELADA') AND CLOSED_AT IS NULL) AS acoes_fechadas_sem_closed_at,
  (SELECT COUNT(*)
     FROM hs_franquia.gold_connect_bot.vw_crm_verification
    WHERE VERIFICATION_DATE IS NULL)                                   AS verificacoes_sem_data,
  (SELECT COUNT(*)
     FROM (SELECT DISTINCT q.VERIFICATION_ID, q.QUESTION_ID
             FROM hs_franquia.gold_connect_bot.vw_crm_verification_question AS q
             LEFT JOIN (SELECT DISTINCT VERIFICATION_ID
                          FROM hs_franquia.gold_connect_bot.vw_crm_verification
                         WHERE VERIFICATION_DATE IS NOT NULL) AS v
               ON v.VERIFICATION_ID = q.VERIFICATION_ID
            WHERE v.VERIFICATION_ID IS NULL) AS orfas)                 AS perguntas_sem_verificacao;

