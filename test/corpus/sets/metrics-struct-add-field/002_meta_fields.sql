ALTER TABLE devices ADD COLUMN meta.model VARCHAR;
ALTER TABLE devices ADD COLUMN meta.fw.patch INTEGER;
