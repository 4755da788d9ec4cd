-- Guarded publish: the published measure per day of [:history_start, :history_end]
-- (the rows' count, or the sum of a column). Days without rows are absent.
-- Also the candidate on DuckDB: read inside the replace's transaction, before its commit.
SELECT
  {{date_column}}                    AS dia,
  CAST(SUM({{measure}}) AS BIGINT)   AS medida
FROM {{table}}
WHERE {{date_column}} >= :history_start AND {{date_column}} <= :history_end
GROUP BY {{date_column}}
