-- Guarded publish on Databricks, before a REPLACE WHERE that cannot be stopped
-- half-way: the measure per day of [:span_start, :ref_date] as readers would see
-- it after the replace: the new rows (the refresh's own SELECT, on
-- [:window_start, :ref_date]) plus the kept rows before :window_start.
SELECT dia, CAST(SUM(medida) AS BIGINT) AS medida
FROM (
  SELECT candidata.{{date_column}} AS dia, {{measure}} AS medida
  FROM (
{{candidate}}
  ) AS candidata
  UNION ALL
  SELECT {{date_column}} AS dia, {{measure}} AS medida
  FROM {{table}}
  WHERE {{date_column}} >= :span_start AND {{date_column}} < :window_start
) AS dias
WHERE dia >= :span_start
GROUP BY dia
