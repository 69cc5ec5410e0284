ALTER TABLE uploads ADD COLUMN owner VARCHAR;
UPDATE uploads SET owner = 'system' WHERE owner IS NULL;
ALTER TABLE uploads ALTER size_bytes TYPE BIGINT;
