-- Validation: the days of [:window_start, :ref_date] with at least one
-- verification, i.e. the days crm_metrics_daily must hold rows for (a day
-- without verifications legitimately has none). Read only when the table lacks
-- a day of the window; the same rows the refresh reads (04), on the bare
-- column so old files / row groups are skipped.
SELECT DISTINCT CAST(VERIFICATION_DATE AS DATE) AS dia
FROM {{source}}.vw_crm_verification
WHERE VERIFICATION_ID IS NOT NULL
  AND VERIFICATION_DATE IS NOT NULL
  AND VERIFICATION_DATE >= CAST(:window_start AS TIMESTAMP)
  AND VERIFICATION_DATE < CAST(:ref_date AS TIMESTAMP) + INTERVAL 1 DAY
