-- The rows of vw_crm_action the daily run reads for :ref_date, staged once per
-- run (a temporary table of the refresh's session): the actions that can be
-- open on D (created on or before D, not closed before D) and, among the same
-- rows, those with a closed status and no CLOSED_AT (never open: counted as
-- anomalies by 12_source_anomalies.sql). The snapshot (06) and the anomaly
-- count read this stage, so the view is scanned once. Written on the bare
-- columns so min-max statistics can skip files / row groups.
SELECT
  ACTION_ID, ORGANIZATION_ID, LOCATION_ID, VERIFICATION_ID, RESPONSIBLE, ACTION_TYPE,
  STATUS, DUE_DATE, CREATED_AT, CLOSED_AT
FROM {{source}}.vw_crm_action
WHERE ACTION_ID IS NOT NULL
  AND CREATED_AT < CAST(:ref_date AS TIMESTAMP) + INTERVAL 1 DAY
  AND (CLOSED_AT IS NULL OR CLOSED_AT >= CAST(:ref_date AS TIMESTAMP) + INTERVAL 1 DAY)
