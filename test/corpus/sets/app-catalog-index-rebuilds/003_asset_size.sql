DROP INDEX IF EXISTS app.assets_name_ci;
ALTER TABLE app.assets ALTER bytes_stored TYPE BIGINT;
CREATE UNIQUE INDEX assets_name_ci ON app.assets (lower(name));
