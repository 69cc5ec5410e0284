ALTER TABLE devices ADD COLUMN meta.vendor VARCHAR;
