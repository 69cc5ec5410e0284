ALTER TABLE regions DROP COLUMN region_code;
