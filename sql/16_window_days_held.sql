-- Validation: the days of the run's window [:window_start, :ref_date] the table
-- holds rows for (a snapshot's window is D alone). Reads the window's rows of
-- the table only. A day it lacks is looked up in the sources (17_, 18_): one
-- that had source rows is a day the run should have written.
SELECT DISTINCT {{date_column}} AS dia
FROM {{table}}
WHERE {{date_column}} >= :window_start
  AND {{date_column}} <= :ref_date
