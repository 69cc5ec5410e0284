ALTER TABLE couriers DROP COLUMN vehicle;
