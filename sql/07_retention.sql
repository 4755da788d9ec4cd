-- Retention for one table: rows dated before :cutoff (= D - R days) go;
-- the row at exactly D - R stays.
DELETE FROM {{table}} WHERE {{date_column}} < :cutoff
