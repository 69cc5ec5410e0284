ALTER TABLE app.assets ADD COLUMN owner TEXT;
UPDATE app.assets SET owner = 'system' WHERE owner IS NULL;
CREATE UNIQUE INDEX assets_name_ci ON app.assets (lower(name));
